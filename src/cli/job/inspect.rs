//! `nomad job inspect <job>`: the registered job as the API's JSON, `{"Job": ...}`.

use std::process::ExitCode;

use clap::Args;
use nomad_region::structs::Job;

use crate::cli::{CliError, GlobalOpts};

#[derive(Debug, Args)]
pub struct InspectArgs {
    /// The exact job ID.
    pub job: String,
}

pub fn run(args: &InspectArgs, global: &GlobalOpts) -> Result<ExitCode, CliError> {
    let (job, _): (Job, _) = global
        .client()
        .get(&format!("/v1/job/{}", args.job), &[])
        .map_err(|e| match e {
            crate::api_client::ApiError::Status { status: 404, .. } => {
                CliError::Message(format!("No job with id \"{}\" found", args.job))
            }
            other => CliError::Message(format!("Error inspecting job: {other}")),
        })?;
    let body = serde_json::json!({ "Job": job });
    println!(
        "{}",
        serde_json::to_string_pretty(&body).unwrap_or_default()
    );
    Ok(ExitCode::SUCCESS)
}
