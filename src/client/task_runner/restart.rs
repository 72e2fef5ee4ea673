//! `RestartTracker`: the restart policy as a pure state machine. Fed each exit (or
//! start failure) and `now`, it says whether to restart, after what delay, and why.
//!
//! ```text
//! exit ──> batch & success? ──yes──> Stop (complete)
//!            │no
//!            ├─ unrecoverable start error ──> Stop (failed, "Error was unrecoverable")
//!            ├─ attempts == 0 ──────────────> Stop (failed, "Policy allows no restarts")
//!            ├─ window expired: count = 0, window starts now
//!            ├─ ++count <= attempts ────────> Restart after `delay`
//!            └─ over: mode fail ────────────> Stop (failed, "Exceeded allowed attempts ...")
//!                     mode delay ───────────> Restart when the window ends
//! ```

use std::time::Duration;

use nomad_region::duration::format_duration;
use nomad_region::structs::{JOB_TYPE_BATCH, JOB_TYPE_SYSBATCH, RESTART_MODE_DELAY, RestartPolicy};

use crate::client::drivers::ExitResult;

/// `Restarting` reason within the policy.
pub const REASON_WITHIN_POLICY: &str = "Restart within policy";
/// `Restarting` reason once attempts are used up in `delay` mode.
pub const REASON_DELAY: &str = "Exceeded allowed attempts, applying a delay";
/// `Not Restarting` reason when attempts is 0.
pub const REASON_NO_RESTARTS: &str = "Policy allows no restarts";
/// `Not Restarting` reason for an unrecoverable error.
pub const REASON_UNRECOVERABLE: &str = "Error was unrecoverable";

/// What to do after a task ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decision {
    /// Start again after `delay`.
    Restart {
        /// Wait first.
        delay: Duration,
        /// The `Restarting` event's reason.
        reason: String,
    },
    /// Stay dead.
    Stop {
        /// The task failed (the allocation fails).
        failed: bool,
        /// The `Not Restarting` event's reason (`None`: no event, e.g. a finished batch task).
        reason: Option<String>,
    },
}

/// Nomad's defaults when a job has no `restart` block: service 2 attempts in 30m,
/// batch 3 in 24h, both 15s delay, mode fail.
pub fn default_policy(job_type: &str) -> RestartPolicy {
    let batch = job_type == JOB_TYPE_BATCH || job_type == JOB_TYPE_SYSBATCH;
    RestartPolicy {
        attempts: Some(if batch { 3 } else { 2 }),
        interval: Some(if batch { 24 * 3600 } else { 30 * 60 } * 1_000_000_000),
        delay: Some(15_000_000_000),
        mode: Some("fail".into()),
        render_templates: Some(false),
    }
}

/// The restart policy state of one task.
#[derive(Debug, Clone)]
pub struct RestartTracker {
    attempts: u32,
    interval: i64,
    delay: i64,
    delay_mode: bool,
    batch: bool,
    count: u32,
    window_start: Option<i64>,
}

impl RestartTracker {
    /// A tracker for `policy` (unset fields take the job type's defaults).
    pub fn new(policy: Option<&RestartPolicy>, job_type: &str) -> Self {
        let mut p = default_policy(job_type);
        if let Some(given) = policy {
            p.merge(given);
        }
        Self {
            attempts: p.attempts.unwrap_or(0).max(0) as u32,
            interval: p.interval.unwrap_or(0).max(0),
            delay: p.delay.unwrap_or(0).max(0),
            delay_mode: p.mode.as_deref() == Some(RESTART_MODE_DELAY),
            batch: job_type == JOB_TYPE_BATCH || job_type == JOB_TYPE_SYSBATCH,
            count: 0,
            window_start: None,
        }
    }

    /// The task exited with `exit` at `now` (Unix nanoseconds).
    pub fn on_exit(&mut self, exit: &ExitResult, now: i64) -> Decision {
        if exit.successful() && self.batch {
            return Decision::Stop {
                failed: false,
                reason: None,
            };
        }
        self.count_failure(now)
    }

    /// The driver failed to start the task at `now`.
    pub fn on_start_error(&mut self, recoverable: bool, now: i64) -> Decision {
        if !recoverable {
            return Decision::Stop {
                failed: true,
                reason: Some(REASON_UNRECOVERABLE.into()),
            };
        }
        self.count_failure(now)
    }

