//! MigrateStrategy: how a service group's allocations move off a draining node.

api_struct! {
    /// A `migrate` block; job and group blocks merge field by field.
    pub struct MigrateStrategy {
        /// Allocations migrated at once (default 1).
        pub max_parallel: Option<i32>,
        /// `checks` (default) or `task_states`.
        pub health_check: Option<String>,
        /// Time an allocation must stay healthy (default 10s), nanoseconds.
        pub min_healthy_time: Option<i64>,
        /// Deadline to become healthy (default 5m), nanoseconds.
        pub healthy_deadline: Option<i64>,
    }
}

impl MigrateStrategy {
    /// Overlays the fields set in `other` onto `self` (`other` wins).
    pub fn merge(&mut self, other: &MigrateStrategy) {
        if other.max_parallel.is_some() {
            self.max_parallel = other.max_parallel;
        }
        if other.health_check.is_some() {
            self.health_check = other.health_check.clone();
        }
        if other.min_healthy_time.is_some() {
            self.min_healthy_time = other.min_healthy_time;
        }
        if other.healthy_deadline.is_some() {
            self.healthy_deadline = other.healthy_deadline;
        }
    }
}
