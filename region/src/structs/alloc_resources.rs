//! AllocatedResources: what the scheduler actually gave an allocation (per task and
//! shared), including assigned ports and devices.

use std::collections::BTreeMap;

use super::{NetworkResource, TaskLifecycleConfig};

api_struct! {
    /// Resources assigned to an allocation.
    pub struct AllocatedResources {
        /// Per task.
        pub tasks: BTreeMap<String, AllocatedTaskResources>,
        /// Lifecycle of each task (`None` = main task).
        pub task_lifecycles: BTreeMap<String, Option<TaskLifecycleConfig>>,
        /// Shared by the group.
        pub shared: AllocatedSharedResources,
    }
}

api_struct! {
    /// One task's share.
    pub struct AllocatedTaskResources {
        /// CPU.
        pub cpu: AllocatedCpuResources,
        /// Memory.
        pub memory: AllocatedMemoryResources,
        /// Task-level networks (deprecated).
        pub networks: Vec<NetworkResource>,
        /// Devices.
        pub devices: Vec<AllocatedDeviceResource>,
    }
}

api_struct! {
    /// Assigned CPU.
    pub struct AllocatedCpuResources {
        /// MHz.
        pub cpu_shares: i64,
        /// Reserved core IDs.
        pub reserved_cores: Vec<u32>,
    }
}

api_struct! {
    /// Assigned memory.
    pub struct AllocatedMemoryResources {
        /// MB.
        #[serde(rename = "MemoryMB")]
        pub memory_mb: i64,
        /// Limit in MB with oversubscription (0 = same as `MemoryMB`).
        #[serde(rename = "MemoryMaxMB")]
        pub memory_max_mb: i64,
    }
}

api_struct! {
    /// Assigned device instances.
    pub struct AllocatedDeviceResource {
        /// Vendor.
        pub vendor: String,
        /// Type.
        #[serde(rename = "Type")]
        pub device_type: String,
        /// Model name.
        pub name: String,
        /// Instance IDs.
        #[serde(rename = "DeviceIDs")]
        pub device_ids: Vec<String>,
    }
}

api_struct! {
    /// Group-wide assignment.
    pub struct AllocatedSharedResources {
        /// Group networks with assigned ports.
        pub networks: Vec<NetworkResource>,
        /// Ephemeral disk, MB.
        #[serde(rename = "DiskMB")]
        pub disk_mb: i64,
        /// Flattened port mappings.
        pub ports: Vec<AllocatedPortMapping>,
    }
}

api_struct! {
    /// A port as a task sees it.
    pub struct AllocatedPortMapping {
        /// Label.
        pub label: String,
        /// Host port.
        pub value: i32,
        /// Port in the task's namespace.
        pub to: i32,
        /// Host IP.
        #[serde(rename = "HostIP")]
        pub host_ip: String,
    }
}

impl AllocatedResources {
    /// Total CPU (MHz) and memory (MB) over all tasks.
    pub fn comparable(&self) -> (i64, i64) {
        self.tasks.values().fold((0, 0), |(c, m), t| {
            (c + t.cpu.cpu_shares, m + t.memory.memory_mb)
        })
    }
}
