//! NodeResources and NodeReservedResources: what a client node offers, and what its
//! operator held back from scheduling.

use std::collections::BTreeMap;

use super::NetworkResource;

api_struct! {
    /// A node's schedulable capacity (fingerprinted by the client).
    pub struct NodeResources {
        /// CPU.
        pub cpu: NodeCpuResources,
        /// Memory.
        pub memory: NodeMemoryResources,
        /// Disk for allocation directories.
        pub disk: NodeDiskResources,
        /// Host networks (interfaces and their addresses).
        pub networks: Vec<NetworkResource>,
        /// Devices (GPUs, ...).
        pub devices: Vec<NodeDeviceResource>,
        /// Lowest port for dynamic allocation (default 20000).
        pub min_dynamic_port: i32,
        /// Highest port for dynamic allocation (default 32000).
        pub max_dynamic_port: i32,
    }
}

api_struct! {
    /// CPU capacity.
    pub struct NodeCpuResources {
        /// Total MHz.
        pub cpu_shares: i64,
        /// Number of cores.
        pub total_cpu_cores: u32,
        /// Core IDs that may be reserved by tasks.
        pub reservable_cpu_cores: Vec<u32>,
    }
}

api_struct! {
    /// Memory capacity.
    pub struct NodeMemoryResources {
        /// Total MB.
        #[serde(rename = "MemoryMB")]
        pub memory_mb: i64,
    }
}

api_struct! {
    /// Disk capacity.
    pub struct NodeDiskResources {
        /// Total MB.
        #[serde(rename = "DiskMB")]
        pub disk_mb: i64,
    }
}

api_struct! {
    /// A group of identical device instances.
    pub struct NodeDeviceResource {
        /// Vendor, e.g. `nvidia`.
        pub vendor: String,
        /// Type, e.g. `gpu`.
        #[serde(rename = "Type")]
        pub device_type: String,
        /// Model name.
        pub name: String,
        /// The instances.
        pub instances: Vec<NodeDevice>,
        /// Attributes for constraints (free-form values with units).
        pub attributes: BTreeMap<String, serde_json::Value>,
    }
}

api_struct! {
    /// One device instance.
    pub struct NodeDevice {
        /// Instance ID.
        #[serde(rename = "ID")]
        pub id: String,
        /// Usable.
        pub healthy: bool,
        /// Why not.
        pub health_description: String,
    }
}

api_struct! {
    /// Resources the operator reserved for things outside Nomad.
    pub struct NodeReservedResources {
        /// Reserved CPU.
        pub cpu: NodeReservedCpuResources,
        /// Reserved memory.
        pub memory: NodeReservedMemoryResources,
        /// Reserved disk.
        pub disk: NodeReservedDiskResources,
        /// Reserved host ports.
        pub networks: NodeReservedNetworkResources,
    }
}

api_struct! {
    /// Reserved CPU.
    pub struct NodeReservedCpuResources {
        /// MHz.
        pub cpu_shares: i64,
    }
}

api_struct! {
    /// Reserved memory.
    pub struct NodeReservedMemoryResources {
        /// MB.
        #[serde(rename = "MemoryMB")]
        pub memory_mb: i64,
    }
}

api_struct! {
    /// Reserved disk.
    pub struct NodeReservedDiskResources {
        /// MB.
        #[serde(rename = "DiskMB")]
        pub disk_mb: i64,
    }
}

api_struct! {
    /// Reserved ports.
    pub struct NodeReservedNetworkResources {
        /// Comma-separated ports and ranges, e.g. `22,80,8000-8100`.
        pub reserved_host_ports: String,
    }
}
