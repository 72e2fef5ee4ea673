//! Evaluation: a request to the scheduler to reconcile a job (or node) with reality,
//! with its status, trigger and the placement failures it ran into.

use std::collections::BTreeMap;

use super::AllocMetric;

api_struct! {
    /// An evaluation, as returned by `/v1/evaluation/:id`.
    pub struct Evaluation {
        /// Evaluation ID (UUID).
        #[serde(rename = "ID")]
        pub id: String,
        /// Namespace.
        pub namespace: String,
        /// Job priority at creation.
        pub priority: i32,
        /// Scheduler: the job type (`service`, `batch`, `system`, `sysbatch`, `_core`).
        #[serde(rename = "Type")]
        pub eval_type: String,
        /// Why it exists (`job-register`, `node-update`, ...).
        pub triggered_by: String,
        /// Job.
        #[serde(rename = "JobID")]
        pub job_id: String,
        /// Job's `JobModifyIndex` when created.
        pub job_modify_index: u64,
        /// Node, for node-triggered evaluations.
        #[serde(rename = "NodeID")]
        pub node_id: String,
        /// Node's `ModifyIndex` when created.
        pub node_modify_index: u64,
        /// Deployment, for deployment-triggered evaluations.
        #[serde(rename = "DeploymentID")]
        pub deployment_id: String,
        /// `blocked`, `pending`, `complete`, `failed` or `canceled`.
        pub status: String,
        /// Why.
        pub status_description: String,
        /// Delay before it may be processed, nanoseconds.
        pub wait: i64,
        /// Time before which it may not be processed, RFC 3339.
        pub wait_until: Option<String>,
        /// Follow-up evaluation.
        pub next_eval: String,
        /// Evaluation this one follows.
        pub previous_eval: String,
        /// Blocked evaluation created for unplaced allocations.
        pub blocked_eval: String,
        /// Placement failures per task group.
        #[serde(rename = "FailedTGAllocs")]
        pub failed_tg_allocs: BTreeMap<String, AllocMetric>,
        /// Node classes known eligible/ineligible (for blocked evals).
        pub class_eligibility: BTreeMap<String, bool>,
        /// Constraints escaped computed-class caching.
        pub escaped_computed_class: bool,
        /// Quota that blocked it.
        pub quota_limit_reached: String,
        /// The scheduler should annotate the plan (job plan dry-runs).
        pub annotate_plan: bool,
        /// Allocations still queued per task group.
        pub queued_allocations: BTreeMap<String, i32>,
        /// State index the scheduler saw.
        pub snapshot_index: u64,
        /// Raft index of creation.
        pub create_index: u64,
        /// Raft index of the last change.
        pub modify_index: u64,
        /// Creation time, Unix nanoseconds.
        pub create_time: i64,
        /// Last change, Unix nanoseconds.
        pub modify_time: i64,
    }
}

/// Eval status `blocked`.
pub const EVAL_STATUS_BLOCKED: &str = "blocked";
/// Eval status `pending`.
pub const EVAL_STATUS_PENDING: &str = "pending";
/// Eval status `complete`.
pub const EVAL_STATUS_COMPLETE: &str = "complete";
/// Eval status `failed`.
pub const EVAL_STATUS_FAILED: &str = "failed";
/// Eval status `canceled` (one l, unlike deployments).
pub const EVAL_STATUS_CANCELLED: &str = "canceled";

/// Trigger `job-register`.
pub const EVAL_TRIGGER_JOB_REGISTER: &str = "job-register";
/// Trigger `job-deregister`.
pub const EVAL_TRIGGER_JOB_DEREGISTER: &str = "job-deregister";
/// Trigger `periodic-job`.
pub const EVAL_TRIGGER_PERIODIC_JOB: &str = "periodic-job";
/// Trigger `node-drain`.
pub const EVAL_TRIGGER_NODE_DRAIN: &str = "node-drain";
/// Trigger `node-update`.
pub const EVAL_TRIGGER_NODE_UPDATE: &str = "node-update";
/// Trigger `alloc-stop`.
pub const EVAL_TRIGGER_ALLOC_STOP: &str = "alloc-stop";
/// Trigger `scheduled`.
pub const EVAL_TRIGGER_SCHEDULED: &str = "scheduled";
/// Trigger `rolling-update`.
pub const EVAL_TRIGGER_ROLLING_UPDATE: &str = "rolling-update";
/// Trigger `deployment-watcher`.
pub const EVAL_TRIGGER_DEPLOYMENT_WATCHER: &str = "deployment-watcher";
/// Trigger `failed-follow-up`.
pub const EVAL_TRIGGER_FAILED_FOLLOW_UP: &str = "failed-follow-up";
/// Trigger `max-plan-attempts`.
pub const EVAL_TRIGGER_MAX_PLANS: &str = "max-plan-attempts";
/// Trigger `alloc-failure`.
pub const EVAL_TRIGGER_RETRY_FAILED_ALLOC: &str = "alloc-failure";
/// Trigger `queued-allocs`.
pub const EVAL_TRIGGER_QUEUED_ALLOCS: &str = "queued-allocs";
/// Trigger `preemption`.
pub const EVAL_TRIGGER_PREEMPTION: &str = "preemption";
/// Trigger `job-scaling`.
pub const EVAL_TRIGGER_SCALING: &str = "job-scaling";
/// Trigger `max-disconnect-timeout`.
pub const EVAL_TRIGGER_MAX_DISCONNECT_TIMEOUT: &str = "max-disconnect-timeout";
/// Trigger `reconnect`.
pub const EVAL_TRIGGER_RECONNECT: &str = "reconnect";
/// Trigger `alloc-reschedule`.
pub const EVAL_TRIGGER_ALLOC_RESCHEDULE: &str = "alloc-reschedule";

impl Evaluation {
    /// True once the evaluation will not be processed again.
    pub fn terminal_status(&self) -> bool {
        matches!(
            self.status.as_str(),
            EVAL_STATUS_COMPLETE | EVAL_STATUS_FAILED | EVAL_STATUS_CANCELLED
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn terminal_statuses_and_spelling() {
        let mut e = Evaluation {
            status: EVAL_STATUS_PENDING.into(),
            ..Default::default()
        };
        assert!(!e.terminal_status());
        e.status = EVAL_STATUS_BLOCKED.into();
        assert!(!e.terminal_status());
        e.status = "canceled".into();
        assert!(e.terminal_status());
        let v = serde_json::to_value(&e).unwrap();
        assert!(v.get("FailedTGAllocs").is_some());
        assert!(v.get("DeploymentID").is_some());
        assert_eq!(v["Type"], "");
    }
}
