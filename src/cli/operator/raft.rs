//! `nomad operator raft list-peers [-stale]`: the region's Raft members with their state, as Nomad prints
//! them.

use std::process::ExitCode;

use clap::{Args, Subcommand};
use serde::Deserialize;

use crate::cli::format::format_list;
use crate::cli::{CliError, GlobalOpts};

#[derive(Debug, Subcommand)]
pub enum RaftCommand {
    /// Display the current Raft peer configuration.
    ListPeers(ListPeersArgs),
}

#[derive(Debug, Args)]
pub struct ListPeersArgs {
    /// Let any server answer from its own state instead of the leader.
    #[arg(long)]
    pub stale: bool,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
struct RaftConfiguration {
    servers: Vec<RaftServer>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
struct RaftServer {
    #[serde(rename = "ID")]
    id: String,
    node: String,
    address: String,
    leader: bool,
    voter: bool,
    raft_protocol: String,
}

pub fn dispatch(cmd: RaftCommand, global: &GlobalOpts) -> Result<ExitCode, CliError> {
    match cmd {
        RaftCommand::ListPeers(args) => list_peers(&args, global),
    }
}

fn list_peers(args: &ListPeersArgs, global: &GlobalOpts) -> Result<ExitCode, CliError> {
    let query: Vec<(&str, String)> = if args.stale {
        vec![("stale", "true".to_string())]
    } else {
        Vec::new()
    };
    let (config, _): (RaftConfiguration, _) = global
        .client()
        .get("/v1/operator/raft/configuration", &query)
        .map_err(|e| CliError::Message(format!("Failed to retrieve raft configuration: {e}")))?;
    let mut rows = vec!["Node|ID|Address|State|Voter|RaftProtocol".to_string()];
    for s in &config.servers {
        let state = if s.leader { "leader" } else { "follower" };
        rows.push(format!(
            "{}|{}|{}|{state}|{}|{}",
            s.node, s.id, s.address, s.voter, s.raft_protocol
        ));
    }
    println!("{}", format_list(&rows));
    Ok(ExitCode::SUCCESS)
}
