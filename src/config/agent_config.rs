//! The checked agent configuration: every layer merged, defaults filled in, addresses resolved. The only
//! way to get an [`AgentConfig`] is [`AgentConfig::from_file`], which validates; the rest of the agent reads
//! config from here and nowhere else.

use std::collections::BTreeMap;
use std::net::{IpAddr, Ipv4Addr, SocketAddr, UdpSocket};
use std::path::PathBuf;

use super::defaults as d;
use super::file::{Addresses, FileConfig, Value};
use super::gossip::{self, GossipProfile, TlsSettings};
use super::{ConfigError, Result};

/// Nomad's log levels, in increasing severity.
pub const LOG_LEVELS: &[&str] = &["TRACE", "DEBUG", "INFO", "WARN", "ERROR"];

/// The agent's configuration, validated.
#[derive(Debug, Clone, PartialEq)]
pub struct AgentConfig {
    pub dev: bool,
    /// Node (and server) name.
    pub name: String,
    pub region: String,
    pub datacenter: String,
    /// `None` only in `-dev` without `-data-dir`: the agent makes a temporary one.
    pub data_dir: Option<PathBuf>,
    /// What the listeners bind to.
    pub bind: ServiceAddrs,
    /// What the agent tells others to use.
    pub advertise: ServiceAddrs,
    /// Upper case, one of [`LOG_LEVELS`].
    pub log_level: String,
    pub log_json: bool,
    pub server: ServerSettings,
    pub client: ClientSettings,
    /// Leave the mesh gracefully on SIGINT / SIGTERM before stopping.
    pub leave_on_interrupt: bool,
    pub leave_on_terminate: bool,
    /// Mutual TLS for the mesh (`tls { rpc = true ... }`).
    pub tls: Option<TlsSettings>,
    /// `plugin "<name>" { config {...} }` blocks.
    pub plugins: BTreeMap<String, BTreeMap<String, Value>>,
    /// Files read, in order.
    pub files: Vec<PathBuf>,
    /// Keys that were ignored, one line each.
    pub warnings: Vec<String>,
}

/// Socket addresses of the three services.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ServiceAddrs {
    pub http: SocketAddr,
    pub rpc: SocketAddr,
    pub serf: SocketAddr,
}

