//! `nomad server ...`: one file per subcommand; this file only dispatches.

pub mod force_leave;
pub mod join;
pub mod members;

use std::process::ExitCode;

use clap::Subcommand;

use super::{CliError, GlobalOpts};

#[derive(Debug, Subcommand)]
pub enum ServerCommand {
    /// Display a list of the known servers and their status.
    Members(members::MembersArgs),
    /// Join server nodes together.
    Join(join::JoinArgs),
    /// Force a server into the 'left' state.
    #[command(name = "force-leave")]
    ForceLeave(force_leave::ForceLeaveArgs),
}

pub fn dispatch(cmd: ServerCommand, global: &GlobalOpts) -> Result<ExitCode, CliError> {
    match cmd {
        ServerCommand::Members(args) => members::run(&args, global),
        ServerCommand::Join(args) => join::run(&args, global),
        ServerCommand::ForceLeave(args) => force_leave::run(&args, global),
    }
}
