//! Rules for the policy blocks: restart, reschedule, update, migrate, ephemeral disk,
//! periodic and parameterized.

use super::{Checker, Path, dur};
use crate::structs::{
    DELAY_CONSTANT, DELAY_FUNCTIONS, EphemeralDisk, HEALTH_CHECK_CHECKS, HEALTH_CHECK_MANUAL,
    HEALTH_CHECK_TASK_STATES, JOB_TYPE_BATCH, JOB_TYPE_SYSBATCH, MigrateStrategy,
    PAYLOAD_FORBIDDEN, PAYLOAD_OPTIONAL, PAYLOAD_REQUIRED, PERIODIC_SPEC_CRON,
    ParameterizedJobConfig, PeriodicConfig, RESTART_MODE_DELAY, RESTART_MODE_FAIL,
    ReschedulePolicy, RestartPolicy, SECOND, UpdateStrategy, parse_cron,
};

/// Shortest reschedule delay Nomad accepts.
const MIN_RESCHEDULE_DELAY: i64 = 5 * SECOND;

pub(super) fn check_restart(r: &RestartPolicy, p: &Path, c: &mut Checker) {
    if let Some(mode) = &r.mode
        && mode != RESTART_MODE_FAIL
        && mode != RESTART_MODE_DELAY
    {
        c.at(p, "mode", format!("Unsupported restart mode: {mode:?}"));
    }
    let attempts = r.attempts.unwrap_or(0);
    if attempts < 0 {
        c.at(p, "attempts", "Restart attempts can't be negative");
    }
    if r.delay.is_some_and(|d| d < 0) {
        c.at(p, "delay", "Restart delay can't be negative");
    }
    if r.interval.is_some_and(|i| i < 0) {
        c.at(p, "interval", "Restart interval can't be negative");
    }
    if let (Some(delay), Some(interval)) = (r.delay, r.interval)
        && attempts > 0
        && delay >= 0
        && interval >= 0
        && delay.saturating_mul(i64::from(attempts)) > interval
    {
        c.at(p, "interval", format!(
            "Nomad can't restart the TaskGroup {attempts} times in an interval of {} with a delay of {}",
            dur(interval),
            dur(delay)
        ));
    }
}

pub(super) fn check_reschedule(r: &ReschedulePolicy, p: &Path, c: &mut Checker) {
    let func = r.delay_function.as_deref().unwrap_or("");
    if !func.is_empty() && !DELAY_FUNCTIONS.contains(&func) {
        c.at(
            p,
            "delay_function",
            format!("Invalid delay function {func:?}, must be one of {DELAY_FUNCTIONS:?}"),
        );
    }
    let attempts = r.attempts.unwrap_or(0);
    if attempts < 0 {
        c.at(p, "attempts", "Reschedule attempts can't be negative");
    }
    if r.interval.is_some_and(|i| i < 0) {
        c.at(p, "interval", "Reschedule interval can't be negative");
    }
    if !r.enabled() {
        return;
    }
    let delay = r.delay.unwrap_or(0);
    if r.delay.is_some() && delay < MIN_RESCHEDULE_DELAY {
        c.at(
            p,
            "delay",
            format!(
                "Delay cannot be less than {} (got {})",
                dur(MIN_RESCHEDULE_DELAY),
                dur(delay)
            ),
        );
    }
    if !func.is_empty()
        && func != DELAY_CONSTANT
        && let Some(max) = r.max_delay
        && max < delay
    {
        c.at(
            p,
            "max_delay",
            format!(
                "Max Delay cannot be less than Delay {} (got {})",
                dur(delay),
                dur(max)
            ),
        );
    }
    if !r.unlimited.unwrap_or(false) && attempts > 0 && r.interval.unwrap_or(0) <= 0 {
        c.at(
            p,
            "interval",
            "Interval must be a non zero value if Attempts > 0",
        );
    }
}

pub(super) fn check_update(u: &UpdateStrategy, p: &Path, c: &mut Checker) {
    if let Some(n) = u.max_parallel
        && n < 0
    {
        c.at(
            p,
            "max_parallel",
            format!("Update max parallel count is less than zero ({n} < 0)"),
        );
    }
    if let Some(n) = u.canary
        && n < 0
    {
        c.at(
            p,
            "canary",
            format!("Update canary count is less than zero ({n} < 0)"),
        );
    }
    if let Some(hc) = &u.health_check
        && ![
            HEALTH_CHECK_CHECKS,
            HEALTH_CHECK_TASK_STATES,
            HEALTH_CHECK_MANUAL,
        ]
        .contains(&hc.as_str())
    {
        c.at(
            p,
            "health_check",
            format!("Invalid health check given: {hc:?}"),
        );
    }
    check_health_times(u.min_healthy_time, u.healthy_deadline, p, c);
    if let Some(pd) = u.progress_deadline {
        if pd < 0 {
            c.at(
                p,
                "progress_deadline",
                "Progress deadline must be zero or greater",
            );
        } else if let Some(hd) = u.healthy_deadline
            && pd != 0
            && hd >= pd
        {
            c.at(
                p,
                "progress_deadline",
                format!(
                    "Healthy deadline must be less than progress deadline: {} >= {}",
                    dur(hd),
                    dur(pd)
                ),
            );
        }
    }
    if u.stagger.is_some_and(|s| s <= 0) {
        c.at(p, "stagger", "Stagger must be greater than zero");
    }
}

