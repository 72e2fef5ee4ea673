//! `nomad job run <file>`: submit a job and monitor its evaluation. With `-output`, print the job as the
//! API's JSON (`{"Job": ...}`) and submit nothing. Exit codes as Nomad's: 0 placed, 2 placement failures,
//! 1 any other error.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Args;

use super::load::{LoadedJob, VarArgs, load_job, target_client};
use crate::api_client::types::{JobRegisterRequest, JobRegisterResponse};
use crate::cli::monitor::monitor_eval;
use crate::cli::{CliError, GlobalOpts};

#[derive(Debug, Args)]
pub struct RunArgs {
    /// Print the JSON that would be submitted to the HTTP API, without submitting the job.
    #[arg(long)]
    pub output: bool,
    /// Return immediately instead of monitoring the evaluation.
    #[arg(long)]
    pub detach: bool,
    /// Submit only if the job's modify index on the server is this one (0: the job must not exist).
    #[arg(long = "check-index", value_name = "index")]
    pub check_index: Option<u64>,
    /// Show full-length IDs.
    #[arg(long)]
    pub verbose: bool,
    /// Keep the current counts of the job's groups when updating it.
    #[arg(long = "preserve-counts")]
    pub preserve_counts: bool,
    #[command(flatten)]
    pub vars: VarArgs,
    /// The job file (HCL or JSON).
    pub file: PathBuf,
}

pub fn run(args: &RunArgs, global: &GlobalOpts) -> Result<ExitCode, CliError> {
    let LoadedJob {
        mut job,
        explicit_region,
    } = load_job(&args.file, &args.vars)?;
    if args.output {
        let body = serde_json::json!({ "Job": job });
        let text = serde_json::to_string_pretty(&body)
            .map_err(|e| CliError::Message(format!("encoding job: {e}")))?;
        println!("{text}");
        return Ok(ExitCode::SUCCESS);
    }
    let client = target_client(&mut job, explicit_region, global);
    let request = JobRegisterRequest {
        job: Some(job),
        enforce_index: args.check_index.is_some(),
        job_modify_index: args.check_index.unwrap_or(0),
        preserve_counts: args.preserve_counts,
        ..Default::default()
    };
    let (resp, _): (JobRegisterResponse, _) = client
        .put("/v1/jobs", &[], &request)
        .map_err(|e| CliError::Message(format!("Error submitting job: {e}")))?;
    if !resp.warnings.is_empty() {
        println!("Job Warnings:\n{}\n", resp.warnings);
    }
    if resp.eval_id.is_empty() {
        // Periodic and parameterized jobs are registered without an evaluation.
        println!("Job registration successful");
        return Ok(ExitCode::SUCCESS);
    }
    if args.detach {
        println!("Job registration successful");
        println!("Evaluation ID: {}", resp.eval_id);
        return Ok(ExitCode::SUCCESS);
    }
    let outcome = monitor_eval(&client, &resp.eval_id, args.verbose)?;
    Ok(
        if outcome.placement_failed || outcome.status != "complete" {
            ExitCode::from(2)
        } else {
            ExitCode::SUCCESS
        },
    )
}
