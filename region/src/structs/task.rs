//! Task: one process/container of a group, run by a driver with its config.

use std::collections::BTreeMap;

use super::{
    Affinity, Constraint, DispatchPayloadConfig, LogConfig, Resources, RestartPolicy, Service,
    TaskArtifact, TaskLifecycleConfig, Template, VolumeMount,
};

api_struct! {
    /// A `task "<name>"` block.
    pub struct Task {
        /// The HCL label.
        pub name: String,
        /// Driver name: `raw_exec`, `exec`, `docker`, ...
        pub driver: String,
        /// User to run as.
        pub user: String,
        /// Prestart/poststart/poststop hook; `None` = main task.
        pub lifecycle: Option<TaskLifecycleConfig>,
        /// Free-form driver configuration (HCL `config {}`).
        pub config: BTreeMap<String, serde_json::Value>,
        /// Task-level constraints.
        pub constraints: Vec<Constraint>,
        /// Task-level affinities.
        pub affinities: Vec<Affinity>,
        /// Environment variables (interpolated at run time).
        pub env: BTreeMap<String, String>,
        /// Task-level services.
        pub services: Vec<Service>,
        /// Resources (defaults: 100 MHz, 300 MB).
        pub resources: Option<Resources>,
        /// Restart policy, merged over the group's.
        pub restart_policy: Option<RestartPolicy>,
        /// Metadata (merged job -> group -> task for `NOMAD_META_*`).
        pub meta: BTreeMap<String, String>,
        /// Time between the kill signal and a forced kill (default 5s), nanoseconds.
        pub kill_timeout: Option<i64>,
        /// Log rotation (HCL `logs`).
        pub log_config: Option<LogConfig>,
        /// Artifacts to fetch.
        pub artifacts: Vec<TaskArtifact>,
        /// Templates to render.
        pub templates: Vec<Template>,
        /// Where a dispatch payload is written.
        pub dispatch_payload: Option<DispatchPayloadConfig>,
        /// Volume mounts.
        pub volume_mounts: Vec<VolumeMount>,
        /// When this task dies, the group's other tasks are stopped.
        pub leader: bool,
        /// Delay between service deregistration and the kill signal, nanoseconds.
        pub shutdown_delay: i64,
        /// Signal sent to stop the task (driver default when empty).
        pub kill_signal: String,
        /// Internal task kind (Connect sidecars etc.).
        pub kind: String,
    }
    unmodelled pub unmodelled
}

impl Task {
    /// True for a prestart/poststart/poststop task.
    pub fn is_lifecycle_hook(&self) -> bool {
        self.lifecycle.as_ref().is_some_and(|l| !l.hook.is_empty())
    }
}
