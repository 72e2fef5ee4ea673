//! A running `raw_exec` task: signals and stop go to its process group (the shared
//! [`ProcessGroup`]), usage comes from its accounting cgroup or from `/proc`, and
//! `alloc exec` runs beside it in its directory and environment. A task re-attached
//! after a client restart gets the same handle, accounted from `/proc`.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use super::state;
use crate::client::drivers::exec::{CgroupTracker, TaskCgroup};
use crate::client::drivers::process::ProcessGroup;
use crate::client::drivers::{
    BoxFuture, ExecRequest, ExecSession, ExitResult, TaskHandle, TaskSpec, local_exec, signal,
};
use crate::client::error::{ClientError, Result};
use crate::client::stats::{CpuTracker, TaskResourceUsage, sample_pids, sample_process_group};

/// A running raw_exec task.
pub(super) struct RawExecHandle {
    pub(super) group: ProcessGroup,
    /// The group leader's PID when it is the executor (not part of the task's usage).
    pub(super) executor: Option<u32>,
    pub(super) cpu: Mutex<CpuTracker>,
    /// The accounting cgroup, when there is one, and its cpu tracker.
    pub(super) cgroup: Option<(Arc<TaskCgroup>, Mutex<CgroupTracker>)>,
    pub(super) mhz: f64,
    /// Where `alloc exec` commands run, and with which environment.
    pub(super) exec_ctx: local_exec::ExecContext,
}

/// The handle of a task a previous client left running: accounted from `/proc` (its
/// cgroup, if any, is not re-opened), its `alloc exec` sessions end when it does.
pub(super) fn adopted_handle(spec: TaskSpec, adopted: state::Adopted) -> RawExecHandle {
    let stopped = tokio_util::sync::CancellationToken::new();
    let sessions_end = stopped.clone();
    let mut exit = adopted.exit.clone();
    tokio::spawn(async move {
        let _ = exit.wait_for(|r| r.is_some()).await;
        sessions_end.cancel();
    });
    RawExecHandle {
        group: ProcessGroup::new(adopted.pid, adopted.exit),
        executor: adopted.executor.then_some(adopted.pid),
        cpu: adopted.cpu,
        cgroup: None,
        mhz: spec.mhz_per_core,
        exec_ctx: local_exec::ExecContext {
            cwd: spec.task_dir,
            env: spec.env,
            enter: None,
            task_stopped: stopped,
        },
    }
}

impl TaskHandle for RawExecHandle {
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
            self.group.interrupt(sig, timeout).await;
            let result = self.group.wait_exit().await;
            // Whatever is left of the group goes too, as Nomad's executor does.
            self.group.kill(libc::SIGKILL);
            result
        })
    }

    fn stats(&self) -> TaskResourceUsage {
        let now = Instant::now();
        let usage = if let Some((cg, tracker)) = &self.cgroup {
            let u = cg.usage();
            let mut usage = match tracker.lock() {
                Ok(mut t) => t.usage(now, u, self.mhz),
                Err(p) => p.into_inner().usage(now, u, self.mhz),
            };
            // The cgroup's anon count lags a just-started process; RSS is what `ps` says
            // of the group's members (the kernel's charge stays in Usage).
            usage.memory_stats.rss = sample_pids(&cg.pids()).rss;
            usage
        } else {
            let sample = sample_process_group(self.group.pid() as i32, self.executor);
            match self.cpu.lock() {
                Ok(mut t) => t.usage(now, sample, self.mhz),
                Err(p) => p.into_inner().usage(now, sample, self.mhz),
            }
        };
        TaskResourceUsage {
            resource_usage: usage,
            timestamp: crate::client::now_nanos(),
            pids: None,
        }
    }

    fn exec(&self, req: ExecRequest) -> BoxFuture<'_, Result<ExecSession>> {
        Box::pin(async move {
            if self.group.exited() {
                return Err(ClientError::TaskNotRunning);
            }
            local_exec::spawn_in(&req, &self.exec_ctx)
        })
    }
}
