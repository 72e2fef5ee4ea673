//! Plan evaluation: the plan applier's pure core. Re-checks each node of a plan
//! against the newest state (optimistic concurrency: the scheduler planned on an
//! older snapshot) and returns what may be committed.
//!
//! A node's part is accepted when the node still exists, is ready and eligible for
//! new placements, and everything that would run there afterwards (its
//! non-terminal allocations, minus the plan's stops and updates, plus the plan's
//! placements) fits its CPU, memory, disk and ports. A node's stops are always
//! accepted. A rejected node makes the result partial (`RefreshIndex`); with
//! `AllAtOnce`, nothing is committed.

use std::collections::{BTreeSet, HashSet};

use crate::scheduler::resources::{Usage, alloc_usage, node_capacity};
use crate::state::{AllocStop, PlanResults, StateSnapshot};
use crate::structs::{Allocation, NODE_SCHEDULING_INELIGIBLE, NODE_STATUS_READY, Plan, PlanResult};

/// The result to hand the scheduler, and the command to commit (`None` when
/// nothing is committed).
pub fn evaluate_plan(
    snap: &StateSnapshot,
    plan: &Plan,
    now: i64,
) -> (PlanResult, Option<PlanResults>) {
    let mut result = PlanResult::default();
    let nodes: BTreeSet<&String> = plan
        .node_update
        .keys()
        .chain(plan.node_allocation.keys())
        .chain(plan.node_preemptions.keys())
        .collect();
    for node_id in nodes {
        match node_fits(snap, plan, node_id) {
            Ok(()) => {
                copy_node(&plan.node_update, &mut result.node_update, node_id);
                copy_node(&plan.node_allocation, &mut result.node_allocation, node_id);
                copy_node(
                    &plan.node_preemptions,
                    &mut result.node_preemptions,
                    node_id,
                );
            }
            Err(reason) => {
                tracing::debug!(node_id, reason, eval_id = %plan.eval_id, "plan for node rejected");
                result.rejected_nodes.push(node_id.clone());
            }
        }
    }
    if !result.rejected_nodes.is_empty() {
        result.refresh_index = snap.latest_index().max(1);
        if plan.all_at_once {
            result.node_update.clear();
            result.node_allocation.clear();
            result.node_preemptions.clear();
            return (result, None);
        }
    }
    result.deployment = plan.deployment.clone();
    result.deployment_updates = plan.deployment_updates.clone();
    let cmd = to_command(snap, plan, &result, now);
    let empty = cmd.allocs_to_upsert.is_empty()
        && cmd.allocs_to_stop.is_empty()
        && cmd.deployment.is_none()
        && cmd.deployment_updates.is_empty();
    (result, if empty { None } else { Some(cmd) })
}

fn copy_node(
    from: &std::collections::BTreeMap<String, Vec<Allocation>>,
    to: &mut std::collections::BTreeMap<String, Vec<Allocation>>,
    node_id: &str,
) {
    if let Some(v) = from.get(node_id)
        && !v.is_empty()
    {
        to.insert(node_id.to_string(), v.clone());
    }
}

