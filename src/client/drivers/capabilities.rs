//! What a driver can do, as Nomad's driver plugins report it (`Capabilities()`): whether
//! it delivers signals, runs commands inside a task (`alloc exec`), how it isolates the
//! filesystem, which network isolation modes it supports and which mounts it honours.

use serde::{Deserialize, Serialize};

/// How a driver isolates a task's filesystem (Nomad's `FSIsolation`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum FsIsolation {
    /// The task sees the host's filesystem (raw_exec).
    #[default]
    None,
    /// The task runs in a chroot built from host paths (exec).
    Chroot,
    /// The task runs in its own image (docker).
    Image,
}

/// A network isolation mode (Nomad's `NetIsolationMode`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum NetIsolationMode {
    /// The host's network namespace.
    Host,
    /// A namespace shared by the task group.
    Group,
    /// A namespace of the task's own.
    Task,
    /// No networking.
    None,
}

/// Which `volume_mount`s / `mount`s a driver honours (Nomad's `MountConfigs`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum MountConfigs {
    /// Every mount.
    #[default]
    All,
    /// None at all.
    None,
}

/// A driver's capabilities.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Capabilities {
    /// `alloc signal` and `kill_signal` reach the task.
    pub send_signals: bool,
    /// `alloc exec` can run commands in the task's context.
    pub exec: bool,
    /// Filesystem isolation.
    #[serde(rename = "FSIsolation")]
    pub fs_isolation: FsIsolation,
    /// Network isolation modes supported.
    pub net_isolation_modes: Vec<NetIsolationMode>,
    /// The driver creates the network namespace itself.
    pub must_initiate_network: bool,
    /// Mounts honoured.
    pub mount_configs: MountConfigs,
}

impl Default for Capabilities {
    /// What a driver that says nothing can be assumed to do: signals, no exec, no isolation.
    fn default() -> Self {
        Self {
            send_signals: true,
            exec: false,
            fs_isolation: FsIsolation::None,
            net_isolation_modes: vec![NetIsolationMode::Host],
            must_initiate_network: false,
            mount_configs: MountConfigs::All,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn serializes_with_nomad_names() {
        let caps = Capabilities {
            fs_isolation: FsIsolation::Image,
            exec: true,
            ..Default::default()
        };
        let v = serde_json::to_value(&caps).unwrap();
        assert_eq!(v["FSIsolation"], "image");
        assert_eq!(v["SendSignals"], true);
        assert_eq!(v["Exec"], true);
        assert_eq!(v["NetIsolationModes"][0], "host");
    }
}
