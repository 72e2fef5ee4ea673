//! The scheduler's two capabilities: `State` (what it reads: a consistent snapshot of
//! the region) and `Planner` (the only way it writes: plans and evaluations).
//!
//! The state store implements `State` for its `StateSnapshot`; the server's worker
//! implements `Planner` by handing plans to the plan applier and waiting for the
//! result. Tests use the in-memory [`super::testing::Harness`], which implements both.

use std::sync::Arc;

use crate::structs::{Allocation, Evaluation, Job, Node, Plan, PlanResult};

use super::Result;
use super::resources::Usage;

/// A read-only, consistent view of the region's state at one index.
///
/// Everything is returned behind `Arc` so that a persistent-map store can hand out
/// its values without deep copies (the scheduler reads 10,000 nodes per eval).
pub trait State {
    /// The job `(namespace, id)`, if registered (stopped jobs included).
    fn job_by_id(&self, namespace: &str, id: &str) -> Option<Arc<Job>>;
    /// Every node, in any order and any status (the scheduler filters).
    fn nodes(&self) -> Vec<Arc<Node>>;
    /// One node.
    fn node_by_id(&self, node_id: &str) -> Option<Arc<Node>>;
    /// Every allocation of the job, terminal ones included.
    fn allocs_by_job(&self, namespace: &str, job_id: &str) -> Vec<Arc<Allocation>>;
    /// Every allocation on the node, terminal ones included.
    fn allocs_by_node(&self, node_id: &str) -> Vec<Arc<Allocation>>;
    /// The Raft index this view is at.
    fn latest_index(&self) -> u64;
    /// What the node's non-terminal allocations use together, when the state keeps that as an
    /// index (`None`: it does not, and fit checks sum `allocs_by_node`). A state that answers
    /// this must answer [`State::alloc_by_id`] too.
    fn node_usage(&self, _node_id: &str) -> Option<Usage> {
        None
    }
    /// One allocation, when the state can look it up by ID.
    fn alloc_by_id(&self, _id: &str) -> Option<Arc<Allocation>> {
        None
    }
}

/// A state to retry against, handed back by [`Planner::submit_plan`] when part of
/// the plan was refused because the scheduler's view was stale.
pub type RefreshedState = Box<dyn State>;

/// The scheduler's only way to change anything.
pub trait Planner {
    /// Submits a plan and waits until the plan applier has committed (part of) it.
    /// When `PlanResult::refresh_index` is non-zero, part of the plan was rejected;
    /// the planner should then return a state at least that new, which the scheduler
    /// retries against (`None` = retry against the state it already has).
    fn submit_plan(&mut self, plan: Plan) -> Result<(PlanResult, Option<RefreshedState>)>;
    /// Records the outcome of the evaluation being processed (status, description,
    /// `FailedTGAllocs`, `QueuedAllocations`, `BlockedEval`, ...).
    fn update_eval(&mut self, eval: Evaluation);
    /// Creates a new evaluation: a blocked eval for unplaced allocations, or a
    /// delayed follow-up (`WaitUntil`) for rescheduling failed allocations later.
    fn create_eval(&mut self, eval: Evaluation);
    /// Puts an already blocked evaluation back into the blocked set (it was
    /// unblocked, processed, and still could not place everything). Nomad keeps the
    /// same eval rather than creating a new one. Defaults to `update_eval`.
    fn reblock_eval(&mut self, eval: Evaluation) {
        self.update_eval(eval);
    }
}
