//! `nomad job stop [-purge] [-detach] [-yes] <job>`: deregister a job and monitor the evaluation that
//! stops its allocations.

use std::process::ExitCode;

use clap::Args;
use nomad_region::structs::JobListStub;

use crate::api_client::types::JobDeregisterResponse;
use crate::cli::monitor::monitor_eval;
use crate::cli::{CliError, GlobalOpts};

#[derive(Debug, Args)]
pub struct StopArgs {
    /// Remove the job from the state entirely instead of marking it stopped.
    #[arg(long)]
    pub purge: bool,
    /// Return immediately instead of monitoring the evaluation.
    #[arg(long)]
    pub detach: bool,
    /// Do not ask for confirmation (stop never asks here; accepted for compatibility).
    #[arg(long)]
    pub yes: bool,
    /// Show full-length IDs.
    #[arg(long)]
    pub verbose: bool,
    /// The job ID or a unique prefix of it.
    pub job: String,
}

pub fn run(args: &StopArgs, global: &GlobalOpts) -> Result<ExitCode, CliError> {
    let client = global.client();
    let (jobs, _): (Vec<JobListStub>, _) =
        client.get("/v1/jobs", &[("prefix", args.job.clone())])?;
    let id = match jobs.iter().find(|j| j.id == args.job) {
        Some(j) => j.id.clone(),
        None if jobs.len() == 1 => jobs[0].id.clone(),
        None if jobs.is_empty() => {
            return Err(CliError::Message(format!(
                "No job(s) with prefix or id \"{}\" found",
                args.job
            )));
        }
        None => {
            let ids: Vec<&str> = jobs.iter().map(|j| j.id.as_str()).collect();
            return Err(CliError::Message(format!(
                "Prefix matched multiple jobs: {}",
                ids.join(", ")
            )));
        }
    };
    let purge = if args.purge { "true" } else { "false" };
    let (resp, _): (JobDeregisterResponse, _) = client
        .delete(&format!("/v1/job/{id}"), &[("purge", purge.to_owned())])
        .map_err(|e| CliError::Message(format!("Error deregistering job: {e}")))?;
    if resp.eval_id.is_empty() {
        return Ok(ExitCode::SUCCESS);
    }
    if args.detach {
        println!("{}", resp.eval_id);
        return Ok(ExitCode::SUCCESS);
    }
    let outcome = monitor_eval(&client, &resp.eval_id, args.verbose)?;
    Ok(if outcome.status == "complete" {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(2)
    })
}
