//! Plan, PlanResult and PlanAnnotations: what a scheduler proposes (stops, placements,
//! deployment changes), what the plan applier committed, and the per-group summary
//! shown by `nomad job plan`.

use std::collections::BTreeMap;
use std::sync::Arc;

use super::{AllocListStub, Allocation, Deployment, DeploymentStatusUpdate, Job};

api_struct! {
    /// A scheduler's proposal for one evaluation.
    pub struct Plan {
        /// Evaluation that produced it.
        #[serde(rename = "EvalID")]
        pub eval_id: String,
        /// Broker token of that evaluation.
        pub eval_token: String,
        /// Job priority.
        pub priority: i32,
        /// All or nothing.
        pub all_at_once: bool,
        /// The job version planned for (absent for node-only plans).
        pub job: Option<Arc<Job>>,
        /// Allocations to stop/evict, by node.
        pub node_update: BTreeMap<String, Vec<Allocation>>,
        /// Allocations to place or update, by node.
        pub node_allocation: BTreeMap<String, Vec<Allocation>>,
        /// Annotations for `job plan`.
        pub annotations: Option<PlanAnnotations>,
        /// Deployment to create or update.
        pub deployment: Option<Deployment>,
        /// Deployment status changes.
        pub deployment_updates: Vec<DeploymentStatusUpdate>,
        /// Allocations to preempt, by node.
        pub node_preemptions: BTreeMap<String, Vec<Allocation>>,
        /// State index the scheduler planned against.
        pub snapshot_index: u64,
    }
}

api_struct! {
    /// What the plan applier committed.
    pub struct PlanResult {
        /// Stops committed, by node.
        pub node_update: BTreeMap<String, Vec<Allocation>>,
        /// Placements committed, by node.
        pub node_allocation: BTreeMap<String, Vec<Allocation>>,
        /// Deployment committed.
        pub deployment: Option<Deployment>,
        /// Deployment updates committed.
        pub deployment_updates: Vec<DeploymentStatusUpdate>,
        /// Preemptions committed, by node.
        pub node_preemptions: BTreeMap<String, Vec<Allocation>>,
        /// Nodes whose part of the plan no longer fit.
        pub rejected_nodes: Vec<String>,
        /// Nodes that became ineligible.
        pub ineligible_nodes: Vec<String>,
        /// Non-zero when part was rejected: the scheduler must refresh to this index.
        pub refresh_index: u64,
        /// Raft index of the commit.
        pub alloc_index: u64,
    }
}

api_struct! {
    /// Summary of a plan for `nomad job plan`.
    pub struct PlanAnnotations {
        /// Changes per task group.
        #[serde(rename = "DesiredTGUpdates")]
        pub desired_tg_updates: BTreeMap<String, DesiredUpdates>,
        /// Allocations that would be preempted.
        pub preempted_allocs: Vec<AllocListStub>,
    }
}

api_struct! {
    /// Counts of each kind of change for one task group.
    pub struct DesiredUpdates {
        /// Left as they are.
        pub ignore: u64,
        /// New placements.
        pub place: u64,
        /// Migrations.
        pub migrate: u64,
        /// Stops.
        pub stop: u64,
        /// Updated in place.
        pub in_place_update: u64,
        /// Replaced.
        pub destructive_update: u64,
        /// Canaries.
        pub canary: u64,
        /// Preemptions.
        pub preemptions: u64,
        /// Reconnected allocations.
        pub reconnect_updates: u64,
        /// Disconnected allocations.
        pub disconnect_updates: u64,
        /// Rescheduled now.
        pub reschedule_now: u64,
        /// Rescheduled later.
        pub reschedule_later: u64,
    }
}

impl Plan {
    /// True when the plan changes nothing.
    pub fn is_no_op(&self) -> bool {
        self.node_update.values().all(Vec::is_empty)
            && self.node_allocation.values().all(Vec::is_empty)
            && self.node_preemptions.values().all(Vec::is_empty)
            && self.deployment.is_none()
            && self.deployment_updates.is_empty()
    }

    /// Adds a placement (or in-place update) on its node.
    pub fn append_alloc(&mut self, alloc: Allocation) {
        self.node_allocation
            .entry(alloc.node_id.clone())
            .or_default()
            .push(alloc);
    }

    /// Adds a stop of `alloc` with the given desired status and description.
    pub fn append_stopped_alloc(&mut self, alloc: &Allocation, desired: &str, description: &str) {
        let mut stopped = alloc.clone();
        stopped.job = None; // Nomad strips the job from stops: the state store has it.
        stopped.desired_status = desired.to_string();
        stopped.desired_description = description.to_string();
        self.node_update
            .entry(alloc.node_id.clone())
            .or_default()
            .push(stopped);
    }
}

impl PlanResult {
    /// True when every part of the plan was committed.
    pub fn fully_committed(&self) -> bool {
        self.rejected_nodes.is_empty() && self.refresh_index == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn building_a_plan() {
        let mut p = Plan::default();
        assert!(p.is_no_op());
        let a = Allocation {
            node_id: "n1".into(),
            desired_status: "run".into(),
            job: Some(Arc::default()),
            ..Default::default()
        };
        p.append_stopped_alloc(&a, "stop", "alloc not needed");
        assert!(!p.is_no_op());
        let stopped = &p.node_update["n1"][0];
        assert_eq!(stopped.desired_status, "stop");
        assert_eq!(stopped.desired_description, "alloc not needed");
        assert!(stopped.job.is_none());
        p.append_alloc(a);
        assert_eq!(p.node_allocation["n1"].len(), 1);
        let v = serde_json::to_value(PlanAnnotations::default()).unwrap();
        assert!(v.get("DesiredTGUpdates").is_some());
        assert!(PlanResult::default().fully_committed());
    }
}