pub(super) fn check_migrate(m: &MigrateStrategy, p: &Path, c: &mut Checker) {
    if let Some(n) = m.max_parallel
        && n < 0
    {
        c.at(
            p,
            "max_parallel",
            format!("MaxParallel must be >= 0 but found {n}"),
        );
    }
    if let Some(hc) = &m.health_check
        && hc != HEALTH_CHECK_CHECKS
        && hc != HEALTH_CHECK_TASK_STATES
    {
        c.at(
            p,
            "health_check",
            format!("Invalid migrate health check {hc:?}, must be \"checks\" or \"task_states\""),
        );
    }
    check_health_times(m.min_healthy_time, m.healthy_deadline, p, c);
}

/// `min_healthy_time >= 0`, `healthy_deadline > 0`, and the first below the second.
fn check_health_times(min: Option<i64>, deadline: Option<i64>, p: &Path, c: &mut Checker) {
    if min.is_some_and(|m| m < 0) {
        c.at(
            p,
            "min_healthy_time",
            "Minimum healthy time may not be less than zero",
        );
    }
    if deadline.is_some_and(|d| d <= 0) {
        c.at(
            p,
            "healthy_deadline",
            "Healthy deadline must be greater than zero",
        );
    }
    if let (Some(m), Some(d)) = (min, deadline)
        && m >= 0
        && d > 0
        && m >= d
    {
        c.at(
            p,
            "min_healthy_time",
            format!(
                "Minimum healthy time must be less than healthy deadline: {} >= {}",
                dur(m),
                dur(d)
            ),
        );
    }
}

pub(super) fn check_ephemeral_disk(d: &EphemeralDisk, p: &Path, c: &mut Checker) {
    if d.size_mb.is_some_and(|s| s < 0) {
        c.at(p, "size", "Ephemeral disk size can't be negative");
    }
}

fn batch_like(job_type: &str) -> bool {
    job_type == JOB_TYPE_BATCH || job_type == JOB_TYPE_SYSBATCH
}

pub(super) fn check_periodic(pc: &PeriodicConfig, job_type: &str, p: &Path, c: &mut Checker) {
    if !batch_like(job_type) {
        c.add(
            p,
            "Periodic can only be used with \"batch\" or \"sysbatch\" scheduler",
        );
    }
    if !pc.spec_type.is_empty() && pc.spec_type != PERIODIC_SPEC_CRON {
        c.add(
            p,
            format!("Unknown periodic specification type {:?}", pc.spec_type),
        );
    }
    if !pc.spec.is_empty() && !pc.specs.is_empty() {
        c.at(p, "crons", "Only one of cron or crons may be set");
    }
    if pc.enabled.unwrap_or(true) && pc.spec.is_empty() && pc.specs.is_empty() {
        c.at(p, "cron", "Must specify a spec");
    }
    if !pc.spec.is_empty()
        && let Err(e) = parse_cron(&pc.spec)
    {
        c.at(p, "cron", format!("Invalid cron spec {:?}: {e}", pc.spec));
    }
    for spec in &pc.specs {
        if let Err(e) = parse_cron(spec) {
            c.at(p, "crons", format!("Invalid cron spec {spec:?}: {e}"));
        }
    }
}

pub(super) fn check_parameterized(
    pj: &ParameterizedJobConfig,
    job_type: &str,
    p: &Path,
    c: &mut Checker,
) {
    if !batch_like(job_type) {
        c.add(
            p,
            "Parameterized job can only be used with \"batch\" or \"sysbatch\" scheduler",
        );
    }
    if !pj.payload.is_empty()
        && ![PAYLOAD_OPTIONAL, PAYLOAD_REQUIRED, PAYLOAD_FORBIDDEN].contains(&pj.payload.as_str())
    {
        c.at(
            p,
            "payload",
            format!("Unknown payload requirement: {:?}", pj.payload),
        );
    }
    for key in pj
        .meta_required
        .iter()
        .filter(|k| pj.meta_optional.contains(k))
    {
        c.at(p, "meta_optional", format!(
            "Parameterized job can't have the same key in meta_required and meta_optional: {key:?}"
        ));
    }
}
