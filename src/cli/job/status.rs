//! `nomad job status [-verbose] [-all-allocs] [job]`: the job list, or one job's details with its Summary
//! and Allocations tables. An ID prefix that matches several jobs lists the candidates.

use std::process::ExitCode;

use clap::Args;
use nomad_region::structs::{AllocListStub, Job, JobListStub, JobSummary};

use crate::cli::format::{
    format_kv, format_list, format_unix_nanos, now_nanos, pretty_time_ago, short_id,
};
use crate::cli::{CliError, GlobalOpts};

#[derive(Debug, Args)]
pub struct StatusArgs {
    /// Show full-length IDs and exact times.
    #[arg(long)]
    pub verbose: bool,
    /// Show allocations of every version of the job, not only the current.
    #[arg(long = "all-allocs")]
    pub all_allocs: bool,
    /// Print the job as JSON.
    #[arg(long)]
    pub json: bool,
    /// The job ID or a prefix of it; none lists every job.
    pub job: Option<String>,
}

pub fn run(args: &StatusArgs, global: &GlobalOpts) -> Result<ExitCode, CliError> {
    let client = global.client();
    let prefix = args.job.clone().unwrap_or_default();
    let (jobs, _): (Vec<JobListStub>, _) = client.get("/v1/jobs", &[("prefix", prefix.clone())])?;
    if args.job.is_none() {
        if jobs.is_empty() {
            println!("No running jobs");
        } else {
            println!("{}", job_list(&jobs));
        }
        return Ok(ExitCode::SUCCESS);
    }
    let chosen = match jobs.iter().find(|j| j.id == prefix) {
        Some(j) => j,
        None if jobs.len() == 1 => &jobs[0],
        None if jobs.is_empty() => {
            return Err(CliError::Message(format!(
                "No job(s) with prefix or id \"{prefix}\" found"
            )));
        }
        None => {
            println!("Prefix matched multiple jobs\n\n{}", job_list(&jobs));
            return Ok(ExitCode::from(1));
        }
    };
    let (job, _): (Job, _) = client.get(&format!("/v1/job/{}", chosen.id), &[])?;
    if args.json {
        println!("{}", serde_json::to_string_pretty(&job).unwrap_or_default());
        return Ok(ExitCode::SUCCESS);
    }
    let (summary, _): (JobSummary, _) = client.get(&format!("/v1/job/{}/summary", job.id), &[])?;
    let all = if args.all_allocs { "true" } else { "false" };
    let (allocs, _): (Vec<AllocListStub>, _) = client.get(
        &format!("/v1/job/{}/allocations", job.id),
        &[("all", all.to_owned())],
    )?;
    println!("{}", job_detail(&job, &summary, &allocs, args.verbose));
    Ok(ExitCode::SUCCESS)
}

/// Nomad's status word for a job: `dead (stopped)` for a stopped one.
pub fn job_status_word(status: &str, stop: bool) -> String {
    if stop {
        format!("{status} (stopped)")
    } else {
        status.to_owned()
    }
}

fn job_list(jobs: &[JobListStub]) -> String {
    let mut rows = vec!["ID|Type|Priority|Status|Submit Date".to_owned()];
    for j in jobs {
        rows.push(format!(
            "{}|{}|{}|{}|{}",
            j.id,
            j.job_type,
            j.priority,
            job_status_word(&j.status, j.stop),
            format_unix_nanos(j.submit_time)
        ));
    }
    format_list(&rows)
}

fn job_detail(job: &Job, summary: &JobSummary, allocs: &[AllocListStub], verbose: bool) -> String {
    let mut out = String::new();
    let kv = vec![
        format!("ID|{}", job.id),
        format!("Name|{}", job.name),
        format!("Submit Date|{}", format_unix_nanos(job.submit_time)),
        format!("Type|{}", job.job_type),
        format!("Priority|{}", job.priority.unwrap_or(50)),
        format!("Datacenters|{}", job.datacenters.join(",")),
        format!("Namespace|{}", job.namespace),
        format!("Node Pool|{}", job.node_pool),
        format!("Status|{}", job_status_word(&job.status, job.stop)),
        format!("Periodic|{}", job.periodic.is_some()),
        format!("Parameterized|{}", job.parameterized_job.is_some()),
    ];
    out.push_str(&format_kv(&kv));
    out.push_str("\n\nSummary\n");
    let mut rows =
        vec!["Task Group|Queued|Starting|Running|Failed|Complete|Lost|Unknown".to_owned()];
    for (group, s) in &summary.summary {
        rows.push(format!(
            "{group}|{}|{}|{}|{}|{}|{}|{}",
            s.queued, s.starting, s.running, s.failed, s.complete, s.lost, s.unknown
        ));
    }
    out.push_str(&format_list(&rows));
    out.push_str("\n\nAllocations\n");
    if allocs.is_empty() {
        out.push_str("No allocations placed");
    } else {
        out.push_str(&alloc_table(allocs, verbose));
    }
    out
}

/// The `ID | Node ID | Task Group | Version | Desired | Status | Created | Modified` table.
pub fn alloc_table(allocs: &[AllocListStub], verbose: bool) -> String {
    let now = now_nanos();
    let mut sorted: Vec<&AllocListStub> = allocs.iter().collect();
    sorted.sort_by_key(|a| std::cmp::Reverse(a.create_index));
    let mut rows = vec!["ID|Node ID|Task Group|Version|Desired|Status|Created|Modified".to_owned()];
    for a in sorted {
        let (created, modified) = if verbose {
            (
                format_unix_nanos(a.create_time),
                format_unix_nanos(a.modify_time),
            )
        } else {
            (
                pretty_time_ago(a.create_time, now),
                pretty_time_ago(a.modify_time, now),
            )
        };
        rows.push(format!(
            "{}|{}|{}|{}|{}|{}|{created}|{modified}",
            short_id(&a.id, verbose),
            short_id(&a.node_id, verbose),
            a.task_group,
            a.job_version,
            a.desired_status,
            a.client_status
        ));
    }
    format_list(&rows)
}
