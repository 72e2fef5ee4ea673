//! TaskGroup: the unit of scheduling; `Count` copies of its tasks are placed together
//! on one node as an allocation.

use std::collections::BTreeMap;

use super::{
    Affinity, Constraint, EphemeralDisk, MigrateStrategy, NetworkResource, ReschedulePolicy,
    RestartPolicy, ScalingPolicy, Service, Spread, Task, UpdateStrategy, VolumeRequest,
};

api_struct! {
    /// A `group "<name>"` block.
    pub struct TaskGroup {
        /// The HCL label.
        pub name: String,
        /// Allocations wanted (default 1).
        pub count: Option<i32>,
        /// Group constraints.
        pub constraints: Vec<Constraint>,
        /// Group affinities.
        pub affinities: Vec<Affinity>,
        /// Group spreads.
        pub spreads: Vec<Spread>,
        /// The tasks.
        pub tasks: Vec<Task>,
        /// Volumes by name (HCL `volume "<name>"`).
        pub volumes: BTreeMap<String, VolumeRequest>,
        /// Restart policy (HCL `restart`), defaults by job type.
        pub restart_policy: Option<RestartPolicy>,
        /// Reschedule policy (HCL `reschedule`), job's merged in.
        pub reschedule_policy: Option<ReschedulePolicy>,
        /// Scratch disk.
        pub ephemeral_disk: Option<EphemeralDisk>,
        /// Update strategy, job's merged in.
        pub update: Option<UpdateStrategy>,
        /// Migrate strategy, job's merged in.
        pub migrate: Option<MigrateStrategy>,
        /// Group networks (at most one).
        pub networks: Vec<NetworkResource>,
        /// Metadata.
        pub meta: BTreeMap<String, String>,
        /// Group services.
        pub services: Vec<Service>,
        /// Delay between service deregistration and stopping tasks, nanoseconds.
        pub shutdown_delay: Option<i64>,
        /// Deprecated: stop allocations after this long disconnected, nanoseconds.
        pub stop_after_client_disconnect: Option<i64>,
        /// Deprecated: keep allocations `unknown` this long when disconnected, nanoseconds.
        pub max_client_disconnect: Option<i64>,
        /// The `scaling` block: bounds for an autoscaler.
        pub scaling: Option<ScalingPolicy>,
    }
    unmodelled pub unmodelled
}

impl TaskGroup {
    /// The task with this name.
    pub fn lookup_task(&self, name: &str) -> Option<&Task> {
        self.tasks.iter().find(|t| t.name == name)
    }

    /// Wanted allocations, 1 when unset (Nomad's default).
    pub fn desired_count(&self) -> i32 {
        self.count.unwrap_or(1)
    }
}
