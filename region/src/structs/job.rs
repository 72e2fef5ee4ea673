//! Job: the user's declaration of work (the root of the job specification), plus the
//! bookkeeping the servers add (status, version, Raft indexes).

use std::collections::BTreeMap;

use super::{
    Affinity, Constraint, MigrateStrategy, ParameterizedJobConfig, PeriodicConfig,
    ReschedulePolicy, Spread, TaskGroup, UpdateStrategy,
};

api_struct! {
    /// A `job "<id>"` block, in the shape of Nomad's `/v1/job` JSON.
    pub struct Job {
        /// Region (default `global`).
        pub region: String,
        /// Namespace (default `default`).
        pub namespace: String,
        /// Job ID (the HCL label).
        #[serde(rename = "ID")]
        pub id: String,
        /// Parent of a dispatched or periodic child.
        #[serde(rename = "ParentID")]
        pub parent_id: String,
        /// Display name (default = ID).
        pub name: String,
        /// `service` (default), `batch`, `system` or `sysbatch`.
        #[serde(rename = "Type")]
        pub job_type: String,
        /// 1..=100 (default 50).
        pub priority: Option<i32>,
        /// Place all groups or none.
        pub all_at_once: bool,
        /// Datacenters (globs; default `["*"]`).
        pub datacenters: Vec<String>,
        /// Node pool (default `default`).
        pub node_pool: String,
        /// Job constraints.
        pub constraints: Vec<Constraint>,
        /// Job affinities.
        pub affinities: Vec<Affinity>,
        /// Job spreads.
        pub spreads: Vec<Spread>,
        /// Task groups.
        pub task_groups: Vec<TaskGroup>,
        /// Job-level update strategy (merged into groups).
        pub update: Option<UpdateStrategy>,
        /// Periodic launch configuration.
        pub periodic: Option<PeriodicConfig>,
        /// Parameterized (dispatchable) configuration.
        pub parameterized_job: Option<ParameterizedJobConfig>,
        /// Job-level reschedule policy (merged into groups).
        pub reschedule: Option<ReschedulePolicy>,
        /// Job-level migrate strategy (merged into groups).
        pub migrate: Option<MigrateStrategy>,
        /// Metadata.
        pub meta: BTreeMap<String, String>,
        /// UI description and links.
        #[serde(rename = "UI")]
        pub ui: Option<JobUiConfig>,
        /// True for a dispatched child of a parameterized job.
        pub dispatched: bool,
        /// Prevents a second dispatch with the same token.
        pub dispatch_idempotency_token: String,
        /// Base64 dispatch payload.
        pub payload: Option<String>,
        /// Set by `job stop`.
        pub stop: bool,
        /// `pending`, `running` or `dead`.
        pub status: String,
        /// Why the status is what it is.
        pub status_description: String,
        /// All allocations of this version became healthy.
        pub stable: bool,
        /// Incremented on each change of the specification.
        pub version: u64,
        /// Submission time, Unix nanoseconds.
        pub submit_time: i64,
        /// Raft index of creation.
        pub create_index: u64,
        /// Raft index of the last change of any kind.
        pub modify_index: u64,
        /// Raft index of the last change of the specification.
        pub job_modify_index: u64,
    }
    unmodelled pub unmodelled
}

api_struct! {
    /// A `ui` block.
    pub struct JobUiConfig {
        /// Markdown description.
        pub description: String,
        /// Links shown in the UI.
        pub links: Vec<JobUiLink>,
    }
}

api_struct! {
    /// A `ui` `link`.
    pub struct JobUiLink {
        /// Text.
        pub label: String,
        /// Target URL.
        #[serde(rename = "URL")]
        pub url: String,
    }
}

/// Job type `service`: long-running, deployments.
pub const JOB_TYPE_SERVICE: &str = "service";
/// Job type `batch`: run to completion.
pub const JOB_TYPE_BATCH: &str = "batch";
/// Job type `system`: one allocation per eligible node.
pub const JOB_TYPE_SYSTEM: &str = "system";
/// Job type `sysbatch`: batch on every eligible node.
pub const JOB_TYPE_SYSBATCH: &str = "sysbatch";
/// Internal job type of the GC's `_core` jobs.
pub const JOB_TYPE_CORE: &str = "_core";
/// The types a user may submit.
pub const JOB_TYPES: &[&str] = &[
    JOB_TYPE_SERVICE,
    JOB_TYPE_BATCH,
    JOB_TYPE_SYSTEM,
    JOB_TYPE_SYSBATCH,
];

