//! `nomad agent`: Nomad's agent flags (single-dash forms are normalized before clap sees them), turned
//! into [`crate::config::Flags`]; config loading, the runtime and the engine live in `config` and `agent`.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::Args;

use super::CliError;
use crate::config::{self, Flags};

/// `nomad agent [options]`.
#[derive(Debug, Clone, Default, Args)]
pub struct AgentArgs {
    /// Start the agent in development mode: server and client, in-memory state, raw_exec enabled.
    #[arg(long)]
    pub dev: bool,
    /// Enable server mode for the agent.
    #[arg(long)]
    pub server: bool,
    /// Enable client mode for the agent.
    #[arg(long)]
    pub client: bool,
    /// A config file or directory of config files to load; may be given several times.
    #[arg(long = "config", value_name = "PATH")]
    pub config: Vec<PathBuf>,
    /// The data directory used to store state and other persistent data.
    #[arg(long = "data-dir", value_name = "PATH")]
    pub data_dir: Option<String>,
    /// The address the agent binds all network services to.
    #[arg(long, value_name = "ADDR")]
    pub bind: Option<String>,
    /// The region the agent belongs to.
    #[arg(long, value_name = "REGION")]
    pub region: Option<String>,
    /// The datacenter the agent belongs to.
    #[arg(long = "dc", value_name = "DC")]
    pub dc: Option<String>,
    /// The name of the local agent.
    #[arg(long = "node", value_name = "NAME")]
    pub node: Option<String>,
    /// The class of this client node.
    #[arg(long = "node-class", value_name = "CLASS")]
    pub node_class: Option<String>,
    /// The node pool of this client node.
    #[arg(long = "node-pool", value_name = "POOL")]
    pub node_pool: Option<String>,
    /// The logging level: TRACE, DEBUG, INFO, WARN or ERROR.
    #[arg(long = "log-level", value_name = "LEVEL")]
    pub log_level: Option<String>,
    /// Output logs as JSON.
    #[arg(long = "log-json")]
    pub log_json: bool,
    /// Number of servers to wait for before bootstrapping.
    #[arg(long = "bootstrap-expect", value_name = "N")]
    pub bootstrap_expect: Option<u32>,
    /// Join the Raft group as a non-voting server.
    #[arg(long = "non-voting-server")]
    pub non_voting_server: bool,
    /// Servers the client connects to (comma separated or repeated).
    #[arg(long, value_name = "ADDRS", value_delimiter = ',')]
    pub servers: Vec<String>,
    /// Address of an agent to join at start time (repeatable).
    #[arg(long, value_name = "ADDR")]
    pub join: Vec<String>,
    /// Address of an agent to join, retried until it works (repeatable).
    #[arg(long = "retry-join", value_name = "ADDR")]
    pub retry_join: Vec<String>,
    /// Maximum number of join attempts (0: no limit).
    #[arg(long = "retry-max", value_name = "N")]
    pub retry_max: Option<u32>,
    /// Time to wait between join attempts, e.g. `30s`.
    #[arg(long = "retry-interval", value_name = "DURATION")]
    pub retry_interval: Option<String>,
    /// The gossip encryption key (base64).
    #[arg(long, value_name = "KEY")]
    pub encrypt: Option<String>,
    /// The network interface to fingerprint and advertise.
    #[arg(long = "network-interface", value_name = "IFACE")]
    pub network_interface: Option<String>,
    /// Client metadata `key=value` (repeatable).
    #[arg(long, value_name = "KEY=VALUE")]
    pub meta: Vec<String>,
}

impl AgentArgs {
    /// The flags as config data.
    pub fn to_flags(&self) -> Result<Flags, CliError> {
        let mut meta = BTreeMap::new();
        for kv in &self.meta {
            let Some((k, v)) = kv.split_once('=') else {
                return Err(CliError::Message(format!(
                    "Invalid meta {kv:?}: expected key=value"
                )));
            };
            meta.insert(k.to_string(), v.to_string());
        }
        Ok(Flags {
            dev: self.dev,
            server: self.server,
            client: self.client,
            config: self.config.clone(),
            data_dir: self.data_dir.clone(),
            bind: self.bind.clone(),
            region: self.region.clone(),
            dc: self.dc.clone(),
            node: self.node.clone(),
            node_class: self.node_class.clone(),
            node_pool: self.node_pool.clone(),
            log_level: self.log_level.clone(),
            log_json: self.log_json,
            bootstrap_expect: self.bootstrap_expect,
            non_voting_server: self.non_voting_server,
            servers: self.servers.clone(),
            join: self.join.clone(),
            retry_join: self.retry_join.clone(),
            retry_max: self.retry_max,
            retry_interval: self.retry_interval.clone(),
            encrypt: self.encrypt.clone(),
            network_interface: self.network_interface.clone(),
            meta,
        })
    }
}

/// Runs the agent until Ctrl-C or SIGTERM; exit 0 after a clean shutdown.
pub fn run(args: &AgentArgs) -> Result<ExitCode, CliError> {
    let flags = args.to_flags()?;
    let config = config::build(&flags).map_err(|e| CliError::Message(e.to_string()))?;
    crate::agent::logging::init(&config.log_level);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .thread_name("nomad-agent")
        .build()
        .map_err(|e| CliError::Message(format!("Failed to start the runtime: {e}")))?;
    runtime
        .block_on(crate::agent::run_until(
            config,
            crate::agent::signals::shutdown_signal(),
        ))
        .map_err(|e| CliError::Message(e.to_string()))?;
    Ok(ExitCode::SUCCESS)
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    #[derive(Parser)]
    struct Wrapper {
        #[command(flatten)]
        args: AgentArgs,
    }

    #[test]
    fn flags_parse_into_config_flags() -> Result<(), Box<dyn std::error::Error>> {
        let w = Wrapper::try_parse_from([
            "agent",
            "--dev",
            "--config",
            "/a.hcl",
            "--config=/etc/nomad.d",
            "--dc",
            "dc2",
            "--servers",
            "a:4647,b:4647",
            "--meta",
            "rack=r1",
            "--bootstrap-expect",
            "1",
        ])?;
        let f = w.args.to_flags()?;
        assert!(f.dev);
        assert_eq!(f.config.len(), 2);
        assert_eq!(f.dc.as_deref(), Some("dc2"));
        assert_eq!(f.servers, vec!["a:4647", "b:4647"]);
        assert_eq!(f.meta.get("rack").map(String::as_str), Some("r1"));
        assert_eq!(f.bootstrap_expect, Some(1));
        Ok(())
    }

    #[test]
    fn bad_meta_is_an_error() {
        let args = AgentArgs {
            meta: vec!["novalue".into()],
            ..Default::default()
        };
        assert!(args.to_flags().is_err());
    }
}
