//! `nomad job plan <file>`: a scheduler dry-run. Prints the annotated diff, what the scheduler would do,
//! and the `-check-index` hint. Exit codes as Nomad's: 0 no allocations created or destroyed, 1 some
//! would be, 255 error.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Args;

use super::diff::render_job_diff;
use super::load::{LoadedJob, VarArgs, load_job, target_client};
use crate::api_client::types::{JobPlanRequest, JobPlanResponse};
use crate::cli::monitor::placement_failure_lines;
use crate::cli::{CliError, GlobalOpts};

#[derive(Debug, Args)]
pub struct PlanArgs {
    /// Show the job diff (default true).
    #[arg(long, action = clap::ArgAction::Set, default_value_t = true, num_args = 0..=1, require_equals = true, default_missing_value = "true")]
    pub diff: bool,
    /// Show full-length IDs and every field of the diff.
    #[arg(long)]
    pub verbose: bool,
    #[command(flatten)]
    pub vars: VarArgs,
    /// The job file (HCL or JSON).
    pub file: PathBuf,
}

pub fn run(args: &PlanArgs, global: &GlobalOpts) -> Result<ExitCode, CliError> {
    match plan(args, global) {
        Ok(code) => Ok(code),
        Err(e) => {
            e.print();
            Ok(ExitCode::from(255))
        }
    }
}

fn plan(args: &PlanArgs, global: &GlobalOpts) -> Result<ExitCode, CliError> {
    let LoadedJob {
        mut job,
        explicit_region,
    } = load_job(&args.file, &args.vars)?;
    let client = target_client(&mut job, explicit_region, global);
    let path = format!("/v1/job/{}/plan", job.id);
    let request = JobPlanRequest {
        job: Some(job),
        diff: args.diff,
        policy_override: false,
    };
    let (resp, _): (JobPlanResponse, _) = client
        .put(&path, &[], &request)
        .map_err(|e| CliError::Message(format!("Error during plan: {e}")))?;

    let updates = resp
        .annotations
        .as_ref()
        .map(|a| a.desired_tg_updates.clone())
        .unwrap_or_default();
    if let Some(diff) = &resp.diff
        && args.diff
    {
        println!("{}", render_job_diff(diff, &updates, args.verbose));
    }

    println!("Scheduler dry-run:");
    match &resp.failed_tg_allocs {
        Some(failed) if !failed.is_empty() => {
            for (group, metric) in failed {
                let n = metric.coalesced_failures + 1;
                let noun = if n == 1 { "allocation" } else { "allocations" };
                println!("- WARNING: Failed to place all allocations.");
                println!("  Task Group \"{group}\" (failed to place {n} {noun}):");
                for line in placement_failure_lines(metric) {
                    println!("    * {line}");
                }
            }
        }
        _ => println!("- All tasks successfully allocated."),
    }
    println!();
    if !resp.warnings.is_empty() {
        println!("Job Warnings:\n{}\n", resp.warnings);
    }
    let file = args.file.display();
    println!("Job Modify Index: {}", resp.job_modify_index);
    println!("To submit the job with version verification run:\n");
    println!(
        "nomad job run -check-index {} {file}\n",
        resp.job_modify_index
    );
    println!("When running the job with the check-index flag, the job will only be run if the");
    println!("job modify index given matches the server-side version. If the index has");
    println!("changed, another user has modified the job and the plan's results are");
    println!("potentially invalid.");

    let changes = updates
        .values()
        .any(|u| u.place > 0 || u.stop > 0 || u.destructive_update > 0 || u.migrate > 0);
    Ok(if changes {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}
