//! The agent's command-line flags as data, turned into one more config layer: flags win over files.
//! The clap definitions live in `src/cli/agent.rs`; this is the only place flags meet config.

use std::collections::BTreeMap;
use std::path::PathBuf;

use super::file::{Addresses, ClientBlock, FileConfig, ServerBlock, ServerJoin};

/// Every flag `nomad agent` understands, already parsed; unset flags are `None` / empty / false.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Flags {
    pub dev: bool,
    pub server: bool,
    pub client: bool,
    pub config: Vec<PathBuf>,
    pub data_dir: Option<String>,
    pub bind: Option<String>,
    pub region: Option<String>,
    pub dc: Option<String>,
    pub node: Option<String>,
    pub node_class: Option<String>,
    pub node_pool: Option<String>,
    pub log_level: Option<String>,
    pub log_json: bool,
    pub bootstrap_expect: Option<u32>,
    pub non_voting_server: bool,
    pub servers: Vec<String>,
    pub join: Vec<String>,
    pub retry_join: Vec<String>,
    pub retry_max: Option<u32>,
    pub retry_interval: Option<String>,
    pub encrypt: Option<String>,
    pub network_interface: Option<String>,
    pub meta: BTreeMap<String, String>,
}

impl Flags {
    /// The layer these flags add over the files.
    pub fn to_overlay(&self) -> FileConfig {
        let list = |v: &Vec<String>| (!v.is_empty()).then(|| v.clone());
        let join_set = !self.join.is_empty()
            || !self.retry_join.is_empty()
            || self.retry_max.is_some()
            || self.retry_interval.is_some();
        let server = (self.server
            || self.bootstrap_expect.is_some()
            || self.non_voting_server
            || self.encrypt.is_some()
            || join_set)
            .then(|| ServerBlock {
                enabled: self.server.then_some(true),
                bootstrap_expect: self.bootstrap_expect,
                non_voting_server: self.non_voting_server.then_some(true),
                server_join: join_set.then(|| ServerJoin {
                    start_join: list(&self.join),
                    retry_join: list(&self.retry_join),
                    retry_interval: self.retry_interval.clone(),
                    retry_max: self.retry_max,
                }),
                encrypt: self.encrypt.clone(),
                ..Default::default()
            });
        let client_set = self.client
            || !self.servers.is_empty()
            || self.node_class.is_some()
            || self.node_pool.is_some()
            || self.network_interface.is_some()
            || !self.meta.is_empty();
        let client = client_set.then(|| ClientBlock {
            enabled: self.client.then_some(true),
            servers: (!self.servers.is_empty()).then(|| self.servers.clone()),
            node_class: self.node_class.clone(),
            node_pool: self.node_pool.clone(),
            network_interface: self.network_interface.clone(),
            meta: (!self.meta.is_empty()).then(|| self.meta.clone()),
            ..Default::default()
        });
        FileConfig {
            name: self.node.clone(),
            region: self.region.clone(),
            datacenter: self.dc.clone(),
            data_dir: self.data_dir.clone(),
            bind_addr: self.bind.clone(),
            log_level: self.log_level.clone(),
            log_json: self.log_json.then_some(true),
            server,
            client,
            advertise: None::<Addresses>,
            ..Default::default()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flags_override_file_values() {
        let file = FileConfig {
            region: Some("file".into()),
            datacenter: Some("dc-file".into()),
            ..Default::default()
        };
        let flags = Flags {
            region: Some("flag".into()),
            server: true,
            ..Default::default()
        };
        let merged = file.merge(flags.to_overlay());
        assert_eq!(merged.region.as_deref(), Some("flag"));
        assert_eq!(merged.datacenter.as_deref(), Some("dc-file"));
        assert_eq!(merged.server.and_then(|s| s.enabled), Some(true));
    }

    #[test]
    fn join_flags_fill_server_join_without_dropping_file_values() {
        let file = FileConfig {
            server: Some(ServerBlock {
                server_join: Some(ServerJoin {
                    retry_interval: Some("5s".into()),
                    ..Default::default()
                }),
                ..Default::default()
            }),
            ..Default::default()
        };
        let flags = Flags {
            join: vec!["10.0.0.1".into()],
            retry_join: vec!["10.0.0.2:4648".into()],
            ..Default::default()
        };
        let join = file
            .merge(flags.to_overlay())
            .server
            .and_then(|s| s.server_join)
            .unwrap_or_default();
        assert_eq!(join.start_join, Some(vec!["10.0.0.1".to_owned()]));
        assert_eq!(join.retry_join, Some(vec!["10.0.0.2:4648".to_owned()]));
        assert_eq!(join.retry_interval.as_deref(), Some("5s"));
    }

    #[test]
    fn unset_flags_leave_file_blocks_alone() {
        let file = FileConfig {
            client: Some(ClientBlock {
                enabled: Some(true),
                ..Default::default()
            }),
            ..Default::default()
        };
        let merged = file.merge(Flags::default().to_overlay());
        assert_eq!(merged.client.and_then(|c| c.enabled), Some(true));
    }
}
