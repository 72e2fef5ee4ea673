//! The agent's configuration file, as written: Nomad's agent HCL (or JSON) with every field optional, so
//! that several files, the `-dev` defaults and the command-line flags can be layered with [`FileConfig::merge`].
//! Keys this agent does not know (telemetry, consul, vault, ...) are kept in `unknown` and reported as
//! warnings instead of failing the load, because real Nomad configs carry them.

use std::collections::BTreeMap;

use serde::Deserialize;

/// Free-form values (unknown keys, plugin `config` blocks).
pub type Value = serde_json::Value;

/// One config file (or the overlay built from flags).
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(default)]
pub struct FileConfig {
    pub name: Option<String>,
    pub region: Option<String>,
    pub datacenter: Option<String>,
    pub data_dir: Option<String>,
    pub bind_addr: Option<String>,
    pub log_level: Option<String>,
    pub log_json: Option<bool>,
    pub ports: Option<Ports>,
    pub addresses: Option<Addresses>,
    pub advertise: Option<Addresses>,
    pub server: Option<ServerBlock>,
    pub client: Option<ClientBlock>,
    /// Leave the mesh gracefully on SIGINT / SIGTERM (Nomad's top-level keys).
    pub leave_on_interrupt: Option<bool>,
    pub leave_on_terminate: Option<bool>,
    pub tls: Option<TlsBlock>,
    /// `plugin "<name>" { config { ... } }`, keyed by the label.
    pub plugin: BTreeMap<String, PluginBlock>,
    #[serde(flatten)]
    pub unknown: BTreeMap<String, Value>,
}

/// `ports { http rpc serf }`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(default)]
pub struct Ports {
    pub http: Option<u16>,
    pub rpc: Option<u16>,
    pub serf: Option<u16>,
}

/// `addresses { ... }` and `advertise { ... }`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(default)]
pub struct Addresses {
    pub http: Option<String>,
    pub rpc: Option<String>,
    pub serf: Option<String>,
}

/// `server { ... }`.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(default)]
pub struct ServerBlock {
    pub enabled: Option<bool>,
    pub bootstrap_expect: Option<u32>,
    /// Join the Raft group as a non-voter (it replicates but does not count for quorum).
    pub non_voting_server: Option<bool>,
    /// Nomad's `raft_multiplier` (1-10): scales the Raft timing for slower machines.
    pub raft_multiplier: Option<u32>,
    pub num_schedulers: Option<u32>,
    /// Go duration string, e.g. `"10s"`.
    pub heartbeat_grace: Option<String>,
    /// Go duration string (Nomad: `"10s"`).
    pub min_heartbeat_ttl: Option<String>,
    pub max_heartbeats_per_second: Option<f64>,
    /// RPC addresses of the region's servers, to form the Raft group without mesh discovery.
    pub raft_peers: Option<Vec<String>>,
    pub server_join: Option<ServerJoin>,
    /// Nomad's gossip key (base64), shared by every server of the mesh.
    pub encrypt: Option<String>,
    /// Mesh timing: `wan` (Nomad's default), `lan` (`-dev`) or `fast` (tests on loopback). Not a Nomad key.
    pub gossip_profile: Option<String>,
    #[serde(flatten)]
    pub unknown: BTreeMap<String, Value>,
}

/// `server_join { start_join retry_join retry_interval retry_max }`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(default)]
pub struct ServerJoin {
    pub start_join: Option<Vec<String>>,
    pub retry_join: Option<Vec<String>>,
    /// Go duration string (Nomad: `"30s"`).
    pub retry_interval: Option<String>,
    /// Attempts before giving up; 0 retries forever.
    pub retry_max: Option<u32>,
}

/// `tls { http rpc ca_file cert_file key_file verify_server_hostname verify_https_client }`.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(default)]
pub struct TlsBlock {
    pub http: Option<bool>,
    pub rpc: Option<bool>,
    pub ca_file: Option<String>,
    pub cert_file: Option<String>,
    pub key_file: Option<String>,
    pub verify_server_hostname: Option<bool>,
    pub verify_https_client: Option<bool>,
    #[serde(flatten)]
    pub unknown: BTreeMap<String, Value>,
}

