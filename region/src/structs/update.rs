//! UpdateStrategy: how a group's allocations are replaced on a job change
//! (rolling updates, canaries, deployments).

api_struct! {
    /// An `update` block. Job-level and group-level blocks merge field by field, so
    /// every field is an `Option` (unset = inherit).
    pub struct UpdateStrategy {
        /// Delay between sets of updates for system jobs (default 30s), nanoseconds.
        pub stagger: Option<i64>,
        /// Allocations updated at once (default 1; 0 = no deployments).
        pub max_parallel: Option<i32>,
        /// `checks` (default), `task_states` or `manual`.
        pub health_check: Option<String>,
        /// Time an allocation must stay healthy (default 10s), nanoseconds.
        pub min_healthy_time: Option<i64>,
        /// Deadline to become healthy (default 5m), nanoseconds.
        pub healthy_deadline: Option<i64>,
        /// Deadline for deployment progress (default 10m; 0 = none), nanoseconds.
        pub progress_deadline: Option<i64>,
        /// Canaries placed before a rolling update (default 0).
        pub canary: Option<i32>,
        /// Revert to the last stable version on failure (default false).
        pub auto_revert: Option<bool>,
        /// Promote canaries once healthy (default false).
        pub auto_promote: Option<bool>,
    }
}

/// `health_check = "checks"`.
pub const HEALTH_CHECK_CHECKS: &str = "checks";
/// `health_check = "task_states"`.
pub const HEALTH_CHECK_TASK_STATES: &str = "task_states";
/// `health_check = "manual"` (update only).
pub const HEALTH_CHECK_MANUAL: &str = "manual";

impl UpdateStrategy {
    /// Overlays the fields set in `other` onto `self` (`other` wins).
    pub fn merge(&mut self, other: &UpdateStrategy) {
        macro_rules! take {
            ($($f:ident),*) => { $( if other.$f.is_some() { self.$f = other.$f.clone(); } )* };
        }
        take!(
            stagger,
            max_parallel,
            health_check,
            min_healthy_time,
            healthy_deadline,
            progress_deadline,
            canary,
            auto_revert,
            auto_promote
        );
    }

    /// True when the strategy creates deployments (`max_parallel > 0`).
    pub fn rolling(&self) -> bool {
        self.max_parallel.unwrap_or(0) > 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn merge_keeps_unset_fields() {
        let mut job = UpdateStrategy {
            max_parallel: Some(2),
            health_check: Some("task_states".into()),
            ..Default::default()
        };
        job.merge(&UpdateStrategy {
            canary: Some(1),
            max_parallel: Some(0),
            ..Default::default()
        });
        assert_eq!(job.max_parallel, Some(0));
        assert_eq!(job.canary, Some(1));
        assert_eq!(job.health_check.as_deref(), Some("task_states"));
        assert!(!job.rolling());
    }
}