#[derive(Debug, Clone, PartialEq)]
pub struct ServerSettings {
    pub enabled: bool,
    pub bootstrap_expect: u32,
    /// `non_voting_server`: a Raft learner, not a voter.
    pub non_voting_server: bool,
    /// `raft_multiplier`, 1-10.
    pub raft_multiplier: u32,
    pub num_schedulers: u32,
    /// Nanoseconds.
    pub heartbeat_grace: i64,
    /// Nanoseconds.
    pub min_heartbeat_ttl: i64,
    pub max_heartbeats_per_second: f64,
    /// `server { raft_peers = [...] }`: the servers' RPC addresses (`host:port`), this one included or
    /// not, forming the Raft group statically.
    pub raft_peers: Vec<std::net::SocketAddr>,
    pub retry_join: Vec<String>,
    /// `server_join.start_join` / `-join`: joined at start, which fails if none answers.
    pub start_join: Vec<String>,
    pub retry_interval: std::time::Duration,
    /// 0: retry forever.
    pub retry_max: u32,
    /// Gossip key (base64), already checked.
    pub encrypt: Option<String>,
    pub gossip_profile: GossipProfile,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientSettings {
    pub enabled: bool,
    pub servers: Vec<String>,
    pub node_class: String,
    pub node_pool: String,
    pub network_interface: Option<String>,
    pub cpu_total_compute: Option<u64>,
    pub memory_total_mb: Option<u64>,
    pub alloc_dir: Option<PathBuf>,
    pub state_dir: Option<PathBuf>,
    pub meta: BTreeMap<String, String>,
    pub options: BTreeMap<String, String>,
}

impl AgentConfig {
    /// Fills defaults into the merged layers and checks them.
    pub fn from_file(dev: bool, c: FileConfig, files: Vec<PathBuf>) -> Result<AgentConfig> {
        let mut warnings: Vec<String> = c
            .unknown
            .keys()
            .map(|k| format!("ignoring unsupported config key {k:?}"))
            .collect();
        let server = c.server.unwrap_or_default();
        let client = c.client.unwrap_or_default();
        warnings.extend(
            server
                .unknown
                .keys()
                .map(|k| format!("ignoring unsupported config key \"server.{k}\"")),
        );
        warnings.extend(
            client
                .unknown
                .keys()
                .map(|k| format!("ignoring unsupported config key \"client.{k}\"")),
        );
        let server_enabled = server.enabled.unwrap_or(false);
        let client_enabled = client.enabled.unwrap_or(false);
        if !dev && !server_enabled && !client_enabled {
            return Err(invalid(
                "Must specify either server, client or dev mode for the agent.",
            ));
        }
        let data_dir = match c.data_dir.filter(|s| !s.is_empty()) {
            Some(dir) => {
                let dir = PathBuf::from(dir);
                if !dir.is_absolute() {
                    return Err(invalid(format!(
                        "Data directory must be an absolute path: {}",
                        dir.display()
                    )));
                }
                Some(dir)
            }
            None if dev => None,
            None => return Err(invalid("Must specify data directory")),
        };
        let log_level = c
            .log_level
            .unwrap_or_else(|| d::DEFAULT_LOG_LEVEL.into())
            .to_uppercase();
        if !LOG_LEVELS.contains(&log_level.as_str()) {
            return Err(invalid(format!(
                "Invalid log level: {log_level}. Valid log levels are: [TRACE DEBUG INFO WARN ERROR]"
            )));
        }
        let bootstrap_expect = server.bootstrap_expect.unwrap_or(0);
        if bootstrap_expect > 0 && !server_enabled {
            return Err(invalid("Bootstrap requires server mode to be enabled"));
        }
        if dev && bootstrap_expect > 1 {
            return Err(invalid(
                "Bootstrap mode with expect > 1 is not supported in dev mode",
            ));
        }
        let raft_multiplier = server.raft_multiplier.unwrap_or(1);
        if !(1..=10).contains(&raft_multiplier) {
            return Err(invalid(format!(
                "server.raft_multiplier cannot be {raft_multiplier}. Must be between 1 and 10"
            )));
        }
        let non_voting_server = server.non_voting_server.unwrap_or(false);
        if non_voting_server && bootstrap_expect == 1 {
            return Err(invalid(
                "server.non_voting_server with bootstrap_expect = 1: a non-voting server cannot form a region alone",
            ));
        }
        let region = non_empty(c.region, d::DEFAULT_REGION, "region")?;
        let datacenter = non_empty(c.datacenter, d::DEFAULT_DATACENTER, "datacenter")?;
        let heartbeat_grace = nomad_region::duration::parse_duration(
            server
                .heartbeat_grace
                .as_deref()
                .unwrap_or(d::DEFAULT_HEARTBEAT_GRACE),
        )
        .map_err(|e| invalid(format!("server.heartbeat_grace: {e}")))?;
        let join = gossip::join_settings(server.server_join)?;
        let encrypt = gossip::encrypt(server.encrypt)?;
        let gossip_profile = GossipProfile::parse(server.gossip_profile.as_deref(), dev)?;
        let tls = gossip::tls(c.tls, &mut warnings)?;
        let min_heartbeat_ttl = nomad_region::duration::parse_duration(
            server
                .min_heartbeat_ttl
                .as_deref()
                .unwrap_or(d::DEFAULT_MIN_HEARTBEAT_TTL),
        )
        .map_err(|e| invalid(format!("server.min_heartbeat_ttl: {e}")))?;
        let max_heartbeats_per_second = server
            .max_heartbeats_per_second
            .unwrap_or(d::DEFAULT_MAX_HEARTBEATS_PER_SECOND);
        if !(max_heartbeats_per_second > 0.0 && max_heartbeats_per_second.is_finite()) {
            return Err(invalid(format!(
                "server.max_heartbeats_per_second must be a positive number, got {max_heartbeats_per_second}"
            )));
        }
        let mut raft_peers = Vec::new();
        for p in server.raft_peers.unwrap_or_default() {
            let addr: SocketAddr = p.parse().map_err(|_| {
                invalid(format!(
                    "server.raft_peers: {p:?} is not an ip:port address"
                ))
            })?;
            raft_peers.push(addr);
        }
        let (bind, advertise) = resolve_addrs(
            c.bind_addr.as_deref().unwrap_or(d::DEFAULT_BIND_ADDR),
            c.ports.unwrap_or_default(),
            c.addresses.unwrap_or_default(),
            c.advertise.unwrap_or_default(),
        )?;
        Ok(AgentConfig {
            dev,
            name: c
                .name
                .filter(|s| !s.is_empty())
                .unwrap_or_else(d::node_name),
            region,
            datacenter,
            data_dir,
            bind,
            advertise,
            log_level,
            log_json: c.log_json.unwrap_or(false),
            server: ServerSettings {
                enabled: server_enabled,
                bootstrap_expect,
                non_voting_server,
                raft_multiplier,
                num_schedulers: server
                    .num_schedulers
                    .filter(|n| *n > 0)
                    .unwrap_or_else(d::num_schedulers),
                heartbeat_grace,
                retry_join: join.retry_join,
                start_join: join.start_join,
                retry_interval: join.retry_interval,
                retry_max: join.retry_max,
                encrypt,
                gossip_profile,
                min_heartbeat_ttl,
                max_heartbeats_per_second,
                raft_peers,
            },
            client: ClientSettings {
                enabled: client_enabled,
                servers: client.servers.unwrap_or_default(),
                node_class: client.node_class.unwrap_or_default(),
                node_pool: client
                    .node_pool
                    .unwrap_or_else(|| d::DEFAULT_NODE_POOL.into()),
                network_interface: client.network_interface,
                cpu_total_compute: client.cpu_total_compute,
                memory_total_mb: client.memory_total_mb,
                alloc_dir: client.alloc_dir.map(PathBuf::from),
                state_dir: client.state_dir.map(PathBuf::from),
                meta: client.meta.unwrap_or_default(),
                options: client.options.unwrap_or_default(),
            },
            leave_on_interrupt: c.leave_on_interrupt.unwrap_or(false),
            leave_on_terminate: c.leave_on_terminate.unwrap_or(false),
            tls,
            plugins: c.plugin.into_iter().map(|(k, v)| (k, v.config)).collect(),
            files,
            warnings,
        })
    }

