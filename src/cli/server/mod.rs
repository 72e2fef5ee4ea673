//! `nomad server ...`: one file per subcommand; this file only dispatches.

pub mod members;

use std::process::ExitCode;

use clap::Subcommand;

use super::{CliError, GlobalOpts};

#[derive(Debug, Subcommand)]
pub enum ServerCommand {
    /// Display a list of the known servers and their status.
    Members(members::MembersArgs),
}

pub fn dispatch(cmd: ServerCommand, global: &GlobalOpts) -> Result<ExitCode, CliError> {
    match cmd {
        ServerCommand::Members(args) => members::run(&args, global),
    }
}
