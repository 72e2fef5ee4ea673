//! `nomad eval ...`: one file per subcommand; this file only dispatches.

pub mod status;

use std::process::ExitCode;

use clap::Subcommand;

use super::{CliError, GlobalOpts};

#[derive(Debug, Subcommand)]
pub enum EvalCommand {
    /// Display evaluation status and placement failures.
    Status(status::EvalStatusArgs),
}

pub fn dispatch(cmd: EvalCommand, global: &GlobalOpts) -> Result<ExitCode, CliError> {
    match cmd {
        EvalCommand::Status(args) => status::run(&args, global),
    }
}
