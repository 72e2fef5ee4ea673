//! What `raw_exec` and `exec` share about a task that is a host process group: the
//! [`ProcessGroup`] a handle signals and waits on (its leader's PID and the exit the
//! handle's waiter publishes), turning a child's wait status into an [`ExitResult`], and
//! for a task re-attached after a client restart (not this agent's child), telling it
//! from a process that reuses its PID ([`start_ticks`]) and noticing its exit
//! ([`wait_gone`]: a pidfd, or polling `/proc` where the kernel has none).

use std::os::fd::{FromRawFd, OwnedFd};
use std::os::unix::process::ExitStatusExt;
use std::process::ExitStatus;
use std::time::Duration;

use tokio::io::Interest;
use tokio::io::unix::AsyncFd;
use tokio::sync::watch;

use super::{ExitResult, signal};
use crate::client::error::{ClientError, Result};

/// How often an adopted process is checked for exit when there is no pidfd.
const POLL: Duration = Duration::from_millis(200);

/// The error of a re-attached task's exit: only its parent could have read the status.
pub const UNKNOWN_EXIT: &str =
    "exit status unknown: the task was re-attached after a client restart";

/// A task's process group, led by `pid` (spawned with `process_group(0)`). The other end
/// of `exit` is held by the task's waiter, which sends the exit once.
#[derive(Debug, Clone)]
pub struct ProcessGroup {
    pid: u32,
    exit: watch::Receiver<Option<ExitResult>>,
}

impl ProcessGroup {
    /// The group led by `pid`, whose exit arrives on `exit`.
    pub fn new(pid: u32, exit: watch::Receiver<Option<ExitResult>>) -> Self {
        Self { pid, exit }
    }

    /// The leader's PID.
    pub fn pid(&self) -> u32 {
        self.pid
    }

    /// Whether the waiter has reported the exit.
    pub fn exited(&self) -> bool {
        self.exit.borrow().is_some()
    }

    /// Sends `sig` to every process of the group.
    pub fn kill(&self, sig: i32) {
        if self.pid == 0 {
            return;
        }
        // SAFETY: kill has no memory preconditions; a negative pid targets the
        // task's own process group, created with process_group(0) at spawn.
        unsafe {
            libc::kill(-(self.pid as i32), sig);
        }
    }

    /// Sends the signal Nomad names `name` (`SIGHUP`, `HUP`, ...) to the group; refused once the task
    /// has exited.
    pub fn signal(&self, name: &str) -> Result<()> {
        let sig = signal::parse(name)?;
        if self.exited() {
            return Err(ClientError::TaskNotRunning);
        }
        self.kill(sig);
        Ok(())
    }

    /// Stops the group with `sig`, waiting up to `timeout` for the exit; past it the group gets
    /// SIGKILL. True when it had to be killed.
    pub async fn interrupt(&self, sig: i32, timeout: Duration) -> bool {
        if self.exited() {
            return false;
        }
        self.kill(sig);
        if tokio::time::timeout(timeout, self.wait_exit())
            .await
            .is_ok()
        {
            return false;
        }
        self.kill(libc::SIGKILL);
        true
    }

    /// Resolves with the exit once the waiter reports it.
    pub async fn wait_exit(&self) -> ExitResult {
        let mut rx = self.exit.clone();
        match rx.wait_for(|r| r.is_some()).await {
            Ok(r) => r.clone().unwrap_or_default(),
            Err(_) => ExitResult {
                exit_code: -1,
                err: Some("task waiter vanished".into()),
                ..Default::default()
            },
        }
    }
}

/// A child's wait result as the task's exit.
pub fn exit_of(status: std::io::Result<ExitStatus>) -> ExitResult {
    match status {
        Ok(status) => ExitResult {
            exit_code: status.code().unwrap_or(0),
            signal: status.signal().unwrap_or(0),
            ..Default::default()
        },
        Err(e) => ExitResult {
            exit_code: -1,
            err: Some(e.to_string()),
            ..Default::default()
        },
    }
}

/// Where the process between agent and task (raw_exec's executor, exec's supervisor) writes
/// the task's exit status: beside the task's record.
pub fn exit_path(record: &std::path::Path) -> std::path::PathBuf {
    record.with_extension("exit")
}

/// How a task ended, as its supervisor wrote it (`exec::sys::write_exit_status`).
#[derive(Debug, Clone, Copy, serde::Deserialize)]
struct ExitStatusRecord {
    exit_code: i32,
    signal: i32,
}

