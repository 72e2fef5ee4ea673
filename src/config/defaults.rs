//! Named defaults of Nomad's agent (`command/agent/config.go` DefaultConfig and DevConfig, as documented),
//! and the `-dev` layer that sits under every file and flag.

use std::collections::BTreeMap;

use super::file::{ClientBlock, FileConfig, PluginBlock, ServerBlock};

pub const DEFAULT_REGION: &str = "global";
pub const DEFAULT_DATACENTER: &str = "dc1";
pub const DEFAULT_BIND_ADDR: &str = "0.0.0.0";
pub const DEV_BIND_ADDR: &str = "127.0.0.1";
pub const DEFAULT_HTTP_PORT: u16 = 4646;
pub const DEFAULT_RPC_PORT: u16 = 4647;
pub const DEFAULT_SERF_PORT: u16 = 4648;
pub const DEFAULT_LOG_LEVEL: &str = "INFO";
pub const DEV_LOG_LEVEL: &str = "DEBUG";
pub const DEFAULT_NODE_POOL: &str = "default";
/// Nomad's `heartbeat_grace` default.
pub const DEFAULT_HEARTBEAT_GRACE: &str = "10s";
/// Nomad's `min_heartbeat_ttl` default.
pub const DEFAULT_MIN_HEARTBEAT_TTL: &str = "10s";
/// Nomad's `max_heartbeats_per_second` default.
pub const DEFAULT_MAX_HEARTBEATS_PER_SECOND: f64 = 50.0;

/// What `-dev` turns on: server + client in one process on loopback, `bootstrap_expect = 1`, DEBUG logs,
/// raw_exec enabled. Files and flags given alongside `-dev` override these.
pub fn dev() -> FileConfig {
    FileConfig {
        bind_addr: Some(DEV_BIND_ADDR.to_string()),
        log_level: Some(DEV_LOG_LEVEL.to_string()),
        server: Some(ServerBlock {
            enabled: Some(true),
            bootstrap_expect: Some(1),
            ..Default::default()
        }),
        client: Some(ClientBlock {
            enabled: Some(true),
            ..Default::default()
        }),
        plugin: BTreeMap::from([(
            "raw_exec".to_string(),
            PluginBlock {
                config: BTreeMap::from([("enabled".to_string(), serde_json::Value::Bool(true))]),
            },
        )]),
        ..Default::default()
    }
}

/// Scheduler workers per server when unset: one per CPU core, as Nomad does.
pub fn num_schedulers() -> u32 {
    std::thread::available_parallelism()
        .map(|n| u32::try_from(n.get()).unwrap_or(1))
        .unwrap_or(1)
}

/// The node name when unset: the host name, as Nomad does.
pub fn node_name() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .ok()
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
        .or_else(|| std::env::var("HOSTNAME").ok().filter(|s| !s.is_empty()))
        .unwrap_or_else(|| "localhost".to_string())
}
