//! Task events as Nomad's client records them, with the `DisplayMessage` that
//! `nomad alloc status` prints under "Recent Events".

use std::time::Duration;

use nomad_region::duration::format_duration;
use nomad_region::structs::{
    TASK_DRIVER_FAILURE, TASK_KILLED, TASK_KILLING, TASK_LEADER_DEAD, TASK_NOT_RESTARTING,
    TASK_RECEIVED, TASK_RESTART_SIGNAL, TASK_RESTARTING, TASK_SETUP, TASK_SETUP_FAILURE,
    TASK_SIBLING_FAILED, TASK_SIGNALING, TASK_STARTED, TASK_TERMINATED, TaskEvent,
};

use crate::client::drivers::ExitResult;

/// Nomad keeps this many events per task.
pub const MAX_EVENTS: usize = 10;

fn event(kind: &str, now: i64, display: impl Into<String>) -> TaskEvent {
    TaskEvent {
        display_message: display.into(),
        ..TaskEvent::new(kind, now)
    }
}

/// `Received`: the client got the task.
pub fn received(now: i64) -> TaskEvent {
    event(TASK_RECEIVED, now, "Task received by client")
}

/// `Task Setup`: building the task directory.
pub fn setup(now: i64) -> TaskEvent {
    let mut e = event(TASK_SETUP, now, "Building Task Directory");
    e.message = "Building Task Directory".into();
    e
}

/// `Setup Failure`.
pub fn setup_failure(now: i64, err: &str) -> TaskEvent {
    let mut e = event(TASK_SETUP_FAILURE, now, err);
    e.setup_error = err.into();
    e.fails_task = true;
    e
}

/// `Driver Failure`: the driver could not start the task.
pub fn driver_failure(now: i64, err: &str) -> TaskEvent {
    let mut e = event(TASK_DRIVER_FAILURE, now, err);
    e.driver_error = err.into();
    e
}

/// `Started`.
pub fn started(now: i64) -> TaskEvent {
    event(TASK_STARTED, now, "Task started by client")
}

/// `Terminated`: "Exit Code: N[, Signal: S][, Exit Message: "..."]".
pub fn terminated(now: i64, exit: &ExitResult) -> TaskEvent {
    let mut msg = format!("Exit Code: {}", exit.exit_code);
    if exit.signal != 0 {
        msg.push_str(&format!(", Signal: {}", exit.signal));
    }
    if let Some(err) = &exit.err {
        msg.push_str(&format!(", Exit Message: {err:?}"));
    }
    let mut e = event(TASK_TERMINATED, now, msg);
    e.exit_code = exit.exit_code;
    e.signal = exit.signal;
    e.message = exit.err.clone().unwrap_or_default();
    e
}

/// `Restarting`: "Task restarting in 15s".
pub fn restarting(now: i64, delay: Duration, reason: &str) -> TaskEvent {
    let nanos = delay.as_nanos().min(i64::MAX as u128) as i64;
    let mut e = event(
        TASK_RESTARTING,
        now,
        format!("Task restarting in {}", format_duration(nanos)),
    );
    e.start_delay = nanos;
    e.restart_reason = reason.into();
    e
}

/// `Not Restarting`: the policy's reason.
pub fn not_restarting(now: i64, reason: &str, fails: bool) -> TaskEvent {
    let mut e = event(TASK_NOT_RESTARTING, now, reason);
    e.restart_reason = reason.into();
    e.fails_task = fails;
    e
}

/// `Killing`: "Sent interrupt. Waiting 5s before force killing".
pub fn killing(now: i64, kill_timeout: Duration, reason: &str) -> TaskEvent {
    let nanos = kill_timeout.as_nanos().min(i64::MAX as u128) as i64;
    let mut e = event(
        TASK_KILLING,
        now,
        format!(
            "Sent interrupt. Waiting {} before force killing",
            format_duration(nanos)
        ),
    );
    e.kill_timeout = nanos;
    e.kill_reason = reason.into();
    e
}

/// `Killed`.
pub fn killed(now: i64) -> TaskEvent {
    event(TASK_KILLED, now, "Task successfully killed")
}

/// `Sibling Task Failed`.
pub fn sibling_failed(now: i64, sibling: &str) -> TaskEvent {
    let mut e = event(
        TASK_SIBLING_FAILED,
        now,
        format!("Task's sibling {sibling:?} failed"),
    );
    e.failed_sibling = sibling.into();
    e.fails_task = true;
    e
}

/// `Leader Task Dead`.
pub fn leader_dead(now: i64) -> TaskEvent {
    event(TASK_LEADER_DEAD, now, "Leader Task in Group dead")
}

/// `Restart Signaled`: a user asked for the task to restart (`alloc restart`).
pub fn restart_signaled(now: i64, reason: &str) -> TaskEvent {
    let mut e = event(TASK_RESTART_SIGNAL, now, reason);
    e.restart_reason = reason.into();
    e
}

/// `Signaling`.
pub fn signaling(now: i64, signal: &str) -> TaskEvent {
    let mut e = event(
        TASK_SIGNALING,
        now,
        format!("Task being sent signal {signal}"),
    );
    e.task_signal = signal.into();
    e
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_messages() {
        let exit = ExitResult {
            exit_code: 1,
            signal: 9,
            err: Some("oom".into()),
            oom_killed: false,
        };
        assert_eq!(
            terminated(1, &exit).display_message,
            "Exit Code: 1, Signal: 9, Exit Message: \"oom\""
        );
        assert_eq!(
            terminated(1, &ExitResult::default()).display_message,
            "Exit Code: 0"
        );
        assert_eq!(
            restarting(1, Duration::from_secs(15), "r").display_message,
            "Task restarting in 15s"
        );
        assert_eq!(
            killing(1, Duration::from_secs(5), "").display_message,
            "Sent interrupt. Waiting 5s before force killing"
        );
        assert_eq!(received(7).time, 7);
        assert_eq!(received(7).event_type, "Received");
    }
}
