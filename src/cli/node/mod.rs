//! `nomad node ...`: one file per subcommand; this file only dispatches.

pub mod status;

use std::process::ExitCode;

use clap::Subcommand;

use super::{CliError, GlobalOpts};

#[derive(Debug, Subcommand)]
pub enum NodeCommand {
    /// Display status information about nodes.
    Status(status::NodeStatusArgs),
}

pub fn dispatch(cmd: NodeCommand, global: &GlobalOpts) -> Result<ExitCode, CliError> {
    match cmd {
        NodeCommand::Status(args) => status::run(&args, global),
    }
}
