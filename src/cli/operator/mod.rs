//! `nomad operator ...`: one file per subcommand; this file only dispatches.

pub mod raft;

use std::process::ExitCode;

use clap::Subcommand;

use super::{CliError, GlobalOpts};

#[derive(Debug, Subcommand)]
pub enum OperatorCommand {
    /// Interact with the region's Raft configuration.
    #[command(subcommand)]
    Raft(raft::RaftCommand),
}

pub fn dispatch(cmd: OperatorCommand, global: &GlobalOpts) -> Result<ExitCode, CliError> {
    match cmd {
        OperatorCommand::Raft(cmd) => raft::dispatch(cmd, global),
    }
}
