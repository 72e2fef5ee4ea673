//! `TaskRunner`: runs one task of an allocation through its life, restarting it
//! per its restart policy, recording Nomad's task events, and publishing every
//! state change to its `AllocRunner`.
//!
//! ```text
//! pending ──start ok──> running ──exit──> policy: restart? ──yes──> pending (delay) ──> start
//!    │  └─start failed──────────────────────────┘         └──no──> dead (failed or not)
//!    └──────── Kill command (any state) ──> Killing, stop(kill_signal, kill_timeout), Killed ──> dead
//! ```
//! The other ends: `updates` is drained by the AllocRunner; `commands` is fed by it.

pub mod events;
pub mod restart;

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use nomad_region::structs::{
    Allocation, Node, RestartPolicy, TASK_STATE_DEAD, TASK_STATE_PENDING, TASK_STATE_RUNNING, Task,
    TaskEvent, TaskState,
};
use tokio::sync::mpsc;

use restart::{Decision, RestartTracker};

use super::alloc_dir::AllocDir;
use super::drivers::{Driver, ExitResult, TaskHandle, TaskSpec};
use super::error::{ClientError, Result};
use super::logs::LogRotator;
use super::{env, interpolate, now_nanos, now_rfc3339};

/// Nomad's default `kill_timeout`.
pub const DEFAULT_KILL_TIMEOUT: Duration = Duration::from_secs(5);

/// Why a task is being killed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KillReason {
    /// The servers stopped the allocation.
    AllocStopped,
    /// Another task of the group failed.
    SiblingFailed(String),
    /// The group's leader task died.
    LeaderDead,
    /// The client is shutting down.
    Shutdown,
}

impl KillReason {
    fn fails_task(&self) -> bool {
        matches!(self, Self::SiblingFailed(_))
    }

    fn text(&self) -> &'static str {
        match self {
            Self::AllocStopped => "alloc was stopped",
            Self::SiblingFailed(_) => "sibling task failed",
            Self::LeaderDead => "leader task dead",
            Self::Shutdown => "client shutting down",
        }
    }
}

/// What an AllocRunner can ask of a task runner.
#[derive(Debug, Clone)]
pub enum TaskCommand {
    /// Stop the task for good.
    Kill(KillReason),
    /// Send a signal to the running task.
    Signal(String),
    /// Stop the running task and start it again (`alloc restart`); not counted
    /// against the restart policy.
    Restart,
}

/// The reason recorded for a user's restart.
pub const USER_RESTART_REASON: &str = "User requested restart";

/// A task's new state, sent to the AllocRunner after every change.
#[derive(Debug, Clone)]
pub struct TaskUpdate {
    /// Task name.
    pub task: String,
    /// Its full state.
    pub state: TaskState,
}

/// Running task handles of an allocation by task name (read for stats and signals).
pub type HandleSlots = Arc<Mutex<BTreeMap<String, Arc<dyn TaskHandle>>>>;

/// Everything a task runner needs.
pub struct TaskRunnerConfig {
    /// The allocation (as received).
    pub alloc: Arc<Allocation>,
    /// The task.
    pub task: Task,
    /// Job type (`service`, `batch`, ...), for the restart defaults.
    pub job_type: String,
    /// Group policy with the task's merged over it.
    pub restart_policy: Option<RestartPolicy>,
    /// This node.
    pub node: Arc<Node>,
    /// The allocation's directory.
    pub alloc_dir: AllocDir,
    /// The task's driver (`None`: not on this node).
    pub driver: Option<Arc<dyn Driver>>,
    /// MHz of one core, for stats.
    pub mhz_per_core: f64,
    /// Where running handles are published.
    pub slots: HandleSlots,
}

/// Runs one task.
pub struct TaskRunner {
    cfg: TaskRunnerConfig,
    state: TaskState,
    updates: mpsc::UnboundedSender<TaskUpdate>,
    commands: mpsc::UnboundedReceiver<TaskCommand>,
}

enum Outcome {
    Exited(ExitResult),
    Killed { failed: bool },
    Restarted,
}

impl TaskRunner {
    /// A runner reporting to `updates` and obeying `commands`.
    pub fn new(
        cfg: TaskRunnerConfig,
        updates: mpsc::UnboundedSender<TaskUpdate>,
        commands: mpsc::UnboundedReceiver<TaskCommand>,
    ) -> Self {
        let state = TaskState {
            state: TASK_STATE_PENDING.into(),
            ..Default::default()
        };
        Self {
            cfg,
            state,
            updates,
            commands,
        }
    }

