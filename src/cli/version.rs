//! `nomad version`.

use std::process::ExitCode;

use super::CliError;

pub fn run() -> Result<ExitCode, CliError> {
    println!("Nomad v{}", env!("CARGO_PKG_VERSION"));
    Ok(ExitCode::SUCCESS)
}
