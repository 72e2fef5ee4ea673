//! JobSummary and TaskGroupSummary: per-group allocation counts by client status,
//! plus child-job counts for periodic/parameterized parents.

use std::collections::BTreeMap;

api_struct! {
    /// `/v1/job/:id/summary`.
    pub struct JobSummary {
        /// Job.
        #[serde(rename = "JobID")]
        pub job_id: String,
        /// Namespace.
        pub namespace: String,
        /// Per task group.
        pub summary: BTreeMap<String, TaskGroupSummary>,
        /// Children of a periodic/parameterized job.
        pub children: Option<JobChildrenSummary>,
        /// Raft index of creation.
        pub create_index: u64,
        /// Raft index of the last change.
        pub modify_index: u64,
    }
}

api_struct! {
    /// Allocation counts of one task group.
    pub struct TaskGroupSummary {
        /// Waiting for placement.
        pub queued: i64,
        /// Completed.
        pub complete: i64,
        /// Failed.
        pub failed: i64,
        /// Running.
        pub running: i64,
        /// Placed, not yet running.
        pub starting: i64,
        /// Lost with their node.
        pub lost: i64,
        /// On a disconnected node.
        pub unknown: i64,
    }
}

api_struct! {
    /// Child job counts.
    pub struct JobChildrenSummary {
        /// Pending children.
        pub pending: i64,
        /// Running children.
        pub running: i64,
        /// Dead children.
        pub dead: i64,
    }
}
