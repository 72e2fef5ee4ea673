//! Whether this host can run `exec` tasks: Linux, the agent running as root, and
//! cgroups with cpu and memory controllers. Published as `driver.exec` and the
//! `DriverInfo` health; the reasons are Nomad's wording.

use std::collections::BTreeMap;

use nomad_region::structs::DriverInfo;

use super::cgroup::Hierarchy;
use crate::client::drivers::now_rfc3339;

/// Health description when the agent is not root.
pub const NOT_ROOT: &str = "exec driver must run as root";
/// Health description when cgroups are missing.
pub const NO_CGROUPS: &str = "cgroups are not available";

/// What the host offers the driver.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HostSupport {
    /// Effective uid is 0.
    pub root: bool,
    /// The cgroup hierarchy, if usable.
    pub cgroups: Option<Hierarchy>,
}

impl HostSupport {
    /// Looks at this host.
    pub fn detect() -> Self {
        // SAFETY: geteuid has no preconditions.
        let root = unsafe { libc::geteuid() } == 0;
        // A read-only cgroupfs (e.g. inside an unprivileged container) is as good as none.
        let cgroups = Hierarchy::detect().filter(|h| {
            let dir = match h {
                Hierarchy::V2 { root } => root,
                Hierarchy::V1 { memory, .. } => memory,
            };
            std::ffi::CString::new(dir.as_os_str().as_encoded_bytes())
                // SAFETY: access only reads the NUL-terminated path.
                .is_ok_and(|c| unsafe { libc::access(c.as_ptr(), libc::W_OK) } == 0)
        });
        Self { root, cgroups }
    }

    /// Why tasks cannot run, if they cannot.
    pub fn unhealthy_reason(&self) -> Option<&'static str> {
        if !cfg!(target_os = "linux") || !self.root {
            Some(NOT_ROOT)
        } else if self.cgroups.is_none() {
            Some(NO_CGROUPS)
        } else {
            None
        }
    }

    /// The published fingerprint: detected on Linux, healthy when usable.
    pub fn driver_info(&self) -> DriverInfo {
        let reason = self.unhealthy_reason();
        let mut attributes = BTreeMap::new();
        if reason.is_none() {
            attributes.insert("driver.exec".to_string(), "true".to_string());
        }
        DriverInfo {
            attributes,
            detected: cfg!(target_os = "linux"),
            healthy: reason.is_none(),
            health_description: reason.unwrap_or("Healthy").to_string(),
            update_time: Some(now_rfc3339()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reasons_follow_root_then_cgroups() {
        let v1 = Some(Hierarchy::V1 {
            memory: "/m".into(),
            cpu: "/c".into(),
            cpuacct: "/c".into(),
        });
        let ok = HostSupport {
            root: true,
            cgroups: v1.clone(),
        }
        .driver_info();
        assert!(ok.detected && ok.healthy);
        assert_eq!(ok.health_description, "Healthy");
        assert_eq!(
            ok.attributes.get("driver.exec").map(String::as_str),
            Some("true")
        );
        let user = HostSupport {
            root: false,
            cgroups: v1,
        }
        .driver_info();
        assert!(user.detected && !user.healthy);
        assert_eq!(user.health_description, NOT_ROOT);
        assert!(user.attributes.is_empty());
        let bare = HostSupport {
            root: true,
            cgroups: None,
        }
        .driver_info();
        assert_eq!(
            (bare.healthy, bare.health_description.as_str()),
            (false, NO_CGROUPS)
        );
    }
}
