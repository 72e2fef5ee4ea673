//! A running `exec` task: signals go to its process group (see `isolate` for why
//! only the task itself feels them), stop escalates to SIGKILL after the timeout,
//! usage comes from its cgroup, and when it ends the waiter reads the OOM counter,
//! kills whatever is left in the cgroup and removes it before reporting the exit.

use std::os::unix::process::ExitStatusExt;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tokio::process::{Child, Command};
use tokio::sync::watch;
use tokio::task::JoinHandle;

use super::cgroup::TaskCgroup;
use super::enter::Entry;
use super::usage::CgroupTracker;
use crate::client::drivers::local_exec::{EnterHook, ExecContext};
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
    /// Host PID of the supervisor, leader of the task's process group.
    pid: u32,
    exit: watch::Receiver<Option<ExitResult>>,
    cgroup: Arc<TaskCgroup>,
    /// How to run another command inside the task.
    entry: Entry,
    /// Environment and teardown signal of `alloc exec` sessions (the hook that
    /// enters the task is added per session).
    exec_ctx: ExecContext,
    cpu: Mutex<CgroupTracker>,
    mhz: f64,
}

impl ExecHandle {
    /// Watches `child` (the supervisor) until it exits, then cleans up `cgroup`.
    pub fn watch(
        mut child: Child,
        cgroup: Arc<TaskCgroup>,
        entry: Entry,
        exec_ctx: ExecContext,
        pumps: Vec<JoinHandle<()>>,
        mhz: f64,
    ) -> Self {
        let pid = child.id().unwrap_or(0);
        let (tx, rx) = watch::channel(None);
        let cg = cgroup.clone();
        let sessions_end = exec_ctx.task_stopped.clone();
        // The waiter owns the child; it ends when the supervisor does, which `stop` forces.
        tokio::spawn(async move {
            let mut result = match child.wait().await {
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
            };
            let oom = {
                let cg = cg.clone();
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
            for p in pumps {
                let _ = tokio::time::timeout(LOG_DRAIN, p).await;
            }
            // `alloc exec` sessions end with the task.
            sessions_end.cancel();
            let _ = tx.send(Some(result));
        });
        Self {
            pid,
            exit: rx,
            cgroup,
            entry,
            exec_ctx,
            cpu: Mutex::new(CgroupTracker::default()),
            mhz,
        }
    }

    fn exited(&self) -> bool {
        self.exit.borrow().is_some()
    }

    fn kill_group(&self, sig: i32) {
        if self.pid == 0 {
            return;
        }
        // SAFETY: kill has no memory preconditions; the group is the supervisor's,
        // created with process_group(0) at spawn.
        unsafe {
            libc::kill(-(self.pid as i32), sig);
        }
    }

    async fn wait_exit(&self) -> ExitResult {
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

    /// A command running `argv` inside this task, for `alloc exec`: the task's
    /// namespaces, root, cgroup, user and capabilities. The caller sets stdio and
    /// env (the command starts with an empty one) and spawns it; its exit mirrors
    /// the command's. Signals reach the command through the spawned process's group
    /// (set with `process_group(0)`), or with `tty` through stdin, its terminal.
    pub fn command(&self, argv: &[String], tty: bool) -> Result<Command> {
        let Some((program, args)) = argv.split_first() else {
            return Err(ClientError::TaskConfig("no command given".into()));
        };
        if self.exited() {
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
        Some(self.pid)
    }

    fn wait(&self) -> BoxFuture<'_, ExitResult> {
        Box::pin(self.wait_exit())
    }

    fn signal(&self, name: &str) -> Result<()> {
        let sig = signal::parse(name)?;
        if self.exited() {
            return Err(ClientError::TaskNotRunning);
        }
        self.kill_group(sig);
        Ok(())
    }

    fn stop(&self, name: &str, timeout: Duration) -> BoxFuture<'_, ExitResult> {
        let sig = signal::parse(name).unwrap_or(libc::SIGINT);
        Box::pin(async move {
            if !self.exited() {
                self.kill_group(sig);
                if tokio::time::timeout(timeout, self.wait_exit())
                    .await
                    .is_err()
                {
                    // The group, and anything that left it but not the cgroup.
                    self.kill_group(libc::SIGKILL);
                    let cg = self.cgroup.clone();
                    let _ =
                        tokio::task::spawn_blocking(move || cg.kill_all(Duration::from_secs(5)))
                            .await;
                }
            }
            self.wait_exit().await
        })
    }

    fn exec(&self, req: ExecRequest) -> BoxFuture<'_, Result<ExecSession>> {
        Box::pin(async move {
            if self.exited() {
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
