//! `nomad operator raft list-peers [-stale]`: the region's Raft members with their state, as Nomad prints
//! them; `nomad operator raft remove-peer -peer-address=<ip:port> | -peer-id=<id>` removes one.

use std::process::ExitCode;

use clap::{Args, Subcommand};
use serde::Deserialize;

use crate::cli::format::format_list;
use crate::cli::{CliError, GlobalOpts};

#[derive(Debug, Subcommand)]
pub enum RaftCommand {
    /// Display the current Raft peer configuration.
    ListPeers(ListPeersArgs),
    /// Remove a Nomad server from the Raft configuration.
    RemovePeer(RemovePeerArgs),
}

#[derive(Debug, Args)]
pub struct RemovePeerArgs {
    /// Remove the server with this RPC address (`ip:port`).
    #[arg(long)]
    pub peer_address: Option<String>,
    /// Remove the server with this Raft ID.
    #[arg(long)]
    pub peer_id: Option<String>,
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
        RaftCommand::RemovePeer(args) => remove_peer(&args, global),
    }
}

fn remove_peer(args: &RemovePeerArgs, global: &GlobalOpts) -> Result<ExitCode, CliError> {
    let (key, value, what) = match (&args.peer_address, &args.peer_id) {
        (Some(_), Some(_)) => {
            return Err(CliError::Message(
                "Error removing peer: Cannot give both -peer-address and -peer-id".into(),
            ));
        }
        (None, None) => {
            return Err(CliError::Message(
                "Error removing peer: Missing peer address or peer id".into(),
            ));
        }
        (Some(a), None) => ("address", a.clone(), "address"),
        (None, Some(i)) => ("id", i.clone(), "id"),
    };
    let _: (serde_json::Value, _) = global
        .client()
        .delete("/v1/operator/raft/peer", &[(key, value.clone())])
        .map_err(|e| CliError::Message(format!("Error removing peer: {e}")))?;
    println!("Removed peer with {what} \"{value}\"");
    Ok(ExitCode::SUCCESS)
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