/// Checks one node's part of the plan; `Err` says why it no longer fits.
fn node_fits(snap: &StateSnapshot, plan: &Plan, node_id: &str) -> Result<(), String> {
    let placing = plan
        .node_allocation
        .get(node_id)
        .map(Vec::as_slice)
        .unwrap_or_default();
    if placing.is_empty() {
        return Ok(());
    }
    let Some(node) = snap.node_by_id(node_id) else {
        return Err("node does not exist".into());
    };
    if node.status != NODE_STATUS_READY {
        return Err("node is not ready for placements".into());
    }
    if node.scheduling_eligibility == NODE_SCHEDULING_INELIGIBLE {
        return Err("node is not eligible".into());
    }
    let removed: HashSet<&str> = plan
        .node_update
        .get(node_id)
        .into_iter()
        .chain(plan.node_preemptions.get(node_id))
        .flatten()
        .chain(placing)
        .map(|a| a.id.as_str())
        .collect();
    let capacity = node_capacity(&node);
    // Placements without host ports cannot collide with anything (what is committed was
    // checked when it was): then the node's usage index, minus what the plan removes, plus
    // what it places, is the whole check, without visiting every allocation on the node.
    if !placing
        .iter()
        .any(|a| !a.terminal_status() && !alloc_ports(a).is_empty())
    {
        let mut used = snap.node_usage(node_id);
        for id in &removed {
            if let Some(old) = snap.alloc_by_id(id)
                && old.node_id == node_id
                && !old.terminal_status()
            {
                let u = alloc_usage(&old);
                used.cpu -= u.cpu;
                used.memory -= u.memory;
                used.disk -= u.disk;
            }
        }
        for a in placing.iter().filter(|a| !a.terminal_status()) {
            used.add(&alloc_usage(a));
        }
        return match used.exceeds(&capacity) {
            Some(dim) => Err(format!("resources exhausted: {dim}")),
            None => Ok(()),
        };
    }
    let existing = snap.allocs_by_node(node_id);
    let proposed: Vec<&Allocation> = existing
        .iter()
        .map(|a| a.as_ref())
        .filter(|a| !a.terminal_status() && !removed.contains(a.id.as_str()))
        .chain(placing.iter().filter(|a| !a.terminal_status()))
        .collect();
    let mut used = Usage::default();
    for a in &proposed {
        used.add(&alloc_usage(a));
    }
    if let Some(dim) = used.exceeds(&capacity) {
        return Err(format!("resources exhausted: {dim}"));
    }
    let mut ports = HashSet::new();
    for a in &proposed {
        for port in alloc_ports(a) {
            if !ports.insert(port) {
                return Err(format!("network: port collision on {port}"));
            }
        }
    }
    Ok(())
}

/// Host ports an allocation holds.
fn alloc_ports(a: &Allocation) -> Vec<i32> {
    let Some(res) = &a.allocated_resources else {
        return Vec::new();
    };
    let mut out: Vec<i32> = res.shared.ports.iter().map(|p| p.value).collect();
    let nets = res
        .shared
        .networks
        .iter()
        .chain(res.tasks.values().flat_map(|t| t.networks.iter()));
    for n in nets {
        out.extend(n.ports().map(|p| p.value));
    }
    out.retain(|p| *p > 0);
    out.sort_unstable();
    out.dedup();
    out
}

/// The state command for the accepted part. A stop carries the client status the
/// scheduler forced (e.g. `lost`) only when it differs from the stored one.
fn to_command(snap: &StateSnapshot, plan: &Plan, result: &PlanResult, now: i64) -> PlanResults {
    let mut stops = Vec::new();
    for a in result
        .node_update
        .values()
        .chain(result.node_preemptions.values())
        .flatten()
    {
        let stored = snap.alloc_by_id(&a.id);
        let differs = |f: fn(&Allocation) -> &String| {
            let v = f(a);
            (!v.is_empty() && stored.as_deref().is_none_or(|s| f(s) != v)).then(|| v.clone())
        };
        stops.push(AllocStop {
            id: a.id.clone(),
            desired_status: a.desired_status.clone(),
            desired_description: a.desired_description.clone(),
            client_status: differs(|x| &x.client_status),
            followup_eval_id: differs(|x| &x.followup_eval_id),
        });
    }
    PlanResults {
        eval_id: plan.eval_id.clone(),
        job: plan.job.clone(),
        allocs_to_upsert: result.node_allocation.values().flatten().cloned().collect(),
        allocs_to_stop: stops,
        deployment: result.deployment.clone(),
        deployment_updates: result.deployment_updates.clone(),
        evals: Vec::new(),
        now,
    }
}

#[cfg(test)]
#[path = "plan_eval_tests.rs"]
pub(crate) mod tests;