    /// Runs the task to its end; returns its final state.
    pub async fn run(mut self) -> TaskState {
        self.event(events::received(now_nanos()));
        let task_dir = match self.cfg.alloc_dir.build_task(&self.cfg.task.name) {
            Ok(d) => d,
            Err(e) => {
                self.event(events::setup_failure(now_nanos(), &e.to_string()));
                return self.finish(true);
            }
        };
        self.event(events::setup(now_nanos()));
        let Some(driver) = self.cfg.driver.clone() else {
            let msg = ClientError::DriverUnavailable(self.cfg.task.driver.clone()).to_string();
            self.event(events::driver_failure(now_nanos(), &msg));
            self.event(events::not_restarting(
                now_nanos(),
                restart::REASON_UNRECOVERABLE,
                true,
            ));
            return self.finish(true);
        };
        let mut tracker = RestartTracker::new(self.cfg.restart_policy.as_ref(), &self.cfg.job_type);
        // A task a previous client left running is taken over, not started twice.
        let mut may_recover = true;
        loop {
            if let Ok(TaskCommand::Kill(reason)) = self.commands.try_recv() {
                self.event(events::killed(now_nanos()));
                return self.finish(reason.fails_task());
            }
            let decision = match self.spec(&task_dir) {
                Err(e) => {
                    self.event(events::setup_failure(now_nanos(), &e.to_string()));
                    return self.finish(true);
                }
                Ok(spec) => match self.start(driver.as_ref(), spec, &mut may_recover).await {
                    Err(ClientError::DriverStart {
                        message,
                        recoverable,
                    }) => {
                        self.event(events::driver_failure(now_nanos(), &message));
                        tracker.on_start_error(recoverable, now_nanos())
                    }
                    Err(e) => {
                        self.event(events::driver_failure(now_nanos(), &e.to_string()));
                        tracker.on_start_error(false, now_nanos())
                    }
                    Ok(handle) => {
                        let handle: Arc<dyn TaskHandle> = Arc::from(handle);
                        self.set_slot(Some(handle.clone()));
                        self.state.state = TASK_STATE_RUNNING.into();
                        self.state.started_at = Some(now_rfc3339());
                        self.event(events::started(now_nanos()));
                        let outcome = self.supervise(handle.as_ref(), driver.as_ref()).await;
                        self.set_slot(None);
                        match outcome {
                            Outcome::Killed { failed } => return self.finish(failed),
                            Outcome::Restarted => Decision::Restart {
                                delay: Duration::ZERO,
                                reason: USER_RESTART_REASON.to_string(),
                            },
                            Outcome::Exited(exit) => {
                                self.event(events::terminated(now_nanos(), &exit));
                                tracker.on_exit(&exit, now_nanos())
                            }
                        }
                    }
                },
            };
            match decision {
                Decision::Stop { failed, reason } => {
                    if let Some(r) = reason {
                        self.event(events::not_restarting(now_nanos(), &r, failed));
                    }
                    return self.finish(failed);
                }
                Decision::Restart { delay, reason } => {
                    self.state.state = TASK_STATE_PENDING.into();
                    self.state.restarts += 1;
                    self.state.last_restart = Some(now_rfc3339());
                    self.event(events::restarting(now_nanos(), delay, &reason));
                    if let Some(reason) = self.wait_or_kill(delay).await {
                        self.event(events::killed(now_nanos()));
                        return self.finish(reason.fails_task());
                    }
                }
            }
        }
    }

    /// Recovers the task (first attempt only) or starts it.
    async fn start(
        &self,
        driver: &dyn Driver,
        mut spec: TaskSpec,
        may_recover: &mut bool,
    ) -> Result<Box<dyn TaskHandle>> {
        if std::mem::take(may_recover)
            && let Some(h) = driver.recover(&mut spec).await?
        {
            tracing::info!(task = %self.cfg.task.name, "recovered running task");
            return Ok(h);
        }
        driver.start(spec).await
    }

    /// Waits for the task to exit while serving commands.
    async fn supervise(&mut self, handle: &dyn TaskHandle, driver: &dyn Driver) -> Outcome {
        loop {
            let cmd = tokio::select! {
                exit = handle.wait() => return Outcome::Exited(exit),
                cmd = self.commands.recv() => cmd,
            };
            match cmd {
                Some(TaskCommand::Signal(sig)) => {
                    self.event(events::signaling(now_nanos(), &sig));
                    if let Err(e) = handle.signal(&sig) {
                        tracing::warn!(task = %self.cfg.task.name, error = %e, "signal failed");
                    }
                }
                Some(TaskCommand::Restart) => {
                    self.event(events::restart_signaled(now_nanos(), USER_RESTART_REASON));
                    let exit = handle
                        .stop(&self.kill_signal(driver), self.kill_timeout())
                        .await;
                    self.event(events::terminated(now_nanos(), &exit));
                    return Outcome::Restarted;
                }
                Some(TaskCommand::Kill(reason)) => return self.kill(handle, driver, reason).await,
                // The AllocRunner is gone: nobody can stop us later, so stop now.
                None => return self.kill(handle, driver, KillReason::Shutdown).await,
            }
        }
    }

