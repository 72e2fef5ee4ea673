//! `nomad job validate <file>`: parse and check a job locally, submit nothing.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Args;

use super::load::{VarArgs, load_job};
use crate::cli::CliError;

#[derive(Debug, Args)]
pub struct ValidateArgs {
    #[command(flatten)]
    pub vars: VarArgs,
    /// The job file (HCL or JSON).
    pub file: PathBuf,
}

pub fn run(args: &ValidateArgs) -> Result<ExitCode, CliError> {
    load_job(&args.file, &args.vars)?;
    println!("Job validation successful");
    Ok(ExitCode::SUCCESS)
}
