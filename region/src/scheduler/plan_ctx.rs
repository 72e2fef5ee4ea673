//! `PlanCtx`: the plan being built for one evaluation, layered over the state, so
//! that later placements in the same eval see earlier ones ("proposed" allocations:
//! what the node would run if the plan were applied).
//!
//! When the state indexes per-node usage (`State::node_usage`, the state store does), the
//! totals of a node are that index, minus what the plan removes there, plus the plan's own
//! allocations: a fit check costs the plan's allocations on the node, not every allocation
//! the node runs (100 per node in a C1M-shaped region).

use std::cell::OnceCell;
use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use crate::structs::{Allocation, Plan};

use super::State;
use super::resources::{Usage, alloc_usage};

/// What a node would run with the plan applied, summed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ProposedTotals {
    /// Resources of its non-terminal allocations.
    pub used: Usage,
    /// How many of them belong to the job asked about.
    pub same_job: usize,
    /// How many of those belong to the group asked about.
    pub same_group: usize,
}

/// A job's allocations in the state, by node (for the same-job counts of indexed totals).
type JobAllocsByNode = ((String, String), HashMap<String, Vec<Arc<Allocation>>>);

/// The plan under construction and its indexes.
pub struct PlanCtx<'a> {
    /// The state the plan is computed against.
    pub state: &'a dyn State,
    /// The plan so far.
    pub plan: Plan,
    /// Allocations stopped or replaced in place by the plan (never proposed).
    removed: HashSet<String>,
    /// Allocations placed per job-group in the plan (anti-affinity, distinct_*).
    placed_by_node: HashMap<String, usize>,
    /// Whether the state indexes per-node usage.
    indexed: bool,
    /// Per node, what the state's non-terminal allocations the plan removes there use.
    removed_usage: HashMap<String, Usage>,
    /// Built on first use of the indexed totals.
    job_allocs: OnceCell<JobAllocsByNode>,
}

impl<'a> PlanCtx<'a> {
    /// An empty plan over `state`.
    pub fn new(state: &'a dyn State, plan: Plan) -> Self {
        Self {
            state,
            plan,
            removed: HashSet::new(),
            placed_by_node: HashMap::new(),
            indexed: state.node_usage("").is_some(),
            removed_usage: HashMap::new(),
            job_allocs: OnceCell::new(),
        }
    }

    /// Marks an allocation removed from the state's side; with indexed usage, remembers what
    /// the state's version of it used on its node.
    fn remove(&mut self, id: &str) {
        if !self.removed.insert(id.to_string()) || !self.indexed {
            return;
        }
        if let Some(old) = self.state.alloc_by_id(id)
            && !old.terminal_status()
        {
            self.removed_usage
                .entry(old.node_id.clone())
                .or_default()
                .add(&alloc_usage(&old));
        }
    }

    /// Adds a stop (or evict) of `alloc`; `client_status` overrides the client side
    /// (`lost` for allocations of down nodes).
    pub fn stop(
        &mut self,
        alloc: &Allocation,
        desired: &str,
        desc: &str,
        client_status: Option<&str>,
    ) {
        let mut stopped = alloc.clone();
        stopped.job = None; // the state store still has it
        stopped.desired_status = desired.to_string();
        stopped.desired_description = desc.to_string();
        if let Some(cs) = client_status {
            stopped.client_status = cs.to_string();
        }
        self.remove(&alloc.id);
        self.plan
            .node_update
            .entry(alloc.node_id.clone())
            .or_default()
            .push(stopped);
    }

    /// Adds a placement, or an update of an existing allocation (same ID).
    pub fn place(&mut self, alloc: Allocation) {
        self.remove(&alloc.id);
        *self
            .placed_by_node
            .entry(alloc.node_id.clone())
            .or_default() += 1;
        self.plan
            .node_allocation
            .entry(alloc.node_id.clone())
            .or_default()
            .push(alloc);
    }

    /// True when the plan stops or replaces this allocation.
    pub fn is_removed(&self, alloc_id: &str) -> bool {
        self.removed.contains(alloc_id)
    }

    /// Calls `f` on every allocation the node would run with the plan applied:
    /// the state's non-terminal ones the plan leaves alone, then the plan's own.
    pub fn for_each_proposed(&self, node_id: &str, mut f: impl FnMut(&Allocation)) {
        for a in self.state.allocs_by_node(node_id) {
            if !a.terminal_status() && !self.removed.contains(&a.id) {
                f(&a);
            }
        }
        if self.placed_by_node.contains_key(node_id)
            && let Some(placed) = self.plan.node_allocation.get(node_id)
        {
            for a in placed.iter().filter(|a| !a.terminal_status()) {
                f(a);
            }
        }
    }

    /// The same totals [`Self::for_each_proposed`] would add up (usage, and the allocations of
    /// job `(namespace, job_id)` and of its group `tg`), from the state's usage index; `None`
    /// when the state keeps none.
    pub fn proposed_totals(
        &self,
        node_id: &str,
        namespace: &str,
        job_id: &str,
        tg: &str,
    ) -> Option<ProposedTotals> {
        let mut used = self.state.node_usage(node_id)?;
        if let Some(r) = self.removed_usage.get(node_id) {
            used.cpu -= r.cpu;
            used.memory -= r.memory;
            used.disk -= r.disk;
        }
        let mut out = ProposedTotals {
            used,
            ..Default::default()
        };
        let count = |out: &mut ProposedTotals, a: &Allocation| {
            if a.job_id == job_id && a.namespace == namespace {
                out.same_job += 1;
                if a.task_group == tg {
                    out.same_group += 1;
                }
            }
        };
        let (key, by_node) = self.job_allocs.get_or_init(|| {
            let mut by_node: HashMap<String, Vec<Arc<Allocation>>> = HashMap::new();
            for a in self.state.allocs_by_job(namespace, job_id) {
                by_node.entry(a.node_id.clone()).or_default().push(a);
            }
            ((namespace.to_string(), job_id.to_string()), by_node)
        });
        let live = |a: &Allocation| !a.terminal_status() && !self.removed.contains(&a.id);
        if key.0 == namespace && key.1 == job_id {
            for a in by_node.get(node_id).into_iter().flatten() {
                if live(a) {
                    count(&mut out, a);
                }
            }
        } else {
            for a in self.state.allocs_by_node(node_id) {
                if live(&a) {
                    count(&mut out, &a);
                }
            }
        }
        if self.placed_by_node.contains_key(node_id)
            && let Some(placed) = self.plan.node_allocation.get(node_id)
        {
            for a in placed.iter().filter(|a| !a.terminal_status()) {
                out.used.add(&alloc_usage(a));
                count(&mut out, a);
            }
        }
        Some(out)
    }

    /// The job's allocations that would be running with the plan applied.
    pub fn proposed_job_allocs(&self, namespace: &str, job_id: &str) -> Vec<Arc<Allocation>> {
        let mut out: Vec<Arc<Allocation>> = self
            .state
            .allocs_by_job(namespace, job_id)
            .into_iter()
            .filter(|a| !a.terminal_status() && !self.removed.contains(&a.id))
            .collect();
        for allocs in self.plan.node_allocation.values() {
            for a in allocs {
                if a.job_id == job_id && a.namespace == namespace && !a.terminal_status() {
                    out.push(Arc::new(a.clone()));
                }
            }
        }
        out
    }
}

#[cfg(test)]
#[path = "plan_ctx_tests.rs"]
mod tests;