/// `client { ... }`.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(default)]
pub struct ClientBlock {
    pub enabled: Option<bool>,
    pub servers: Option<Vec<String>>,
    pub node_class: Option<String>,
    pub node_pool: Option<String>,
    pub network_interface: Option<String>,
    pub cpu_total_compute: Option<u64>,
    pub memory_total_mb: Option<u64>,
    pub alloc_dir: Option<String>,
    pub state_dir: Option<String>,
    pub meta: Option<BTreeMap<String, String>>,
    pub options: Option<BTreeMap<String, String>>,
    #[serde(flatten)]
    pub unknown: BTreeMap<String, Value>,
}

/// `plugin "<name>" { config { ... } }`.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(default)]
pub struct PluginBlock {
    pub config: BTreeMap<String, Value>,
}

/// `self` wins where `over` is unset.
fn pick<T>(base: Option<T>, over: Option<T>) -> Option<T> {
    over.or(base)
}

impl FileConfig {
    /// Layers `over` on top of `self`: every field set in `over` wins, blocks merge field by field, maps
    /// merge key by key (Nomad's rule for several `-config` files).
    pub fn merge(self, over: FileConfig) -> FileConfig {
        let mut plugin = self.plugin;
        for (name, block) in over.plugin {
            let merged = match plugin.remove(&name) {
                Some(mut base) => {
                    base.config.extend(block.config);
                    base
                }
                None => block,
            };
            plugin.insert(name, merged);
        }
        let mut unknown = self.unknown;
        unknown.extend(over.unknown);
        FileConfig {
            name: pick(self.name, over.name),
            region: pick(self.region, over.region),
            datacenter: pick(self.datacenter, over.datacenter),
            data_dir: pick(self.data_dir, over.data_dir),
            bind_addr: pick(self.bind_addr, over.bind_addr),
            log_level: pick(self.log_level, over.log_level),
            log_json: pick(self.log_json, over.log_json),
            ports: merge_opt(self.ports, over.ports, Ports::merge),
            addresses: merge_opt(self.addresses, over.addresses, Addresses::merge),
            advertise: merge_opt(self.advertise, over.advertise, Addresses::merge),
            server: merge_opt(self.server, over.server, ServerBlock::merge),
            client: merge_opt(self.client, over.client, ClientBlock::merge),
            leave_on_interrupt: pick(self.leave_on_interrupt, over.leave_on_interrupt),
            leave_on_terminate: pick(self.leave_on_terminate, over.leave_on_terminate),
            tls: merge_opt(self.tls, over.tls, TlsBlock::merge),
            plugin,
            unknown,
        }
    }
}

fn merge_opt<T>(base: Option<T>, over: Option<T>, f: fn(T, T) -> T) -> Option<T> {
    match (base, over) {
        (Some(b), Some(o)) => Some(f(b, o)),
        (b, o) => o.or(b),
    }
}

impl Ports {
    fn merge(self, over: Ports) -> Ports {
        Ports {
            http: pick(self.http, over.http),
            rpc: pick(self.rpc, over.rpc),
            serf: pick(self.serf, over.serf),
        }
    }
}

impl Addresses {
    fn merge(self, over: Addresses) -> Addresses {
        Addresses {
            http: pick(self.http, over.http),
            rpc: pick(self.rpc, over.rpc),
            serf: pick(self.serf, over.serf),
        }
    }
}

impl ServerBlock {
    fn merge(self, over: ServerBlock) -> ServerBlock {
        let mut unknown = self.unknown;
        unknown.extend(over.unknown);
        ServerBlock {
            enabled: pick(self.enabled, over.enabled),
            bootstrap_expect: pick(self.bootstrap_expect, over.bootstrap_expect),
            non_voting_server: pick(self.non_voting_server, over.non_voting_server),
            raft_multiplier: pick(self.raft_multiplier, over.raft_multiplier),
            num_schedulers: pick(self.num_schedulers, over.num_schedulers),
            heartbeat_grace: pick(self.heartbeat_grace, over.heartbeat_grace),
            min_heartbeat_ttl: pick(self.min_heartbeat_ttl, over.min_heartbeat_ttl),
            max_heartbeats_per_second: pick(
                self.max_heartbeats_per_second,
                over.max_heartbeats_per_second,
            ),
            raft_peers: pick(self.raft_peers, over.raft_peers),
            server_join: merge_opt(self.server_join, over.server_join, ServerJoin::merge),
            encrypt: pick(self.encrypt, over.encrypt),
            gossip_profile: pick(self.gossip_profile, over.gossip_profile),
            unknown,
        }
    }
}

