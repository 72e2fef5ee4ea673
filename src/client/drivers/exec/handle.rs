//! A running `exec` task: signals go to its process group (see `isolate` for why
//! only the task itself feels them), stop escalates to SIGKILL after the timeout,
//! usage comes from its cgroup, and when it ends the waiter reads the OOM counter,
//! kills whatever is left in the cgroup and removes it before reporting the exit.
//! A task taken over after a client restart (`adopt`) is the same handle, its exit
//! noticed through the shared `process` watcher.

use std::future::Future;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tokio::process::{Child, Command};
use tokio::sync::watch;
use tokio::task::JoinHandle;

use super::cgroup::TaskCgroup;
use super::enter::Entry;
use super::state;
use super::usage::CgroupTracker;
use crate::client::drivers::local_exec::{EnterHook, ExecContext};
use crate::client::drivers::process::{self, ProcessGroup};
use crate::client::drivers::{
    BoxFuture, ExecRequest, ExecSession, ExitResult, TaskHandle, local_exec, signal,
};
use crate::client::error::{ClientError, Result};
use crate::client::stats::TaskResourceUsage;

/// Exit message of an OOM-killed task (Nomad's).
pub const OOM_MESSAGE: &str = "OOM Killed";
/// How long to let the log pumps drain after the task exits.
const LOG_DRAIN: Duration = Duration::from_millis(250);

/// A running exec task.
pub struct ExecHandle {
    /// The supervisor (host PID, leader of the task's process group) and its exit.
    group: ProcessGroup,
    cgroup: Arc<TaskCgroup>,
    /// How to run another command inside the task.
    entry: Entry,
    /// Environment and teardown signal of `alloc exec` sessions (the hook that
    /// enters the task is added per session).
    exec_ctx: ExecContext,
    cpu: Mutex<CgroupTracker>,
    mhz: f64,
}

/// What the waiter of a task cleans up once it has ended.
pub struct Teardown {
    pub cgroup: Arc<TaskCgroup>,
    /// The log pumps, drained briefly.
    pub pumps: Vec<JoinHandle<()>>,
    /// The task's record (with a state dir), removed.
    pub record: Option<PathBuf>,
}

impl ExecHandle {
    /// Watches `child` (the supervisor) until it exits, then cleans up.
    pub fn watch(
        mut child: Child,
        teardown: Teardown,
        entry: Entry,
        exec_ctx: ExecContext,
        mhz: f64,
    ) -> Self {
        let pid = child.id().unwrap_or(0);
        Self::supervised(pid, entry, exec_ctx, mhz, teardown, async move {
            process::exit_of(child.wait().await)
        })
    }

    /// Takes over the supervisor `pid` a previous client started (not our child):
    /// its exit is noticed when it is gone, its status read from the file it wrote
    /// beside the record (unknown without one).
    pub fn adopt(
        pid: u32,
        start_ticks: u64,
        teardown: Teardown,
        entry: Entry,
        exec_ctx: ExecContext,
        mhz: f64,
    ) -> Self {
        let exit_file = teardown.record.as_deref().map(process::exit_path);
        Self::supervised(pid, entry, exec_ctx, mhz, teardown, async move {
            process::wait_gone(pid, start_ticks).await;
            exit_file
                .and_then(|f| process::take_exit(&f))
                .unwrap_or_else(process::unknown_exit)
        })
    }

    /// The handle, with a waiter that awaits `exited`, then reads the OOM counter,
    /// empties and removes the cgroup, drains the logs, forgets the record, ends the
    /// `alloc exec` sessions and reports.
    fn supervised(
        pid: u32,
        entry: Entry,
        exec_ctx: ExecContext,
        mhz: f64,
        teardown: Teardown,
        exited: impl Future<Output = ExitResult> + Send + 'static,
    ) -> Self {
        let (tx, rx) = watch::channel(None);
        let cgroup = teardown.cgroup.clone();
        let sessions_end = exec_ctx.task_stopped.clone();
        // The waiter ends when the supervisor does, which `stop` forces.
        tokio::spawn(async move {
            let mut result = exited.await;
            let oom = {
                let cg = teardown.cgroup.clone();
                tokio::task::spawn_blocking(move || {
                    let oom = cg.oom_kills() > 0;
                    cg.destroy();
                    oom
                })
                .await
                .unwrap_or(false)
            };
            if oom {
                result.oom_killed = true;
                result.err = Some(OOM_MESSAGE.into());
            }
            for p in teardown.pumps {
                let _ = tokio::time::timeout(LOG_DRAIN, p).await;
            }
            if let Some(path) = &teardown.record {
                state::remove(path);
            }
            // `alloc exec` sessions end with the task.
            sessions_end.cancel();
            let _ = tx.send(Some(result));
        });
        Self {
            group: ProcessGroup::new(pid, rx),
            cgroup,
            entry,
            exec_ctx,
            cpu: Mutex::new(CgroupTracker::default()),
            mhz,
        }
    }