/// Job status `pending`.
pub const JOB_STATUS_PENDING: &str = "pending";
/// Job status `running`.
pub const JOB_STATUS_RUNNING: &str = "running";
/// Job status `dead`.
pub const JOB_STATUS_DEAD: &str = "dead";

/// Default region.
pub const DEFAULT_REGION: &str = "global";
/// Default namespace.
pub const DEFAULT_NAMESPACE: &str = "default";
/// Default node pool.
pub const DEFAULT_NODE_POOL: &str = "default";
/// Default priority.
pub const DEFAULT_PRIORITY: i32 = 50;
/// Lowest priority a job may have.
pub const MIN_PRIORITY: i32 = 1;
/// Highest priority a job may have (Nomad's default `job_max_priority`).
pub const MAX_PRIORITY: i32 = 100;

impl Job {
    /// The task group with this name.
    pub fn lookup_task_group(&self, name: &str) -> Option<&TaskGroup> {
        self.task_groups.iter().find(|g| g.name == name)
    }

    /// Priority, 50 when unset.
    pub fn effective_priority(&self) -> i32 {
        self.priority.unwrap_or(DEFAULT_PRIORITY)
    }

    /// True when the job has a `periodic` block (enabled or not), as Nomad's
    /// `IsPeriodic`: such a job gets no evaluation of its own at registration.
    pub fn is_periodic(&self) -> bool {
        self.periodic.is_some()
    }

    /// True when the periodic dispatcher should launch children: periodic and
    /// enabled, not stopped, not a parameterized template.
    pub fn is_periodic_active(&self) -> bool {
        self.periodic
            .as_ref()
            .is_some_and(|p| p.enabled.unwrap_or(true))
            && !self.stop
            && !self.is_parameterized()
    }

    /// True when the job is a template for dispatched children.
    pub fn is_parameterized(&self) -> bool {
        self.parameterized_job.is_some() && !self.dispatched
    }

    /// True for `system` and `sysbatch` jobs (one allocation per node).
    pub fn is_system_like(&self) -> bool {
        self.job_type == JOB_TYPE_SYSTEM || self.job_type == JOB_TYPE_SYSBATCH
    }

    /// `(namespace, id)`, the key jobs are stored under.
    pub fn namespaced_id(&self) -> (&str, &str) {
        (&self.namespace, &self.id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn periodic_and_parameterized_predicates() {
        let mut j = Job {
            job_type: JOB_TYPE_BATCH.into(),
            ..Default::default()
        };
        assert!(!j.is_periodic() && !j.is_periodic_active() && !j.is_parameterized());
        j.periodic = Some(PeriodicConfig {
            enabled: Some(false),
            ..Default::default()
        });
        assert!(j.is_periodic() && !j.is_periodic_active());
        j.periodic = Some(PeriodicConfig::default());
        assert!(j.is_periodic_active());
        j.stop = true;
        assert!(!j.is_periodic_active());
        j.stop = false;
        j.parameterized_job = Some(ParameterizedJobConfig::default());
        assert!(j.is_parameterized() && !j.is_periodic_active());
        j.dispatched = true;
        assert!(!j.is_parameterized());
        assert!(!j.is_system_like());
        j.job_type = JOB_TYPE_SYSBATCH.into();
        assert!(j.is_system_like());
        assert_eq!(j.effective_priority(), DEFAULT_PRIORITY);
    }

    #[test]
    fn lookups() {
        let j = Job {
            task_groups: vec![TaskGroup {
                name: "g".into(),
                tasks: vec![crate::structs::Task {
                    name: "t".into(),
                    ..Default::default()
                }],
                ..Default::default()
            }],
            ..Default::default()
        };
        let g = j.lookup_task_group("g");
        assert!(g.is_some_and(|g| g.lookup_task("t").is_some() && g.lookup_task("x").is_none()));
        assert_eq!(g.map(TaskGroup::desired_count), Some(1));
        assert!(j.lookup_task_group("x").is_none());
    }
}
