//! `nomad operator ...`: one file per subcommand family; this file only dispatches.

pub mod gossip_keyring;
pub mod raft;

use std::process::ExitCode;

use clap::Subcommand;

use super::{CliError, GlobalOpts};

#[derive(Debug, Subcommand)]
pub enum OperatorCommand {
    /// Manage the gossip encryption key.
    #[command(subcommand)]
    Gossip(GossipCommand),
    /// Interact with the region's Raft configuration.
    #[command(subcommand)]
    Raft(raft::RaftCommand),
}

#[derive(Debug, Subcommand)]
pub enum GossipCommand {
    /// Manage gossip keys.
    #[command(subcommand)]
    Keyring(gossip_keyring::KeyringCommand),
}

pub fn dispatch(cmd: OperatorCommand, global: &GlobalOpts) -> Result<ExitCode, CliError> {
    match cmd {
        OperatorCommand::Gossip(GossipCommand::Keyring(k)) => gossip_keyring::dispatch(k),
        OperatorCommand::Raft(cmd) => raft::dispatch(cmd, global),
    }
}
