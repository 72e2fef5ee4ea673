//! `nomad job ...`: one file per subcommand; this file only dispatches.

mod diff;
pub mod init;
pub mod inspect;
pub mod load;
pub mod plan;
pub mod run;
pub mod status;
pub mod stop;
pub mod validate;

use std::process::ExitCode;

use clap::Subcommand;

use super::{CliError, GlobalOpts};

#[derive(Debug, Subcommand)]
pub enum JobCommand {
    /// Create an example job file.
    Init(init::InitArgs),
    /// Check a job file for syntax and semantic errors.
    Validate(validate::ValidateArgs),
    /// Submit a job (or print it as API JSON with -output).
    Run(run::RunArgs),
    /// Dry-run a job update: what the scheduler would do.
    Plan(plan::PlanArgs),
    /// List jobs, or show one job's status.
    Status(status::StatusArgs),
    /// Stop a running job.
    Stop(stop::StopArgs),
    /// Print a registered job as JSON.
    Inspect(inspect::InspectArgs),
}

pub fn dispatch(cmd: JobCommand, global: &GlobalOpts) -> Result<ExitCode, CliError> {
    match cmd {
        JobCommand::Init(args) => init::run(&args),
        JobCommand::Validate(args) => validate::run(&args),
        JobCommand::Run(args) => run::run(&args, global),
        JobCommand::Plan(args) => plan::run(&args, global),
        JobCommand::Status(args) => status::run(&args, global),
        JobCommand::Stop(args) => stop::run(&args, global),
        JobCommand::Inspect(args) => inspect::run(&args, global),
    }
}
