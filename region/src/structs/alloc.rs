//! Allocation: one placement of a task group on a node, with what the servers want
//! (`DesiredStatus`) and what the client reports (`ClientStatus`, task states).

use std::collections::BTreeMap;
use std::sync::Arc;

use super::{AllocMetric, AllocatedResources, Job, TaskState};

api_struct! {
    /// An allocation, as returned by `/v1/allocation/:id`.
    pub struct Allocation {
        /// Allocation ID (UUID).
        #[serde(rename = "ID")]
        pub id: String,
        /// Namespace.
        pub namespace: String,
        /// Evaluation that created or last changed it.
        #[serde(rename = "EvalID")]
        pub eval_id: String,
        /// `<job>.<group>[<index>]`.
        pub name: String,
        /// Node it runs on.
        #[serde(rename = "NodeID")]
        pub node_id: String,
        /// That node's name.
        pub node_name: String,
        /// Job ID.
        #[serde(rename = "JobID")]
        pub job_id: String,
        /// The job version it runs, shared with the state's job table and every other
        /// allocation of that version (serialized as the job itself).
        pub job: Option<Arc<Job>>,
        /// Task group name.
        pub task_group: String,
        /// Resources given (shared by the allocations of a group that got the same: all of
        /// them when no ports are assigned).
        pub allocated_resources: Option<Arc<AllocatedResources>>,
        /// Placement metrics.
        pub metrics: Option<Arc<AllocMetric>>,
        /// `run`, `stop` or `evict`.
        pub desired_status: String,
        /// Why.
        pub desired_description: String,
        /// Pending migrate/reschedule requests.
        pub desired_transition: DesiredTransition,
        /// `pending`, `running`, `complete`, `failed`, `lost` or `unknown`.
        pub client_status: String,
        /// Why.
        pub client_description: String,
        /// Per-task state.
        pub task_states: BTreeMap<String, TaskState>,
        /// Deployment it belongs to.
        #[serde(rename = "DeploymentID")]
        pub deployment_id: String,
        /// Health within that deployment.
        pub deployment_status: Option<AllocDeploymentStatus>,
        /// Earlier reschedules of this allocation's lineage.
        pub reschedule_tracker: Option<RescheduleTracker>,
        /// Evaluation that will reschedule it later.
        #[serde(rename = "FollowupEvalID")]
        pub followup_eval_id: String,
        /// The allocation this one replaces.
        pub previous_allocation: String,
        /// The allocation that replaced this one.
        pub next_allocation: String,
        /// Allocations this one preempted.
        pub preempted_allocations: Vec<String>,
        /// Allocation that preempted this one.
        pub preempted_by_allocation: String,
        /// Raft index of the last change by the servers.
        pub alloc_modify_index: u64,
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

api_struct! {
    /// Transitions the servers asked for.
    pub struct DesiredTransition {
        /// Migrate off a draining node.
        pub migrate: Option<bool>,
        /// Reschedule even if not failed.
        pub reschedule: Option<bool>,
        /// Reschedule ignoring the policy.
        pub force_reschedule: Option<bool>,
        /// Skip the shutdown delay.
        pub no_shutdown_delay: Option<bool>,
    }
}

api_struct! {
    /// Health within a deployment.
    pub struct AllocDeploymentStatus {
        /// `None` until decided.
        pub healthy: Option<bool>,
        /// When health was decided, RFC 3339.
        pub timestamp: Option<String>,
        /// Placed as a canary.
        pub canary: bool,
        /// Raft index of the last change.
        pub modify_index: u64,
    }
}

api_struct! {
    /// Reschedule history.
    pub struct RescheduleTracker {
        /// Past reschedules, oldest first.
        pub events: Vec<RescheduleEvent>,
    }
}

api_struct! {
    /// One reschedule.
    pub struct RescheduleEvent {
        /// When, Unix nanoseconds.
        pub reschedule_time: i64,
        /// Replaced allocation.
        #[serde(rename = "PrevAllocID")]
        pub prev_alloc_id: String,
        /// Its node.
        #[serde(rename = "PrevNodeID")]
        pub prev_node_id: String,
        /// Delay applied, nanoseconds.
        pub delay: i64,
    }
}

/// Desired status `run`.
pub const ALLOC_DESIRED_STATUS_RUN: &str = "run";
/// Desired status `stop`.
pub const ALLOC_DESIRED_STATUS_STOP: &str = "stop";
/// Desired status `evict`.
pub const ALLOC_DESIRED_STATUS_EVICT: &str = "evict";
/// Client status `pending`.
pub const ALLOC_CLIENT_STATUS_PENDING: &str = "pending";
/// Client status `running`.
pub const ALLOC_CLIENT_STATUS_RUNNING: &str = "running";
/// Client status `complete`.
pub const ALLOC_CLIENT_STATUS_COMPLETE: &str = "complete";
/// Client status `failed`.
pub const ALLOC_CLIENT_STATUS_FAILED: &str = "failed";
/// Client status `lost`.
pub const ALLOC_CLIENT_STATUS_LOST: &str = "lost";
/// Client status `unknown`.
pub const ALLOC_CLIENT_STATUS_UNKNOWN: &str = "unknown";

impl Allocation {
    /// True when the allocation is finished or will be: the servers want it
    /// stopped/evicted, or the client reports complete/failed/lost.
    pub fn terminal_status(&self) -> bool {
        self.server_terminal_status() || self.client_terminal_status()
    }

    /// True when the servers want it stopped or evicted.
    pub fn server_terminal_status(&self) -> bool {
        matches!(
            self.desired_status.as_str(),
            ALLOC_DESIRED_STATUS_STOP | ALLOC_DESIRED_STATUS_EVICT
        )
    }

    /// True when the client reports complete, failed or lost.
    pub fn client_terminal_status(&self) -> bool {
        matches!(
            self.client_status.as_str(),
            ALLOC_CLIENT_STATUS_COMPLETE | ALLOC_CLIENT_STATUS_FAILED | ALLOC_CLIENT_STATUS_LOST
        )
    }

    /// The alloc index in `<job>.<group>[<index>]`, if the name has one.
    pub fn index(&self) -> Option<u32> {
        let open = self.name.rfind('[')?;
        self.name.strip_suffix(']')?.get(open + 1..)?.parse().ok()
    }
}

/// The name of allocation `index` of `group` in `job`: `job.group[index]`.
pub fn alloc_name(job: &str, group: &str, index: u32) -> String {
    format!("{job}.{group}[{index}]")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn alloc(desired: &str, client: &str) -> Allocation {
        Allocation {
            desired_status: desired.into(),
            client_status: client.into(),
            ..Default::default()
        }
    }

    #[test]
    fn terminal_status_by_either_side() {
        assert!(!alloc("run", "running").terminal_status());
        assert!(!alloc("run", "pending").terminal_status());
        assert!(!alloc("run", "unknown").terminal_status());
        assert!(alloc("stop", "running").terminal_status());
        assert!(alloc("evict", "pending").terminal_status());
        assert!(alloc("run", "complete").terminal_status());
        assert!(alloc("run", "failed").terminal_status());
        assert!(alloc("run", "lost").terminal_status());
    }

    #[test]
    fn index_from_name() {
        let a = Allocation {
            name: alloc_name("web", "cache", 12),
            ..Default::default()
        };
        assert_eq!(a.name, "web.cache[12]");
        assert_eq!(a.index(), Some(12));
        let b = Allocation {
            name: "weird[x]".into(),
            ..Default::default()
        };
        assert_eq!(b.index(), None);
        assert_eq!(Allocation::default().index(), None);
    }

    #[test]
    fn json_shape() {
        let a = alloc("run", "running");
        let v = serde_json::to_value(&a).unwrap();
        for key in [
            "ID",
            "EvalID",
            "NodeID",
            "JobID",
            "FollowupEvalID",
            "DeploymentID",
        ] {
            assert!(v.get(key).is_some(), "missing {key}");
        }
        assert!(v["Job"].is_null());
        let back: Allocation = serde_json::from_value(v).unwrap();
        assert_eq!(back, a);
    }
}