/// Reads (and removes) the exit status a supervisor wrote at `path`; `None` when it wrote
/// none (it was killed with the task).
pub fn take_exit(path: &std::path::Path) -> Option<ExitResult> {
    let bytes = std::fs::read(path).ok()?;
    let _ = std::fs::remove_file(path);
    let record: ExitStatusRecord = serde_json::from_slice(&bytes).ok()?;
    Some(ExitResult {
        exit_code: record.exit_code,
        signal: record.signal,
        ..Default::default()
    })
}

/// The exit of a re-attached task once it is gone.
pub fn unknown_exit() -> ExitResult {
    ExitResult {
        exit_code: -1,
        err: Some(UNKNOWN_EXIT.into()),
        ..Default::default()
    }
}

/// The start time of `pid` (field 22 of `/proc/<pid>/stat`: clock ticks after boot), or
/// `None` when no such process runs (zombies count as gone).
pub fn start_ticks(pid: u32) -> Option<u64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // The command name (field 2) may hold spaces and parentheses: split after its last ')'.
    let rest = &stat[stat.rfind(')')? + 1..];
    let fields: Vec<&str> = rest.split_whitespace().collect();
    // `rest` starts at field 3 (state).
    if fields.first() == Some(&"Z") {
        return None;
    }
    fields.get(19)?.parse().ok()
}

/// Resolves once the process `pid` that started at `start_ticks` is gone.
pub async fn wait_gone(pid: u32, start_ticks: u64) {
    if let Some(fd) = pidfd(pid) {
        // The fd names one process for good: checked once more now that it is held, a
        // reused PID cannot fool the wait, and the fd turns readable when it exits.
        if self::start_ticks(pid) != Some(start_ticks) {
            return;
        }
        // SAFETY: an OwnedFd stays open and is the same fd until the AsyncFd drops.
        if let Ok(fd) = unsafe { AsyncFd::register_with_interest(fd, Interest::READABLE) } {
            let _ = fd.readable().await;
            return;
        }
    }
    while self::start_ticks(pid) == Some(start_ticks) {
        tokio::time::sleep(POLL).await;
    }
}

/// `pidfd_open(pid)` (Linux 5.3+); `None` when the kernel or the process says no.
fn pidfd(pid: u32) -> Option<OwnedFd> {
    // SAFETY: pidfd_open takes two integers and returns a new fd or -1.
    let fd = unsafe { libc::syscall(libc::SYS_pidfd_open, pid as libc::pid_t, 0) };
    if fd < 0 {
        return None;
    }
    // SAFETY: a fresh fd nobody else owns.
    Some(unsafe { OwnedFd::from_raw_fd(fd as i32) })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_non_child_exit_is_noticed_and_pid_reuse_is_not_mistaken() {
        // `sh` forks the sleeper and exits: the sleeper is not our child.
        let out = std::process::Command::new("/bin/sh")
            .args(["-c", "sleep 30 >/dev/null 2>&1 & echo $!"])
            .output()
            .unwrap();
        let pid: u32 = String::from_utf8_lossy(&out.stdout).trim().parse().unwrap();
        let ticks = start_ticks(pid).expect("the sleeper runs");
        // A different start time is another process: gone at once.
        tokio::time::timeout(Duration::from_secs(5), wait_gone(pid, ticks + 1))
            .await
            .expect("a stale start time resolves at once");
        let waiter = tokio::spawn(wait_gone(pid, ticks));
        tokio::time::sleep(Duration::from_millis(100)).await;
        assert!(!waiter.is_finished(), "resolved while the process runs");
        // SAFETY: kill has no memory preconditions.
        unsafe { libc::kill(pid as i32, libc::SIGKILL) };
        tokio::time::timeout(Duration::from_secs(10), waiter)
            .await
            .expect("the exit is noticed")
            .unwrap();
        assert!(start_ticks(std::process::id()).is_some());
    }

    #[test]
    fn exit_statuses_become_exit_results() {
        let st = std::process::Command::new("/bin/sh")
            .args(["-c", "exit 3"])
            .status();
        assert_eq!(exit_of(st).exit_code, 3);
        let st = std::process::Command::new("/bin/sh")
            .args(["-c", "kill -TERM $$"])
            .status();
        let r = exit_of(st);
        assert_eq!((r.exit_code, r.signal), (0, libc::SIGTERM));
        let r = exit_of(Err(std::io::Error::other("boom")));
        assert_eq!((r.exit_code, r.err.as_deref()), (-1, Some("boom")));
        assert!(
            unknown_exit()
                .err
                .unwrap()
                .starts_with("exit status unknown")
        );
    }
}
