//! The reconciler: compares what the job wants (groups x count) with the
//! allocations that exist and decides, per group, what to place, stop, update in
//! place, replace (destructive update), migrate, replace because lost, reschedule
//! now or later, and what to leave alone. Pure: no node selection happens here.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::Arc;

use crate::structs::{
    ALLOC_CLIENT_STATUS_COMPLETE, ALLOC_CLIENT_STATUS_FAILED, ALLOC_CLIENT_STATUS_LOST, Allocation,
    DesiredUpdates, JOB_TYPE_BATCH, Job, Node, alloc_name,
};

use super::reschedule::{RescheduleDecision, decide, default_policy};
use super::update::tasks_updated;

/// Desired description of an allocation the job no longer needs.
pub const ALLOC_NOT_NEEDED: &str = "alloc not needed due to job update";
/// Desired description of an allocation replaced by a destructive update.
pub const ALLOC_UPDATING: &str = "alloc is being updated due to job update";
/// Desired description of an allocation on a down node.
pub const ALLOC_LOST: &str = "alloc is lost since its node is down";
/// Desired description of an allocation moved off a draining node.
pub const ALLOC_MIGRATING: &str = "alloc is being migrated";
/// Desired description of a failed allocation that was replaced.
pub const ALLOC_RESCHEDULED: &str = "alloc was rescheduled because it failed";

/// Why a placement is made.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PlaceReason {
    /// Count not reached.
    New,
    /// Replaces a failed allocation (reschedule policy).
    Reschedule,
    /// Replaces an allocation of a down node.
    Lost,
    /// Replaces an allocation on a draining node.
    Migrate,
    /// Replaces an allocation of an older job version.
    Destructive,
}

/// One allocation to place.
#[derive(Debug, Clone)]
pub struct Placement {
    /// Task group.
    pub task_group: String,
    /// `<job>.<group>[<index>]`.
    pub name: String,
    /// Why.
    pub reason: PlaceReason,
    /// The allocation it replaces.
    pub previous: Option<Arc<Allocation>>,
}

/// One allocation to stop.
#[derive(Debug, Clone)]
pub struct Stop {
    /// The allocation.
    pub alloc: Arc<Allocation>,
    /// Desired description.
    pub description: &'static str,
    /// Client status to record (`lost`), if any.
    pub client_status: Option<&'static str>,
}

/// The reconciler's decisions for one job.
#[derive(Debug, Clone, Default)]
pub struct Reconciled {
    /// Allocations to place, in group then index order.
    pub place: Vec<Placement>,
    /// Allocations to stop.
    pub stop: Vec<Stop>,
    /// Allocations to move to the new job version where they are.
    pub in_place: Vec<Arc<Allocation>>,
    /// Failed allocations to replace later, with the time (Unix nanos).
    pub reschedule_later: Vec<(Arc<Allocation>, i64)>,
    /// Counts per group for `job plan`.
    pub desired_tg_updates: BTreeMap<String, DesiredUpdates>,
}

/// Where an allocation's node stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum NodeState {
    Ok,
    Down,
    Draining,
}

fn node_state(node: Option<&Arc<Node>>) -> NodeState {
    match node {
        None => NodeState::Down,
        Some(n) if n.terminal_status() => NodeState::Down,
        Some(n) if n.drain_strategy.is_some() => NodeState::Draining,
        Some(_) => NodeState::Ok,
    }
}

/// A slot of the group's count: an existing allocation or a replacement.
enum Slot {
    Keep(Arc<Allocation>),
    Replace(Placement),
}

impl Slot {
    fn index(&self) -> u32 {
        match self {
            Slot::Keep(a) => name_index(&a.name),
            Slot::Replace(p) => name_index(&p.name),
        }
    }
}

/// The `<index>` of `job.group[<index>]` (`u32::MAX` when there is none).
fn name_index(name: &str) -> u32 {
    name.rfind('[')
        .and_then(|open| name.strip_suffix(']')?.get(open + 1..)?.parse().ok())
        .unwrap_or(u32::MAX)
}

/// Reconciles `job` (`None` or stopped: everything stops) with its allocations.
/// `nodes` holds the node of every allocation that has one (missing = gone).
pub fn reconcile(
    job: Option<&Job>,
    allocs: &[Arc<Allocation>],
    nodes: &HashMap<String, Arc<Node>>,
    now: i64,
    eval_id: &str,
) -> Reconciled {
    let mut out = Reconciled::default();
    let active = job.filter(|j| !j.stop);
    let mut by_group: BTreeMap<&str, Vec<&Arc<Allocation>>> = BTreeMap::new();
    for a in allocs {
        by_group.entry(a.task_group.as_str()).or_default().push(a);
    }
    // Groups the job no longer has (or every group of a stopped job).
    for (group, group_allocs) in &by_group {
        if active.is_some_and(|j| j.lookup_task_group(group).is_some()) {
            continue;
        }
        let du = out.desired_tg_updates.entry(group.to_string()).or_default();
        for a in group_allocs.iter().filter(|a| !a.terminal_status()) {
            du.stop += 1;
            out.stop.push(Stop {
                alloc: Arc::clone(a),
                description: ALLOC_NOT_NEEDED,
                client_status: None,
            });
        }
    }
    let Some(job) = active else {
        return out;
    };
    for tg in &job.task_groups {
        let group_allocs = by_group.get(tg.name.as_str()).cloned().unwrap_or_default();
        reconcile_group(
            &mut out,
            job,
            tg.name.as_str(),
            &group_allocs,
            nodes,
            now,
            eval_id,
        );
    }
    out
}

