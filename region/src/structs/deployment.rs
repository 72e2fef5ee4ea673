//! Deployment and DeploymentState: the roll-out of one job version, tracked per task
//! group (canaries, healthy/unhealthy counts, progress deadline).

use std::collections::BTreeMap;

api_struct! {
    /// A deployment, as returned by `/v1/deployment/:id`.
    pub struct Deployment {
        /// Deployment ID (UUID).
        #[serde(rename = "ID")]
        pub id: String,
        /// Namespace.
        pub namespace: String,
        /// Job.
        #[serde(rename = "JobID")]
        pub job_id: String,
        /// Job version being deployed.
        pub job_version: u64,
        /// Job's `ModifyIndex`.
        pub job_modify_index: u64,
        /// Job's `JobModifyIndex`.
        pub job_spec_modify_index: u64,
        /// Job's `CreateIndex`.
        pub job_create_index: u64,
        /// Part of a multiregion deployment.
        pub is_multiregion: bool,
        /// Per task group state.
        pub task_groups: BTreeMap<String, DeploymentState>,
        /// `running`, `paused`, `failed`, `successful`, `cancelled`, ...
        pub status: String,
        /// Why.
        pub status_description: String,
        /// Priority of the evaluations it creates.
        pub eval_priority: i32,
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
    /// One task group's progress.
    pub struct DeploymentState {
        /// Revert on failure.
        pub auto_revert: bool,
        /// Promote canaries when healthy.
        pub auto_promote: bool,
        /// Progress deadline, nanoseconds.
        pub progress_deadline: i64,
        /// Deadline for the next healthy allocation, RFC 3339.
        pub require_progress_by: Option<String>,
        /// Canaries were promoted.
        pub promoted: bool,
        /// Canary allocation IDs.
        pub placed_canaries: Vec<String>,
        /// Canaries wanted.
        pub desired_canaries: i32,
        /// Allocations wanted.
        pub desired_total: i32,
        /// Allocations placed.
        pub placed_allocs: i32,
        /// Healthy allocations.
        pub healthy_allocs: i32,
        /// Unhealthy allocations.
        pub unhealthy_allocs: i32,
    }
}

api_struct! {
    /// A status change of a deployment, carried by a plan.
    pub struct DeploymentStatusUpdate {
        /// Deployment.
        #[serde(rename = "DeploymentID")]
        pub deployment_id: String,
        /// New status.
        pub status: String,
        /// Why.
        pub status_description: String,
    }
}

/// Deployment status `running`.
pub const DEPLOYMENT_STATUS_RUNNING: &str = "running";
/// Deployment status `paused`.
pub const DEPLOYMENT_STATUS_PAUSED: &str = "paused";
/// Deployment status `failed`.
pub const DEPLOYMENT_STATUS_FAILED: &str = "failed";
/// Deployment status `successful`.
pub const DEPLOYMENT_STATUS_SUCCESSFUL: &str = "successful";
/// Deployment status `cancelled` (two l's, unlike evaluations).
pub const DEPLOYMENT_STATUS_CANCELLED: &str = "cancelled";
/// Deployment status `initializing` (multiregion).
pub const DEPLOYMENT_STATUS_INITIALIZING: &str = "initializing";
/// Deployment status `pending` (multiregion).
pub const DEPLOYMENT_STATUS_PENDING: &str = "pending";
/// Deployment status `blocked` (multiregion).
pub const DEPLOYMENT_STATUS_BLOCKED: &str = "blocked";
/// Deployment status `unblocking` (multiregion).
pub const DEPLOYMENT_STATUS_UNBLOCKING: &str = "unblocking";

/// Description: deployment is running.
pub const DEPLOYMENT_DESC_RUNNING: &str = "Deployment is running";
/// Description: waiting for manual promotion.
pub const DEPLOYMENT_DESC_RUNNING_NEEDS_PROMOTION: &str =
    "Deployment is running but requires manual promotion";
/// Description: completed.
pub const DEPLOYMENT_DESC_SUCCESSFUL: &str = "Deployment completed successfully";
/// Description: progress deadline.
pub const DEPLOYMENT_DESC_PROGRESS_DEADLINE: &str = "Failed due to progress deadline";
/// Description: unhealthy allocations.
pub const DEPLOYMENT_DESC_FAILED_ALLOCATIONS: &str = "Failed due to unhealthy allocations";
/// Description: superseded by a newer job version.
pub const DEPLOYMENT_DESC_NEWER_JOB: &str = "Cancelled due to newer version of job";
/// Description: the job was stopped.
pub const DEPLOYMENT_DESC_STOPPED_JOB: &str = "Cancelled because job is stopped";

impl Deployment {
    /// True while the deployment can still make progress.
    pub fn active(&self) -> bool {
        matches!(
            self.status.as_str(),
            DEPLOYMENT_STATUS_RUNNING
                | DEPLOYMENT_STATUS_PAUSED
                | DEPLOYMENT_STATUS_INITIALIZING
                | DEPLOYMENT_STATUS_PENDING
                | DEPLOYMENT_STATUS_BLOCKED
                | DEPLOYMENT_STATUS_UNBLOCKING
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn active_statuses() {
        let mut d = Deployment {
            status: "running".into(),
            ..Default::default()
        };
        assert!(d.active());
        d.status = DEPLOYMENT_STATUS_CANCELLED.into();
        assert_eq!(d.status, "cancelled");
        assert!(!d.active());
        d.status = DEPLOYMENT_STATUS_SUCCESSFUL.into();
        assert!(!d.active());
    }
}
