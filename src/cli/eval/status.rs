//! `nomad eval status [-verbose] <eval>`: one evaluation's fields and, if it could not place everything,
//! why.

use std::process::ExitCode;

use clap::Args;
use nomad_region::structs::Evaluation;

use crate::cli::format::{format_kv, format_unix_nanos, short_id};
use crate::cli::monitor::placement_failure_lines;
use crate::cli::{CliError, GlobalOpts};

#[derive(Debug, Args)]
pub struct EvalStatusArgs {
    /// Show full-length IDs.
    #[arg(long)]
    pub verbose: bool,
    /// Print the evaluation as JSON.
    #[arg(long)]
    pub json: bool,
    /// The evaluation ID or a prefix of it.
    pub eval: String,
}

pub fn run(args: &EvalStatusArgs, global: &GlobalOpts) -> Result<ExitCode, CliError> {
    let client = global.client();
    let (evals, _): (Vec<Evaluation>, _) =
        client.get("/v1/evaluations", &[("prefix", args.eval.clone())])?;
    let eval = match evals.iter().find(|e| e.id == args.eval) {
        Some(e) => e,
        None if evals.len() == 1 => &evals[0],
        None if evals.is_empty() => {
            return Err(CliError::Message(format!(
                "No evaluation(s) with prefix or id \"{}\" found",
                args.eval
            )));
        }
        None => {
            let ids: Vec<&str> = evals
                .iter()
                .map(|e| short_id(&e.id, args.verbose))
                .collect();
            return Err(CliError::Message(format!(
                "Prefix matched multiple evaluations: {}",
                ids.join(", ")
            )));
        }
    };
    if args.json {
        println!("{}", serde_json::to_string_pretty(eval).unwrap_or_default());
        return Ok(ExitCode::SUCCESS);
    }
    let v = args.verbose;
    let placement_failures = !eval.failed_tg_allocs.is_empty();
    let kv = vec![
        format!("ID|{}", short_id(&eval.id, v)),
        format!("Create Time|{}", format_unix_nanos(eval.create_time)),
        format!("Modify Time|{}", format_unix_nanos(eval.modify_time)),
        format!("Status|{}", eval.status),
        format!(
            "Status Description|{}",
            if eval.status_description.is_empty() {
                "<none>"
            } else {
                &eval.status_description
            }
        ),
        format!("Type|{}", eval.eval_type),
        format!("TriggeredBy|{}", eval.triggered_by),
        format!("Job ID|{}", eval.job_id),
        format!("Namespace|{}", eval.namespace),
        format!("Priority|{}", eval.priority),
        format!("Placement Failures|{placement_failures}"),
    ];
    println!("{}", format_kv(&kv));
    if placement_failures {
        println!("\nFailed Placements");
        for (group, metric) in &eval.failed_tg_allocs {
            let n = metric.coalesced_failures + 1;
            let noun = if n == 1 { "allocation" } else { "allocations" };
            println!("Task Group \"{group}\" (failed to place {n} {noun}):");
            for line in placement_failure_lines(metric) {
                println!("  * {line}");
            }
        }
        if !eval.blocked_eval.is_empty() {
            println!(
                "\nEvaluation \"{}\" waiting for additional capacity to place remainder",
                short_id(&eval.blocked_eval, v)
            );
        }
    }
    Ok(ExitCode::SUCCESS)
}
