//! The executor: a small process (this binary re-executed as `nomad executor <config>`, as
//! Nomad's own executor is) that sits between the agent and a `raw_exec` task when the client
//! keeps a state dir. It outlives the agent, so a restarted client finds the task as it left it:
//!
//! ```text
//! agent ── executor (process group leader, ignores signals, holds the FIFOs' read ends)
//!              └─ task (signals as usual; stdout/stderr are the FIFOs' write ends)
//! ```
//!
//! * Output: the task writes into FIFOs (see `exec::logs`); the executor holds a read end of
//!   each, so while no agent reads, a write blocks once the pipe is full instead of killing the
//!   task with SIGPIPE, and the next agent drains what waited.
//! * Exit: the executor waits for the task, writes its exit status beside the task's record
//!   (`<task>.exit`), and exits the same way, so the agent that started it reads the status
//!   from `wait` and one that re-attached reads it from the file.
//! * Start errors (no such command, not executable) come back on a status pipe, so the agent
//!   reports them as it reports a failed spawn.
//!
//! The executor is a fresh exec, not a fork of the agent: a fork would keep a private copy of
//! every agent page the agent writes afterwards, megabytes per task.

use std::ffi::OsString;
use std::io::Write;
use std::os::fd::{FromRawFd, RawFd};
use std::os::unix::process::{CommandExt, ExitStatusExt};

use crate::client::drivers::exec;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::OnceLock;

use serde::{Deserialize, Serialize};

/// The hidden subcommand that runs the executor.
pub const SUBCOMMAND: &str = "executor";

/// What the agent tells the executor, in a file beside the task's record (not in argv:
/// `ps` shows the task's own command line, not ours, and nothing in it leaks).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExecutorConfig {
    /// The program (looked up on the task's PATH when it has no slash) and its arguments.
    pub command: String,
    pub args: Vec<String>,
    /// Where to write the task's exit status.
    pub exit_file: PathBuf,
    /// The inherited write end of the status pipe.
    pub status_fd: RawFd,
    /// Inherited descriptors the executor keeps and the task must not get (the FIFOs' read ends).
    pub keep_fds: Vec<RawFd>,
    /// `cgroup.procs` files the task joins before it execs (the executor stays out).
    pub cgroup_procs: Vec<PathBuf>,
}

/// What the executor says on the status pipe: the task's PID, or why it did not start.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum StartStatus {
    Started { pid: u32 },
    Failed { errno: i32, message: String },
}

static BINARY: OnceLock<PathBuf> = OnceLock::new();

/// Declares that this process's own binary serves as the executor (called by `main` of the
/// `nomad` binary, which dispatches [`SUBCOMMAND`]). Without it (unit tests, whose binary is
/// the test harness), `raw_exec` runs tasks as plain children.
pub fn serve_from_own_binary() {
    let _ = BINARY.set(PathBuf::from("/proc/self/exe"));
}

/// The executor binary this process may start, if any.
pub fn own_binary() -> Option<PathBuf> {
    BINARY.get().cloned()
}

/// `nomad executor <config>`: runs the task the config names and exits as it did.
pub fn main(args: &[OsString]) -> ExitCode {
    let Some(path) = args.first() else {
        eprintln!("nomad executor: missing config path (this command is started by raw_exec)");
        return ExitCode::from(1);
    };
    let config = match read_config(Path::new(path)) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("nomad executor: {}: {e}", Path::new(path).display());
            return ExitCode::from(1);
        }
    };
    run(config)
}

fn read_config(path: &Path) -> std::io::Result<ExecutorConfig> {
    let bytes = std::fs::read(path)?;
    let _ = std::fs::remove_file(path);
    serde_json::from_slice(&bytes).map_err(std::io::Error::other)
}

fn run(config: ExecutorConfig) -> ExitCode {
    // SAFETY: the status fd was passed to us open; we own it from here on.
    let mut status = unsafe { std::fs::File::from_raw_fd(config.status_fd) };
    let inherited: Vec<RawFd> = config
        .keep_fds
        .iter()
        .copied()
        .chain([config.status_fd])
        .collect();
    for &fd in &inherited {
        // The task must not inherit them: a read end in the task would hide its EOF from nobody,
        // but the status pipe would keep the agent waiting for as long as the task runs.
        // SAFETY: fcntl on descriptors we were given.
        unsafe { libc::fcntl(fd, libc::F_SETFD, libc::FD_CLOEXEC) };
    }
    ignore_signals();
    // Opened now, written when the task ends (see `exec::write_exit_status`).
    let exit_fd = std::ffi::CString::new(config.exit_file.as_os_str().as_encoded_bytes())
        // SAFETY: a valid C string.
        .map_or(-1, |p| unsafe { exec::open_exit_file(&p) });
    let procs: Vec<std::ffi::CString> = config
        .cgroup_procs
        .iter()
        .filter_map(|p| std::ffi::CString::new(p.as_os_str().as_encoded_bytes()).ok())
        .collect();
    let mut cmd = std::process::Command::new(&config.command);
    cmd.args(&config.args);
    // SAFETY: only async-signal-safe calls between fork and exec.
    unsafe {
        cmd.pre_exec(move || {
            default_signals();
            exec::join_cgroups(&procs)
        });
    }
    let mut child = match cmd.spawn() {
        Ok(c) => c,
        Err(e) => {
            let _ = say(
                &mut status,
                &StartStatus::Failed {
                    errno: e.raw_os_error().unwrap_or(0),
                    message: e.to_string(),
                },
            );
            return ExitCode::from(127);
        }
    };
    let _ = say(&mut status, &StartStatus::Started { pid: child.id() });
    drop(status);
    let wait = loop {
        match child.wait() {
            Ok(s) => break s,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(_) => return ExitCode::from(1),
        }
    };
    if exit_fd >= 0 {
        // SAFETY: our own descriptor.
        unsafe { exec::write_exit_status(exit_fd, wait.into_raw()) };
    }
    // SAFETY: exits the process.
    unsafe { exec::mirror_exit(wait.into_raw()) }
}

fn say(status: &mut std::fs::File, what: &StartStatus) -> std::io::Result<()> {
    let bytes = serde_json::to_vec(what).map_err(std::io::Error::other)?;
    status.write_all(&bytes)
}

/// The executor ignores what the agent sends its process group: the task gets it.
fn ignore_signals() {
    for sig in 1..32 {
        if sig != libc::SIGKILL && sig != libc::SIGSTOP && sig != libc::SIGCHLD {
            // SAFETY: setting a disposition.
            unsafe { libc::signal(sig, libc::SIG_IGN) };
        }
    }
}

/// Ignored dispositions survive exec: the task gets the defaults back.
fn default_signals() {
    for sig in 1..32 {
        if sig != libc::SIGKILL && sig != libc::SIGSTOP {
            // SAFETY: async-signal-safe.
            unsafe { libc::signal(sig, libc::SIG_DFL) };
        }
    }
}