    fn count_failure(&mut self, now: i64) -> Decision {
        if self.attempts == 0 {
            return Decision::Stop {
                failed: true,
                reason: Some(REASON_NO_RESTARTS.into()),
            };
        }
        let start = match self.window_start {
            Some(s) if now.saturating_sub(s) <= self.interval => s,
            _ => {
                self.count = 0;
                self.window_start = Some(now);
                now
            }
        };
        self.count += 1;
        if self.count <= self.attempts {
            return Decision::Restart {
                delay: nanos(self.delay),
                reason: REASON_WITHIN_POLICY.into(),
            };
        }
        if self.delay_mode {
            let until_window_end = start.saturating_add(self.interval).saturating_sub(now);
            return Decision::Restart {
                delay: nanos(until_window_end.max(self.delay)),
                reason: REASON_DELAY.into(),
            };
        }
        Decision::Stop {
            failed: true,
            reason: Some(format!(
                "Exceeded allowed attempts {} in interval {} and mode is \"fail\"",
                self.attempts,
                format_duration(self.interval)
            )),
        }
    }
}

fn nanos(n: i64) -> Duration {
    Duration::from_nanos(n.max(0) as u64)
}

#[cfg(test)]
mod tests {
    use super::*;

    const S: i64 = 1_000_000_000;

    fn fail() -> ExitResult {
        ExitResult {
            exit_code: 1,
            ..Default::default()
        }
    }

    fn policy(attempts: i32, interval: i64, mode: &str) -> RestartPolicy {
        RestartPolicy {
            attempts: Some(attempts),
            interval: Some(interval),
            delay: Some(2 * S),
            mode: Some(mode.into()),
            render_templates: None,
        }
    }

    #[test]
    fn fail_mode_gives_up_after_attempts() {
        let mut t = RestartTracker::new(Some(&policy(2, 60 * S, "fail")), "service");
        let restart = Decision::Restart {
            delay: Duration::from_secs(2),
            reason: REASON_WITHIN_POLICY.into(),
        };
        assert_eq!(t.on_exit(&fail(), 0), restart);
        assert_eq!(t.on_exit(&fail(), 5 * S), restart);
        assert_eq!(
            t.on_exit(&fail(), 10 * S),
            Decision::Stop {
                failed: true,
                reason: Some(
                    "Exceeded allowed attempts 2 in interval 1m0s and mode is \"fail\"".into()
                )
            }
        );
    }

    #[test]
    fn window_resets_after_interval() {
        let mut t = RestartTracker::new(Some(&policy(1, 10 * S, "fail")), "service");
        assert!(matches!(t.on_exit(&fail(), 0), Decision::Restart { .. }));
        assert!(matches!(
            t.on_exit(&fail(), 11 * S),
            Decision::Restart { .. }
        ));
        assert!(matches!(
            t.on_exit(&fail(), 12 * S),
            Decision::Stop { failed: true, .. }
        ));
    }

    #[test]
    fn delay_mode_waits_for_window_end() {
        let mut t = RestartTracker::new(Some(&policy(1, 30 * S, "delay")), "service");
        assert!(matches!(t.on_exit(&fail(), 0), Decision::Restart { .. }));
        assert_eq!(
            t.on_exit(&fail(), 10 * S),
            Decision::Restart {
                delay: Duration::from_secs(20),
                reason: REASON_DELAY.into()
            }
        );
    }

    #[test]
    fn batch_success_completes_but_service_success_restarts() {
        let ok = ExitResult::default();
        let mut b = RestartTracker::new(None, "batch");
        assert_eq!(
            b.on_exit(&ok, 0),
            Decision::Stop {
                failed: false,
                reason: None
            }
        );
        let mut s = RestartTracker::new(None, "service");
        assert_eq!(
            s.on_exit(&ok, 0),
            Decision::Restart {
                delay: Duration::from_secs(15),
                reason: REASON_WITHIN_POLICY.into()
            }
        );
    }

    #[test]
    fn no_attempts_and_unrecoverable() {
        let mut t = RestartTracker::new(Some(&policy(0, 60 * S, "fail")), "service");
        assert_eq!(
            t.on_exit(&fail(), 0),
            Decision::Stop {
                failed: true,
                reason: Some(REASON_NO_RESTARTS.into())
            }
        );
        let mut t = RestartTracker::new(None, "service");
        assert_eq!(
            t.on_start_error(false, 0),
            Decision::Stop {
                failed: true,
                reason: Some(REASON_UNRECOVERABLE.into())
            }
        );
        assert!(matches!(
            t.on_start_error(true, 0),
            Decision::Restart { .. }
        ));
    }
}