impl ServerJoin {
    fn merge(self, over: ServerJoin) -> ServerJoin {
        ServerJoin {
            start_join: pick(self.start_join, over.start_join),
            retry_join: pick(self.retry_join, over.retry_join),
            retry_interval: pick(self.retry_interval, over.retry_interval),
            retry_max: pick(self.retry_max, over.retry_max),
        }
    }
}

impl TlsBlock {
    fn merge(self, over: TlsBlock) -> TlsBlock {
        let mut unknown = self.unknown;
        unknown.extend(over.unknown);
        TlsBlock {
            http: pick(self.http, over.http),
            rpc: pick(self.rpc, over.rpc),
            ca_file: pick(self.ca_file, over.ca_file),
            cert_file: pick(self.cert_file, over.cert_file),
            key_file: pick(self.key_file, over.key_file),
            verify_server_hostname: pick(self.verify_server_hostname, over.verify_server_hostname),
            verify_https_client: pick(self.verify_https_client, over.verify_https_client),
            unknown,
        }
    }
}

impl ClientBlock {
    fn merge(self, over: ClientBlock) -> ClientBlock {
        let mut unknown = self.unknown;
        unknown.extend(over.unknown);
        ClientBlock {
            enabled: pick(self.enabled, over.enabled),
            servers: pick(self.servers, over.servers),
            node_class: pick(self.node_class, over.node_class),
            node_pool: pick(self.node_pool, over.node_pool),
            network_interface: pick(self.network_interface, over.network_interface),
            cpu_total_compute: pick(self.cpu_total_compute, over.cpu_total_compute),
            memory_total_mb: pick(self.memory_total_mb, over.memory_total_mb),
            alloc_dir: pick(self.alloc_dir, over.alloc_dir),
            state_dir: pick(self.state_dir, over.state_dir),
            meta: merge_maps(self.meta, over.meta),
            options: merge_maps(self.options, over.options),
            unknown,
        }
    }
}

fn merge_maps(
    base: Option<BTreeMap<String, String>>,
    over: Option<BTreeMap<String, String>>,
) -> Option<BTreeMap<String, String>> {
    match (base, over) {
        (Some(mut b), Some(o)) => {
            b.extend(o);
            Some(b)
        }
        (b, o) => o.or(b),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn later_values_win_and_blocks_merge_field_by_field() {
        let a = FileConfig {
            region: Some("a".into()),
            datacenter: Some("dc-a".into()),
            ports: Some(Ports {
                http: Some(1),
                rpc: Some(2),
                serf: None,
            }),
            ..Default::default()
        };
        let b = FileConfig {
            region: Some("b".into()),
            ports: Some(Ports {
                http: Some(9),
                ..Default::default()
            }),
            ..Default::default()
        };
        let m = a.merge(b);
        assert_eq!(m.region.as_deref(), Some("b"));
        assert_eq!(m.datacenter.as_deref(), Some("dc-a"));
        let ports = m.ports.unwrap_or_default();
        assert_eq!(
            (ports.http, ports.rpc, ports.serf),
            (Some(9), Some(2), None)
        );
    }

    #[test]
    fn client_meta_merges_key_by_key() {
        let meta = |k: &str, v: &str| {
            Some(ClientBlock {
                meta: Some(BTreeMap::from([(k.to_string(), v.to_string())])),
                ..Default::default()
            })
        };
        let a = FileConfig {
            client: meta("a", "1"),
            ..Default::default()
        };
        let b = FileConfig {
            client: meta("b", "2"),
            ..Default::default()
        };
        let m = a.merge(b).client.and_then(|c| c.meta).unwrap_or_default();
        assert_eq!(m.len(), 2);
    }
}
