//! The one place the agent's checked config is turned into each part's settings: the region server's
//! `ServerConfig`, the client's `ClientConfig`, and what the HTTP API reports about the agent.

use std::net::SocketAddr;
use std::path::Path;

use nomad_region::server::ServerConfig;
use serde_json::json;

use crate::api::AgentInfo;
use crate::client::ClientConfig;
use crate::config::AgentConfig;

/// The version this agent reports.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");

/// The region server's settings.
pub fn server_config(c: &AgentConfig) -> ServerConfig {
    ServerConfig {
        region: c.region.clone(),
        datacenter: c.datacenter.clone(),
        node_name: c.name.clone(),
        rpc_addr: c.advertise.rpc.to_string(),
        num_schedulers: usize::try_from(c.server.num_schedulers).unwrap_or(1).max(1),
        heartbeat_grace: c.server.heartbeat_grace,
        min_heartbeat_ttl: c.server.min_heartbeat_ttl,
        max_heartbeats_per_second: c.server.max_heartbeats_per_second,
        ..ServerConfig::default()
    }
}

/// The client's settings; `http` is the address the HTTP listener actually got.
pub fn client_config(c: &AgentConfig, data_dir: &Path, http: SocketAddr) -> ClientConfig {
    let mut cc = ClientConfig::new(data_dir);
    cc.node_name = c.name.clone();
    cc.region = c.region.clone();
    cc.datacenter = c.datacenter.clone();
    cc.node_class = c.client.node_class.clone();
    cc.node_pool = c.client.node_pool.clone();
    cc.meta = c.client.meta.clone();
    cc.http_addr = http.to_string();
    cc.network_ip = http.ip().to_string();
    cc.network_interface = c.client.network_interface.clone().unwrap_or_else(|| {
        if http.ip().is_loopback() {
            "lo".into()
        } else {
            String::new()
        }
    });
    cc.raw_exec_enabled = c.raw_exec_enabled();
    // Nomad's clients leave their tasks running when the agent stops; `-dev` cleans up after itself.
    cc.detach_on_shutdown = !c.dev;
    let list = |key: &str| -> Vec<String> {
        c.client
            .options
            .get(key)
            .map(|v| {
                v.split(',')
                    .map(|d| d.trim().to_owned())
                    .filter(|d| !d.is_empty())
                    .collect()
            })
            .unwrap_or_default()
    };
    cc.driver_denylist = list("driver.denylist");
    cc.driver_allowlist = list("driver.allowlist");
    cc.cpu_total_compute = c
        .client
        .cpu_total_compute
        .and_then(|v| i64::try_from(v).ok());
    cc.memory_total_mb = c.client.memory_total_mb.and_then(|v| i64::try_from(v).ok());
    cc
}

/// What `/v1/agent/*` reports; `http` is the bound HTTP address.
pub fn agent_info(c: &AgentConfig, data_dir: &Path, http: SocketAddr) -> AgentInfo {
    let config = json!({
        "Region": c.region,
        "Datacenter": c.datacenter,
        "NodeName": c.name,
        "DataDir": data_dir.display().to_string(),
        "BindAddr": c.bind.http.ip().to_string(),
        "LogLevel": c.log_level,
        "LogJson": c.log_json,
        "DevMode": c.dev,
        "Ports": {"HTTP": http.port(), "RPC": c.bind.rpc.port(), "Serf": c.bind.serf.port()},
        "AdvertiseAddrs": {
            "HTTP": http.to_string(),
            "RPC": c.advertise.rpc.to_string(),
            "Serf": c.advertise.serf.to_string(),
        },
        "Server": {
            "Enabled": c.server.enabled,
            "BootstrapExpect": c.server.bootstrap_expect,
            "NonVotingServer": c.server.non_voting_server,
            "RaftMultiplier": c.server.raft_multiplier,
            "NumSchedulers": c.server.num_schedulers,
        },
        "Client": {
            "Enabled": c.client.enabled,
            "Servers": c.client.servers,
            "NodeClass": c.client.node_class,
            "NodePool": c.client.node_pool,
            "Meta": c.client.meta,
        },
        "Plugins": c.plugins.iter().map(|(name, cfg)| json!({"Name": name, "Config": cfg})).collect::<Vec<_>>(),
        "Version": {"Version": VERSION, "VersionPrerelease": "", "VersionMetadata": "", "Revision": ""},
        "Files": c.files.iter().map(|f| f.display().to_string()).collect::<Vec<_>>(),
    });
    AgentInfo {
        name: c.name.clone(),
        region: c.region.clone(),
        datacenter: c.datacenter.clone(),
        version: VERSION.to_string(),
        http_addr: http,
        rpc_addr: c.advertise.rpc,
        serf_addr: c.advertise.serf,
        server: c.server.enabled,
        client: c.client.enabled,
        dev: c.dev,
        config,
    }
}
