//! Nomad's documented defaults for each policy block, by job type.

use crate::structs::{
    DELAY_CONSTANT, DELAY_EXPONENTIAL, HEALTH_CHECK_CHECKS, HOUR, JOB_TYPE_BATCH, JOB_TYPE_SERVICE,
    JOB_TYPE_SYSBATCH, LogConfig, MINUTE, MigrateStrategy, RESTART_MODE_FAIL, ReschedulePolicy,
    RestartPolicy, SECOND, UpdateStrategy,
};

/// Default `kill_timeout`: 5s.
pub const DEFAULT_KILL_TIMEOUT: i64 = 5 * SECOND;
/// Default CPU in MHz.
pub const DEFAULT_CPU: i32 = 100;
/// Default memory in MB.
pub const DEFAULT_MEMORY_MB: i32 = 300;
/// Default ephemeral disk in MB.
pub const DEFAULT_EPHEMERAL_DISK_MB: i32 = 300;
/// Default rotated log files per stream.
pub const DEFAULT_LOG_MAX_FILES: i32 = 10;
/// Default size of each log file in MB.
pub const DEFAULT_LOG_MAX_FILE_SIZE_MB: i32 = 10;
/// Default template splay: 5s.
pub const DEFAULT_TEMPLATE_SPLAY: i64 = 5 * SECOND;
/// Default `check_restart.grace`: 1s.
pub const DEFAULT_CHECK_RESTART_GRACE: i64 = SECOND;
/// Default change-script timeout: 5s.
pub const DEFAULT_CHANGE_SCRIPT_TIMEOUT: i64 = 5 * SECOND;

/// The restart policy a group gets when it sets none: batch-like jobs 3 attempts in
/// 24h, service/system 2 attempts in 30m; 15s delay and mode `fail` for all.
pub fn default_restart_policy(job_type: &str) -> RestartPolicy {
    let batch_like = job_type == JOB_TYPE_BATCH || job_type == JOB_TYPE_SYSBATCH;
    RestartPolicy {
        interval: Some(if batch_like { 24 * HOUR } else { 30 * MINUTE }),
        attempts: Some(if batch_like { 3 } else { 2 }),
        delay: Some(15 * SECOND),
        mode: Some(RESTART_MODE_FAIL.to_string()),
        render_templates: Some(false),
    }
}

/// The reschedule policy a group gets when it sets none; `None` for system and
/// sysbatch jobs, which are never rescheduled.
pub fn default_reschedule_policy(job_type: &str) -> Option<ReschedulePolicy> {
    match job_type {
        JOB_TYPE_SERVICE => Some(ReschedulePolicy {
            attempts: Some(0),
            interval: Some(0),
            delay: Some(30 * SECOND),
            delay_function: Some(DELAY_EXPONENTIAL.to_string()),
            max_delay: Some(HOUR),
            unlimited: Some(true),
        }),
        JOB_TYPE_BATCH => Some(ReschedulePolicy {
            attempts: Some(1),
            interval: Some(24 * HOUR),
            delay: Some(5 * SECOND),
            delay_function: Some(DELAY_CONSTANT.to_string()),
            max_delay: Some(0),
            unlimited: Some(false),
        }),
        _ => None,
    }
}

/// The `update` defaults.
pub fn default_update_strategy() -> UpdateStrategy {
    UpdateStrategy {
        stagger: Some(30 * SECOND),
        max_parallel: Some(1),
        health_check: Some(HEALTH_CHECK_CHECKS.to_string()),
        min_healthy_time: Some(10 * SECOND),
        healthy_deadline: Some(5 * MINUTE),
        progress_deadline: Some(10 * MINUTE),
        canary: Some(0),
        auto_revert: Some(false),
        auto_promote: Some(false),
    }
}

/// The `migrate` defaults (service jobs).
pub fn default_migrate_strategy() -> MigrateStrategy {
    MigrateStrategy {
        max_parallel: Some(1),
        health_check: Some(HEALTH_CHECK_CHECKS.to_string()),
        min_healthy_time: Some(10 * SECOND),
        healthy_deadline: Some(5 * MINUTE),
    }
}

/// The `logs` defaults: 10 files of 10 MB.
pub fn default_log_config() -> LogConfig {
    LogConfig {
        max_files: Some(DEFAULT_LOG_MAX_FILES),
        max_file_size_mb: Some(DEFAULT_LOG_MAX_FILE_SIZE_MB),
        disabled: false,
        ..Default::default()
    }
}

/// `base` with `overlay`'s set fields on top, for any mergeable block.
pub(super) fn layered<T: Clone>(base: T, overlay: Option<&T>, merge: fn(&mut T, &T)) -> T {
    let mut out = base;
    if let Some(o) = overlay {
        merge(&mut out, o);
    }
    out
}