fn reconcile_group(
    out: &mut Reconciled,
    job: &Job,
    group: &str,
    allocs: &[&Arc<Allocation>],
    nodes: &HashMap<String, Arc<Node>>,
    now: i64,
    eval_id: &str,
) {
    let Some(tg) = job.lookup_task_group(group) else {
        return;
    };
    let mut du = DesiredUpdates::default();
    let policy = tg
        .reschedule_policy
        .clone()
        .unwrap_or_else(|| default_policy(&job.job_type));
    let batch = job.job_type == JOB_TYPE_BATCH;
    let mut slots: Vec<Slot> = Vec::new();
    let mut stops: Vec<Stop> = Vec::new();
    for a in allocs {
        if a.server_terminal_status() {
            continue;
        }
        match a.client_status.as_str() {
            ALLOC_CLIENT_STATUS_COMPLETE => {
                // A finished batch allocation is done; a service one is replaced.
                if batch {
                    slots.push(Slot::Keep(Arc::clone(a)));
                }
                continue;
            }
            ALLOC_CLIENT_STATUS_LOST => continue,
            ALLOC_CLIENT_STATUS_FAILED => {
                if !a.next_allocation.is_empty() {
                    continue;
                }
                match decide(a, &policy, now, eval_id) {
                    RescheduleDecision::Now => {
                        du.reschedule_now += 1;
                        stops.push(Stop {
                            alloc: Arc::clone(a),
                            description: ALLOC_RESCHEDULED,
                            client_status: None,
                        });
                        slots.push(Slot::Replace(replacement(
                            a,
                            group,
                            PlaceReason::Reschedule,
                        )));
                    }
                    RescheduleDecision::Later(at) => {
                        du.reschedule_later += 1;
                        if a.followup_eval_id.is_empty() {
                            out.reschedule_later.push((Arc::clone(a), at));
                        }
                        slots.push(Slot::Keep(Arc::clone(a)));
                    }
                    RescheduleDecision::Never => slots.push(Slot::Keep(Arc::clone(a))),
                }
                continue;
            }
            _ => {}
        }
        // `alloc stop` asks for a migration: stopped here, replaced elsewhere.
        let state = match node_state(nodes.get(&a.node_id)) {
            NodeState::Ok if a.desired_transition.migrate == Some(true) => NodeState::Draining,
            s => s,
        };
        match state {
            NodeState::Down => {
                stops.push(Stop {
                    alloc: Arc::clone(a),
                    description: ALLOC_LOST,
                    client_status: Some(ALLOC_CLIENT_STATUS_LOST),
                });
                slots.push(Slot::Replace(replacement(a, group, PlaceReason::Lost)));
            }
            NodeState::Draining => {
                du.migrate += 1;
                stops.push(Stop {
                    alloc: Arc::clone(a),
                    description: ALLOC_MIGRATING,
                    client_status: None,
                });
                slots.push(Slot::Replace(replacement(a, group, PlaceReason::Migrate)));
            }
            NodeState::Ok => slots.push(Slot::Keep(Arc::clone(a))),
        }
    }
    // Too many: drop the highest indexes, live allocations are stopped.
    let count = tg.desired_count().max(0) as usize;
    if slots.len() > count {
        slots.sort_by_key(|s| std::cmp::Reverse(s.index()));
        let excess = slots.len() - count;
        for slot in slots.drain(..excess) {
            if let Slot::Keep(a) = slot
                && !a.terminal_status()
            {
                du.stop += 1;
                stops.push(Stop {
                    alloc: a,
                    description: ALLOC_NOT_NEEDED,
                    client_status: None,
                });
            }
        }
    }
    // Updates of the remaining live allocations.
    let mut place: Vec<Placement> = Vec::new();
    let mut used: BTreeSet<u32> = BTreeSet::new();
    for slot in slots {
        used.insert(slot.index());
        match slot {
            Slot::Replace(p) => {
                match p.reason {
                    PlaceReason::Lost => {
                        du.place += 1;
                        du.stop += 1;
                    }
                    PlaceReason::Reschedule | PlaceReason::New => du.place += 1,
                    PlaceReason::Migrate | PlaceReason::Destructive => {}
                }
                place.push(p);
            }
            Slot::Keep(a) if a.terminal_status() => du.ignore += 1,
            Slot::Keep(a) => match a.job.as_deref() {
                Some(old)
                    if old.job_modify_index != job.job_modify_index
                        || old.version != job.version =>
                {
                    if tasks_updated(old, job, group) {
                        du.destructive_update += 1;
                        stops.push(Stop {
                            alloc: Arc::clone(&a),
                            description: ALLOC_UPDATING,
                            client_status: None,
                        });
                        place.push(replacement(&a, group, PlaceReason::Destructive));
                    } else {
                        du.in_place_update += 1;
                        out.in_place.push(a);
                    }
                }
                _ => du.ignore += 1,
            },
        }
    }
    // Too few: new allocations at the lowest free indexes.
    let missing = count.saturating_sub(used.len());
    let mut next = 0u32;
    for _ in 0..missing {
        while used.contains(&next) {
            next += 1;
        }
        used.insert(next);
        du.place += 1;
        place.push(Placement {
            task_group: group.to_string(),
            name: alloc_name(&job.id, group, next),
            reason: PlaceReason::New,
            previous: None,
        });
    }
    place.sort_by_cached_key(|p| name_index(&p.name));
    out.place.extend(place);
    out.stop.extend(stops);
    out.desired_tg_updates.insert(group.to_string(), du);
}

fn replacement(a: &Arc<Allocation>, group: &str, reason: PlaceReason) -> Placement {
    Placement {
        task_group: group.to_string(),
        name: a.name.clone(),
        reason,
        previous: Some(Arc::clone(a)),
    }
}