    /// True when `plugin "raw_exec" { config { enabled = true } }` (or `-dev`) turned raw_exec on. The legacy
    /// client option `driver.raw_exec.enable` counts too.
    pub fn raw_exec_enabled(&self) -> bool {
        let plugin = self
            .plugins
            .get("raw_exec")
            .and_then(|c| c.get("enabled"))
            .is_some_and(is_truthy);
        let legacy = self
            .client
            .options
            .get("driver.raw_exec.enable")
            .is_some_and(|v| matches!(v.as_str(), "1" | "true"));
        plugin || legacy
    }
}

fn is_truthy(v: &Value) -> bool {
    match v {
        Value::Bool(b) => *b,
        Value::String(s) => matches!(s.as_str(), "1" | "true"),
        _ => false,
    }
}

fn invalid(msg: impl Into<String>) -> ConfigError {
    ConfigError::Invalid(msg.into())
}

fn non_empty(v: Option<String>, default: &str, what: &str) -> Result<String> {
    let v = v.unwrap_or_else(|| default.to_string());
    if v.is_empty() || v.chars().any(|c| c.is_whitespace() || c == '/') {
        return Err(invalid(format!("Invalid {what} {v:?}")));
    }
    Ok(v)
}

fn parse_ip(s: &str, what: &str) -> Result<IpAddr> {
    if s == "localhost" {
        return Ok(IpAddr::V4(Ipv4Addr::LOCALHOST));
    }
    s.parse()
        .map_err(|_| invalid(format!("Failed to parse {what} address {s:?}")))
}

/// Bind addresses (bind_addr, overridden per service by `addresses`) and advertise addresses (`advertise`,
/// else the bind address, else, for `0.0.0.0`, this host's outbound IP).
fn resolve_addrs(
    bind_addr: &str,
    ports: super::file::Ports,
    addresses: Addresses,
    advertise: Addresses,
) -> Result<(ServiceAddrs, ServiceAddrs)> {
    let base = parse_ip(bind_addr, "bind")?;
    let http_port = ports.http.unwrap_or(d::DEFAULT_HTTP_PORT);
    let rpc_port = ports.rpc.unwrap_or(d::DEFAULT_RPC_PORT);
    let serf_port = ports.serf.unwrap_or(d::DEFAULT_SERF_PORT);
    let bind_ip = |o: &Option<String>, what| match o {
        Some(s) => parse_ip(s, what),
        None => Ok(base),
    };
    let bind = ServiceAddrs {
        http: SocketAddr::new(bind_ip(&addresses.http, "http")?, http_port),
        rpc: SocketAddr::new(bind_ip(&addresses.rpc, "rpc")?, rpc_port),
        serf: SocketAddr::new(bind_ip(&addresses.serf, "serf")?, serf_port),
    };
    let adv = |o: &Option<String>, b: SocketAddr| -> Result<SocketAddr> {
        match o {
            Some(s) => match s.parse::<SocketAddr>() {
                Ok(a) => Ok(a),
                Err(_) => Ok(SocketAddr::new(parse_ip(s, "advertise")?, b.port())),
            },
            None if b.ip().is_unspecified() => Ok(SocketAddr::new(outbound_ip(), b.port())),
            None => Ok(b),
        }
    };
    let advertise = ServiceAddrs {
        http: adv(&advertise.http, bind.http)?,
        rpc: adv(&advertise.rpc, bind.rpc)?,
        serf: adv(&advertise.serf, bind.serf)?,
    };
    Ok((bind, advertise))
}

/// The IP this host would use to reach the network (no packet is sent), or loopback.
fn outbound_ip() -> IpAddr {
    UdpSocket::bind("0.0.0.0:0")
        .and_then(|s| {
            s.connect("10.254.254.254:1")?;
            s.local_addr()
        })
        .map(|a| a.ip())
        .unwrap_or(IpAddr::V4(Ipv4Addr::LOCALHOST))
}

#[cfg(test)]
#[path = "agent_config_tests.rs"]
mod tests;