    /// A command running `argv` inside this task, for `alloc exec`: the task's
    /// namespaces, root, cgroup, user and capabilities. The caller sets stdio and
    /// env (the command starts with an empty one) and spawns it; its exit mirrors
    /// the command's. Signals reach the command through the spawned process's group
    /// (set with `process_group(0)`), or with `tty` through stdin, its terminal.
    pub fn command(&self, argv: &[String], tty: bool) -> Result<Command> {
        let Some((program, args)) = argv.split_first() else {
            return Err(ClientError::TaskConfig("no command given".into()));
        };
        if self.group.exited() {
            return Err(ClientError::TaskNotRunning);
        }
        let entry = Entry {
            tty,
            ..self.entry.clone()
        };
        let mut cmd = Command::new(program);
        cmd.args(args).env_clear().kill_on_drop(false);
        // SAFETY: `enter` only makes async-signal-safe calls on prepared data.
        unsafe {
            cmd.pre_exec(move || entry.enter());
        }
        Ok(cmd)
    }

    /// Whether the task's cgroup still exists (it is removed once the task ends).
    pub fn cgroup_exists(&self) -> bool {
        self.cgroup.exists()
    }
}

impl TaskHandle for ExecHandle {
    fn pid(&self) -> Option<u32> {
        Some(self.group.pid())
    }

    fn wait(&self) -> BoxFuture<'_, ExitResult> {
        Box::pin(self.group.wait_exit())
    }

    fn signal(&self, name: &str) -> Result<()> {
        self.group.signal(name)
    }

    fn stop(&self, name: &str, timeout: Duration) -> BoxFuture<'_, ExitResult> {
        let sig = signal::parse(name).unwrap_or(libc::SIGINT);
        Box::pin(async move {
            if self.group.interrupt(sig, timeout).await {
                // Anything that left the group but not the cgroup goes too.
                let cg = self.cgroup.clone();
                let _ =
                    tokio::task::spawn_blocking(move || cg.kill_all(Duration::from_secs(5))).await;
            }
            self.group.wait_exit().await
        })
    }

    fn exec(&self, req: ExecRequest) -> BoxFuture<'_, Result<ExecSession>> {
        Box::pin(async move {
            if self.group.exited() {
                return Err(ClientError::TaskNotRunning);
            }
            // The session's own setsid/TIOCSCTTY (with a tty) makes the entry process
            // the terminal's session leader; the command it forks stays in that
            // foreground group, so the entry must not take a session of its own.
            let entry = Entry {
                tty: false,
                ..self.entry.clone()
            };
            // SAFETY (EnterHook contract): `enter` only makes async-signal-safe calls
            // on data prepared here, before the fork.
            let hook: EnterHook = Arc::new(move || unsafe { entry.enter() });
            let ctx = ExecContext {
                enter: Some(hook),
                ..self.exec_ctx.clone()
            };
            local_exec::spawn_in(&req, &ctx)
        })
    }

    fn stats(&self) -> TaskResourceUsage {
        let usage = self.cgroup.usage();
        let now = Instant::now();
        let resource_usage = match self.cpu.lock() {
            Ok(mut t) => t.usage(now, usage, self.mhz),
            Err(p) => p.into_inner().usage(now, usage, self.mhz),
        };
        TaskResourceUsage {
            resource_usage,
            timestamp: crate::client::now_nanos(),
            pids: None,
        }
    }
}
