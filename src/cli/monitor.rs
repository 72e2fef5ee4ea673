//! Watching an evaluation to its end, as `nomad job run` and `job stop` do: print each state change and
//! each allocation it created, then placement failures if it could not place everything.

use std::collections::BTreeSet;
use std::time::Duration;

use nomad_region::structs::{AllocListStub, AllocMetric, Evaluation};

use super::CliError;
use super::format::{format_unix_nanos, now_nanos, short_id};
use crate::api_client::Client;

/// How the evaluation ended.
pub struct MonitorOutcome {
    pub status: String,
    /// True when some task group could not be placed (Nomad exits 2 then).
    pub placement_failed: bool,
}

fn stamp() -> String {
    format_unix_nanos(now_nanos())
}

/// Follows evaluation `eval_id` with blocking queries until it is complete, failed or canceled.
pub fn monitor_eval(
    client: &Client,
    eval_id: &str,
    verbose: bool,
) -> Result<MonitorOutcome, CliError> {
    println!(
        "==> {}: Monitoring evaluation \"{}\"",
        stamp(),
        short_id(eval_id, verbose)
    );
    let mut index = 0;
    let mut last_status = String::new();
    let mut seen_allocs: BTreeSet<String> = BTreeSet::new();
    let mut announced_trigger = false;
    loop {
        let query = [("index", index.to_string()), ("wait", "10s".to_owned())];
        let (eval, meta): (Evaluation, _) =
            client.get(&format!("/v1/evaluation/{eval_id}"), &query)?;
        if !announced_trigger {
            announced_trigger = true;
            let what = if eval.node_id.is_empty() {
                format!("job \"{}\"", eval.job_id)
            } else {
                format!("node \"{}\"", short_id(&eval.node_id, verbose))
            };
            println!("    {}: Evaluation triggered by {what}", stamp());
        }
        if !eval.deployment_id.is_empty() {
            println!(
                "    {}: Evaluation within deployment: \"{}\"",
                stamp(),
                short_id(&eval.deployment_id, verbose)
            );
        }
        let (allocs, _): (Vec<AllocListStub>, _) = client.get(
            &format!("/v1/job/{}/allocations", eval.job_id),
            &[("all", "true".to_owned())],
        )?;
        for alloc in allocs.iter().filter(|a| a.eval_id == eval.id) {
            if seen_allocs.insert(alloc.id.clone()) {
                // An allocation older than the evaluation was updated in place, not created.
                let verb = if alloc.create_index < eval.create_index {
                    "modified"
                } else {
                    "created"
                };
                println!(
                    "    {}: Allocation \"{}\" {verb}: node \"{}\", group \"{}\"",
                    stamp(),
                    short_id(&alloc.id, verbose),
                    short_id(&alloc.node_id, verbose),
                    alloc.task_group
                );
            }
        }
        if eval.status != last_status {
            if !last_status.is_empty() {
                println!(
                    "    {}: Evaluation status changed: \"{last_status}\" -> \"{}\"",
                    stamp(),
                    eval.status
                );
            }
            last_status = eval.status.clone();
        }
        if matches!(eval.status.as_str(), "complete" | "failed" | "canceled") {
            return Ok(finish(&eval, verbose));
        }
        if !eval.next_eval.is_empty() && eval.status == "complete" {
            return Ok(finish(&eval, verbose));
        }
        if meta.last_index <= index {
            std::thread::sleep(Duration::from_millis(100));
        }
        index = meta.last_index;
    }
}

fn finish(eval: &Evaluation, verbose: bool) -> MonitorOutcome {
    let id = short_id(&eval.id, verbose);
    if eval.failed_tg_allocs.is_empty() {
        println!(
            "==> {}: Evaluation \"{id}\" finished with status \"{}\"",
            stamp(),
            eval.status
        );
        return MonitorOutcome {
            status: eval.status.clone(),
            placement_failed: false,
        };
    }
    println!(
        "==> {}: Evaluation \"{id}\" finished with status \"{}\" but failed to place all allocations:",
        stamp(),
        eval.status
    );
    for (group, metric) in &eval.failed_tg_allocs {
        let n = metric.coalesced_failures + 1;
        let noun = if n == 1 { "allocation" } else { "allocations" };
        println!("    Task Group \"{group}\" (failed to place {n} {noun}):");
        for line in placement_failure_lines(metric) {
            println!("      * {line}");
        }
    }
    if !eval.blocked_eval.is_empty() {
        println!(
            "    Evaluation \"{}\" waiting for additional capacity to place remainder",
            short_id(&eval.blocked_eval, verbose)
        );
    }
    MonitorOutcome {
        status: eval.status.clone(),
        placement_failed: true,
    }
}

/// The reasons in an `AllocMetric`, worded as Nomad's CLI words them.
pub fn placement_failure_lines(metric: &AllocMetric) -> Vec<String> {
    let mut lines = Vec::new();
    if metric.nodes_evaluated == 0 {
        lines.push("No nodes were eligible for evaluation".to_owned());
    }
    for (dc, available) in &metric.nodes_available {
        if *available == 0 {
            lines.push(format!("No nodes are available in datacenter \"{dc}\""));
        }
    }
    for (class, n) in &metric.class_filtered {
        lines.push(format!("Class \"{class}\": {n} nodes excluded by filter"));
    }
    for (constraint, n) in &metric.constraint_filtered {
        lines.push(format!(
            "Constraint \"{constraint}\": {n} nodes excluded by filter"
        ));
    }
    if metric.nodes_exhausted > 0 {
        lines.push(format!(
            "Resources exhausted on {} nodes",
            metric.nodes_exhausted
        ));
    }
    for (class, n) in &metric.class_exhausted {
        lines.push(format!("Class \"{class}\" exhausted on {n} nodes"));
    }
    for (dim, n) in &metric.dimension_exhausted {
        lines.push(format!("Dimension \"{dim}\" exhausted on {n} nodes"));
    }
    lines
}
