//! `PlanCtx`: the plan being built for one evaluation, layered over the state, so
//! that later placements in the same eval see earlier ones ("proposed" allocations:
//! what the node would run if the plan were applied).

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use crate::structs::{Allocation, Plan};

use super::State;

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
}

impl<'a> PlanCtx<'a> {
    /// An empty plan over `state`.
    pub fn new(state: &'a dyn State, plan: Plan) -> Self {
        Self {
            state,
            plan,
            removed: HashSet::new(),
            placed_by_node: HashMap::new(),
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
        self.removed.insert(alloc.id.clone());
        self.plan
            .node_update
            .entry(alloc.node_id.clone())
            .or_default()
            .push(stopped);
    }

    /// Adds a placement, or an update of an existing allocation (same ID).
    pub fn place(&mut self, alloc: Allocation) {
        self.removed.insert(alloc.id.clone());
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