    async fn kill(
        &mut self,
        handle: &dyn TaskHandle,
        driver: &dyn Driver,
        reason: KillReason,
    ) -> Outcome {
        match &reason {
            KillReason::SiblingFailed(s) => self.event(events::sibling_failed(now_nanos(), s)),
            KillReason::LeaderDead => self.event(events::leader_dead(now_nanos())),
            _ => {}
        }
        let timeout = self.kill_timeout();
        let signal = self.kill_signal(driver);
        self.event(events::killing(now_nanos(), timeout, reason.text()));
        let exit = handle.stop(&signal, timeout).await;
        self.event(events::terminated(now_nanos(), &exit));
        self.event(events::killed(now_nanos()));
        Outcome::Killed {
            failed: reason.fails_task(),
        }
    }

    /// Sleeps `delay`; returns the kill reason if a kill came first.
    async fn wait_or_kill(&mut self, delay: Duration) -> Option<KillReason> {
        let sleep = tokio::time::sleep(delay);
        tokio::pin!(sleep);
        loop {
            tokio::select! {
                _ = &mut sleep => return None,
                cmd = self.commands.recv() => match cmd {
                    Some(TaskCommand::Kill(r)) => return Some(r),
                    Some(TaskCommand::Signal(_) | TaskCommand::Restart) => {}
                    None => return Some(KillReason::Shutdown),
                },
            }
        }
    }

    fn kill_signal(&self, driver: &dyn Driver) -> String {
        if self.cfg.task.kill_signal.is_empty() {
            driver.default_kill_signal().to_string()
        } else {
            self.cfg.task.kill_signal.clone()
        }
    }

    fn kill_timeout(&self) -> Duration {
        self.cfg
            .task
            .kill_timeout
            .filter(|n| *n > 0)
            .map_or(DEFAULT_KILL_TIMEOUT, |n| Duration::from_nanos(n as u64))
    }

    fn spec(&self, task_dir: &Path) -> Result<TaskSpec> {
        let task = &self.cfg.task;
        let env = env::build(
            &self.cfg.node,
            &self.cfg.alloc,
            task,
            self.cfg.alloc_dir.root(),
        );
        let config = interpolate::interpolate_config(&task.config, &env.vars);
        let log_dir = self.cfg.alloc_dir.log_dir();
        let logs = task.log_config.as_ref();
        let (stdout, stderr) = if logs.is_some_and(|l| l.disabled) {
            (None, None)
        } else {
            (
                Some(LogRotator::open(&log_dir, &task.name, "stdout", logs)?),
                Some(LogRotator::open(&log_dir, &task.name, "stderr", logs)?),
            )
        };
        Ok(TaskSpec {
            alloc_id: self.cfg.alloc.id.clone(),
            task_name: task.name.clone(),
            config,
            env: env.env,
            task_dir: task_dir.to_path_buf(),
            stdout,
            stderr,
            user: task.user.clone(),
            mhz_per_core: self.cfg.mhz_per_core,
        })
    }

    fn set_slot(&self, handle: Option<Arc<dyn TaskHandle>>) {
        let mut slots = match self.cfg.slots.lock() {
            Ok(s) => s,
            Err(p) => p.into_inner(),
        };
        match handle {
            Some(h) => slots.insert(self.cfg.task.name.clone(), h),
            None => slots.remove(&self.cfg.task.name),
        };
    }

    fn event(&mut self, e: TaskEvent) {
        self.state.events.push(e);
        let excess = self.state.events.len().saturating_sub(events::MAX_EVENTS);
        self.state.events.drain(..excess);
        self.publish();
    }

    fn publish(&self) {
        // The AllocRunner may be gone during shutdown; nothing to tell then.
        let _ = self.updates.send(TaskUpdate {
            task: self.cfg.task.name.clone(),
            state: self.state.clone(),
        });
    }

    fn finish(&mut self, failed: bool) -> TaskState {
        self.state.state = TASK_STATE_DEAD.into();
        self.state.failed = failed;
        self.state.finished_at = Some(now_rfc3339());
        self.publish();
        self.state.clone()
    }
}
