//! Resources a task asks for: CPU (MHz or whole cores), memory, devices, and the
//! deprecated task-level networks and disk.

use super::{Affinity, Constraint, NetworkResource};

api_struct! {
    /// A task's `resources` block. Fields are `Option` so that canonicalize can tell
    /// "unset" (gets Nomad's default) from an explicit value.
    pub struct Resources {
        /// CPU in MHz (default 100, or 0 when `Cores` is set).
        #[serde(rename = "CPU")]
        pub cpu: Option<i32>,
        /// Whole reserved cores; exclusive with `CPU`.
        pub cores: Option<i32>,
        /// Memory in MB (default 300).
        #[serde(rename = "MemoryMB")]
        pub memory_mb: Option<i32>,
        /// Memory limit in MB when oversubscription is on (HCL `memory_max`).
        #[serde(rename = "MemoryMaxMB")]
        pub memory_max_mb: Option<i32>,
        /// Deprecated task-level disk in MB; the group's `EphemeralDisk` is used.
        #[serde(rename = "DiskMB")]
        pub disk_mb: Option<i32>,
        /// Deprecated task-level networks (group `network` is preferred).
        pub networks: Vec<NetworkResource>,
        /// Devices (HCL `device "<vendor/type/name>"`).
        pub devices: Vec<RequestedDevice>,
    }
    unmodelled pub unmodelled
}

api_struct! {
    /// A `device` request inside `resources`.
    pub struct RequestedDevice {
        /// `<type>`, `<vendor>/<type>` or `<vendor>/<type>/<name>` (the HCL label).
        pub name: String,
        /// How many instances (default 1).
        pub count: Option<u64>,
        /// Constraints on device attributes.
        pub constraints: Vec<Constraint>,
        /// Preferences among matching devices.
        pub affinities: Vec<Affinity>,
    }
}

impl Resources {
    /// CPU in MHz, 0 when unset (canonicalized resources are always set).
    pub fn cpu_mhz(&self) -> i32 {
        self.cpu.unwrap_or(0)
    }

    /// Memory in MB, 0 when unset.
    pub fn memory(&self) -> i32 {
        self.memory_mb.unwrap_or(0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn initialisms_in_json() {
        let r = Resources {
            cpu: Some(500),
            memory_mb: Some(256),
            memory_max_mb: Some(512),
            disk_mb: None,
            ..Default::default()
        };
        let v = serde_json::to_value(&r).unwrap();
        assert_eq!(v["CPU"], 500);
        assert_eq!(v["MemoryMB"], 256);
        assert_eq!(v["MemoryMaxMB"], 512);
        assert!(v["DiskMB"].is_null());
        assert_eq!(r.cpu_mhz(), 500);
        assert_eq!(r.memory(), 256);
    }
}
