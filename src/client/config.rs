//! `ClientConfig`: what the agent tells the client (identity, data dir, drivers,
//! reserved resources). Plain data with named defaults; the agent builds it from
//! its own config in one place and the client reads nothing else.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Duration;

/// Default lowest dynamic port (Nomad's `min_dynamic_port`).
pub const DEFAULT_MIN_DYNAMIC_PORT: i32 = 20000;
/// Default highest dynamic port (Nomad's `max_dynamic_port`).
pub const DEFAULT_MAX_DYNAMIC_PORT: i32 = 32000;

/// The client's configuration.
#[derive(Debug, Clone)]
pub struct ClientConfig {
    /// Node name; empty = the host name.
    pub node_name: String,
    /// Fixed node ID; `None` = the one saved in `<data_dir>/client/client-id`, or a new one.
    pub node_id: Option<String>,
    /// Region the node belongs to.
    pub region: String,
    /// Datacenter.
    pub datacenter: String,
    /// Node class (`node_class`).
    pub node_class: String,
    /// Node pool (`node_pool`, default `default`).
    pub node_pool: String,
    /// Operator metadata (`client.meta`).
    pub meta: BTreeMap<String, String>,
    /// Agent data dir: allocations live in `<data_dir>/alloc`, client state in `<data_dir>/client`.
    pub data_dir: PathBuf,
    /// `ip:port` of the agent's HTTP API, published as `Node.HTTPAddr`.
    pub http_addr: String,
    /// Address tasks' ports are bound on (`NOMAD_IP_<label>`); also the node's network.
    pub network_ip: String,
    /// Network interface name published with the node's network.
    pub network_interface: String,
    /// Enables the `raw_exec` driver (`plugin "raw_exec" { config { enabled = true } }`, or `-dev`).
    pub raw_exec_enabled: bool,
    /// Enables the `mock` driver (tests and development only).
    pub mock_driver_enabled: bool,
    /// Drivers never fingerprinted or used (client option `driver.denylist`).
    pub driver_denylist: Vec<String>,
    /// When not empty, the only drivers fingerprinted or used (client option `driver.allowlist`).
    pub driver_allowlist: Vec<String>,
    /// CPU reserved for things outside Nomad, MHz.
    pub reserved_cpu: i64,
    /// Memory reserved, MB.
    pub reserved_memory_mb: i64,
    /// Disk reserved, MB.
    pub reserved_disk_mb: i64,
    /// Host ports reserved, e.g. `22,80,8000-8100`.
    pub reserved_ports: String,
    /// Overrides the fingerprinted total CPU in MHz (`cpu_total_compute`).
    pub cpu_total_compute: Option<i64>,
    /// Overrides the fingerprinted memory in MB (`memory_total_mb`).
    pub memory_total_mb: Option<i64>,
    /// Lowest dynamic port.
    pub min_dynamic_port: i32,
    /// Highest dynamic port.
    pub max_dynamic_port: i32,
    /// Longest wait of one allocation blocking query.
    pub alloc_watch_wait: Duration,
    /// Pause between retries when the servers cannot be reached.
    pub retry_interval: Duration,
    /// At shutdown, leave tasks running for the next run of the client to re-attach to (Nomad's
    /// behaviour) instead of stopping them (`-dev`, tests).
    pub detach_on_shutdown: bool,
}

impl ClientConfig {
    /// Whether the allow and deny lists let driver `name` run on this node.
    pub fn driver_permitted(&self, name: &str) -> bool {
        let allowed =
            self.driver_allowlist.is_empty() || self.driver_allowlist.iter().any(|d| d == name);
        allowed && !self.driver_denylist.iter().any(|d| d == name)
    }

    /// A client with Nomad's defaults keeping its data under `data_dir`.
    pub fn new(data_dir: impl Into<PathBuf>) -> Self {
        Self {
            node_name: String::new(),
            node_id: None,
            region: "global".into(),
            datacenter: "dc1".into(),
            node_class: String::new(),
            node_pool: "default".into(),
            meta: BTreeMap::new(),
            data_dir: data_dir.into(),
            http_addr: "127.0.0.1:4646".into(),
            network_ip: "127.0.0.1".into(),
            network_interface: "lo".into(),
            raw_exec_enabled: false,
            mock_driver_enabled: false,
            driver_denylist: Vec::new(),
            driver_allowlist: Vec::new(),
            reserved_cpu: 0,
            reserved_memory_mb: 0,
            reserved_disk_mb: 0,
            reserved_ports: String::new(),
            cpu_total_compute: None,
            memory_total_mb: None,
            min_dynamic_port: DEFAULT_MIN_DYNAMIC_PORT,
            max_dynamic_port: DEFAULT_MAX_DYNAMIC_PORT,
            alloc_watch_wait: Duration::from_secs(300),
            retry_interval: Duration::from_secs(1),
            detach_on_shutdown: false,
        }
    }

    /// `-dev` defaults: `raw_exec` on, loopback network.
    pub fn dev(data_dir: impl Into<PathBuf>) -> Self {
        Self {
            raw_exec_enabled: true,
            ..Self::new(data_dir)
        }
    }

    /// Where allocation directories live.
    pub fn alloc_root(&self) -> PathBuf {
        self.data_dir.join("alloc")
    }

    /// Where the client keeps its own state (node ID).
    pub fn state_dir(&self) -> PathBuf {
        self.data_dir.join("client")
    }
}
