//! `nomad status [prefix]`: with no argument the job list; with an ID prefix, route to the status command
//! of whatever it names: a job, a node, an allocation or an evaluation, tried in that order.

use std::process::ExitCode;

use clap::Args;
use nomad_region::structs::{AllocListStub, Evaluation, JobListStub, NodeListStub};

use super::{CliError, GlobalOpts, alloc, eval, job, node};

#[derive(Debug, Args)]
pub struct StatusArgs {
    /// Show full-length IDs.
    #[arg(long)]
    pub verbose: bool,
    /// An ID or prefix of a job, node, allocation or evaluation.
    pub id: Option<String>,
}

pub fn run(args: &StatusArgs, global: &GlobalOpts) -> Result<ExitCode, CliError> {
    let verbose = args.verbose;
    let Some(id) = args.id.clone() else {
        return job::status::run(
            &job::status::StatusArgs {
                verbose,
                all_allocs: false,
                json: false,
                job: None,
            },
            global,
        );
    };
    let client = global.client();
    let prefix = [("prefix", id.clone())];
    let (jobs, _): (Vec<JobListStub>, _) = client.get("/v1/jobs", &prefix)?;
    if !jobs.is_empty() {
        let args = job::status::StatusArgs {
            verbose,
            all_allocs: false,
            json: false,
            job: Some(id),
        };
        return job::status::run(&args, global);
    }
    let (nodes, _): (Vec<NodeListStub>, _) = client.get("/v1/nodes", &prefix)?;
    if !nodes.is_empty() {
        return node::status::run(
            &node::status::NodeStatusArgs {
                verbose,
                json: false,
                node: Some(id),
            },
            global,
        );
    }
    let (allocs, _): (Vec<AllocListStub>, _) = client.get("/v1/allocations", &prefix)?;
    if !allocs.is_empty() {
        let args = alloc::status::AllocStatusArgs {
            stats: false,
            short: false,
            verbose,
            json: false,
            alloc: id,
        };
        return alloc::status::run(&args, global);
    }
    let (evals, _): (Vec<Evaluation>, _) = client.get("/v1/evaluations", &prefix)?;
    if !evals.is_empty() {
        return eval::status::run(
            &eval::status::EvalStatusArgs {
                verbose,
                json: false,
                eval: id,
            },
            global,
        );
    }
    Err(CliError::Message(format!(
        "No matches returned for query \"{id}\""
    )))
}
