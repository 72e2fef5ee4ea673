//! `ServerConfig`: the region server's settings, with Nomad's defaults.

use crate::structs::SECOND;

/// Settings of one region server.
#[derive(Debug, Clone)]
pub struct ServerConfig {
    /// Region name (`global`).
    pub region: String,
    /// Datacenter of this server (`dc1`).
    pub datacenter: String,
    /// Node name of this server.
    pub node_name: String,
    /// RPC address advertised as the leader's (`127.0.0.1:4647`).
    pub rpc_addr: String,
    /// Scheduler workers (Nomad default: number of cores).
    pub num_schedulers: usize,
    /// Lowest heartbeat TTL handed to clients, nanoseconds (Nomad: 10 s).
    pub min_heartbeat_ttl: i64,
    /// Cluster-wide heartbeat rate cap (Nomad: 50/s).
    pub max_heartbeats_per_second: f64,
    /// Extra time after the TTL before a node is marked down, nanoseconds (Nomad: 10 s).
    pub heartbeat_grace: i64,
    /// Time a worker may hold an eval before it is redelivered, nanoseconds (Nomad: 60 s).
    pub eval_nack_timeout: i64,
    /// Deliveries before an eval is failed (Nomad: 3).
    pub eval_delivery_limit: u32,
    /// Delay of the follow-up eval created for a failed one, nanoseconds (Nomad: 1 min).
    pub eval_failed_followup_delay: i64,
    /// How often the leader's timers (delayed evals, nack and heartbeat deadlines) are checked.
    pub tick: std::time::Duration,
}

impl Default for ServerConfig {
    fn default() -> Self {
        Self {
            region: "global".into(),
            datacenter: "dc1".into(),
            node_name: "server".into(),
            rpc_addr: "127.0.0.1:4647".into(),
            num_schedulers: std::thread::available_parallelism()
                .map(|n| n.get())
                .unwrap_or(2),
            min_heartbeat_ttl: 10 * SECOND,
            max_heartbeats_per_second: 50.0,
            heartbeat_grace: 10 * SECOND,
            eval_nack_timeout: 60 * SECOND,
            eval_delivery_limit: 3,
            eval_failed_followup_delay: 60 * SECOND,
            tick: std::time::Duration::from_millis(100),
        }
    }
}
