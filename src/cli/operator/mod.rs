//! `nomad operator ...`: one file per subcommand family; this file only dispatches.

pub mod gossip_keyring;

use std::process::ExitCode;

use clap::Subcommand;

use super::CliError;

#[derive(Debug, Subcommand)]
pub enum OperatorCommand {
    /// Manage the gossip encryption key.
    #[command(subcommand)]
    Gossip(GossipCommand),
}

#[derive(Debug, Subcommand)]
pub enum GossipCommand {
    /// Manage gossip keys.
    #[command(subcommand)]
    Keyring(gossip_keyring::KeyringCommand),
}

pub fn dispatch(cmd: OperatorCommand) -> Result<ExitCode, CliError> {
    match cmd {
        OperatorCommand::Gossip(GossipCommand::Keyring(k)) => gossip_keyring::dispatch(k),
    }
}
