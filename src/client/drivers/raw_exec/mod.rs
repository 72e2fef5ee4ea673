//! The `raw_exec` driver: runs `config.command` with `config.args` as a plain child
//! process of the agent, in its own process group (so signals and the final kill
//! reach its children too), stdout/stderr piped into the rotating log files.
//! Disabled unless enabled in the agent config (or `-dev`), like Nomad's. With a state dir, each
//! running task is recorded (`state`) and a restarted client re-attaches to it instead of
//! starting a second copy.
//!
//! With a state dir and the `nomad` binary to serve as executor, the task runs under it
//! (`executor`, started by `supervised`): its output survives a client restart and so does its
//! exit status. Without (unit tests), it is a plain child of the agent.
//!
//! Files: `handle` (the running task), `state` (the records a restarted client finds),
//! `executor` (the process between agent and task) and `supervised` (starting one).
//!
//! Accounting: as root with cgroups, each task gets a cgroup without limits (its
//! usage is the kernel's, and whatever it leaves behind is killed when it ends);
//! otherwise usage is summed over its process group from `/proc`.

pub mod executor;
mod handle;
mod state;
mod supervised;
#[cfg(test)]
mod tests;

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::process::Stdio;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use nomad_region::structs::DriverInfo;
use tokio::process::Command;
use tokio::sync::watch;

use super::exec::{self, CgroupTracker, Hierarchy, HostSupport, Limits, TaskCgroup};
use super::process::{self, ProcessGroup};
use super::{BoxFuture, Capabilities, Driver, TaskHandle, TaskSpec, local_exec, now_rfc3339};
use crate::client::error::{ClientError, Result};
use crate::client::stats::CpuTracker;
use handle::{RawExecHandle, adopted_handle};

/// How long to let the log pumps drain after the process exits.
pub(super) const LOG_DRAIN: Duration = Duration::from_millis(250);

/// The `raw_exec` driver.
#[derive(Debug, Clone)]
pub struct RawExecDriver {
    enabled: bool,
    /// Where task cgroups go; `None` without root or cgroups.
    cgroups: Option<Hierarchy>,
    /// The client's state dir (`data_dir/client`), where running tasks are recorded.
    state_dir: Option<PathBuf>,
    /// The binary that runs `nomad executor` (with a state dir only).
    executor: Option<PathBuf>,
}

impl RawExecDriver {
    /// A driver that runs tasks only when `enabled`, in cgroups when it can.
    pub fn new(enabled: bool) -> Self {
        let host = HostSupport::detect();
        let cgroups = host.root.then_some(host.cgroups).flatten();
        Self {
            enabled,
            cgroups,
            state_dir: None,
            executor: executor::own_binary(),
        }
    }

    /// Records running tasks under `dir` and re-attaches to the ones recorded there.
    pub fn with_state_dir(mut self, dir: PathBuf) -> Self {
        self.state_dir = Some(dir);
        self
    }

    /// Runs tasks under `binary`'s `nomad executor` (by default this process's own binary when
    /// it is `nomad`; tests outside it name the built binary).
    pub fn with_executor(mut self, binary: PathBuf) -> Self {
        self.executor = Some(binary);
        self
    }

    /// A driver that accounts from `/proc` only, never creating cgroups.
    pub fn without_cgroups(enabled: bool) -> Self {
        Self {
            enabled,
            cgroups: None,
            state_dir: None,
            executor: executor::own_binary(),
        }
    }
}

impl Driver for RawExecDriver {
    fn name(&self) -> &'static str {
        "raw_exec"
    }

    fn fingerprint(&self) -> DriverInfo {
        let mut attributes = BTreeMap::new();
        if self.enabled {
            attributes.insert("driver.raw_exec".to_string(), "true".to_string());
        }
        DriverInfo {
            attributes,
            detected: self.enabled,
            healthy: self.enabled,
            health_description: if self.enabled { "Healthy" } else { "disabled" }.to_string(),
            update_time: Some(now_rfc3339()),
        }
    }

    fn start(&self, mut spec: TaskSpec) -> BoxFuture<'_, Result<Box<dyn TaskHandle>>> {
        Box::pin(async move {
            if !self.enabled {
                return Err(ClientError::DriverUnavailable("raw_exec".into()));
            }
            let record = self
                .state_dir
                .as_ref()
                .map(|d| state::record_path(d, &spec.alloc_id, &spec.task_name));
            if let Some(path) = &record
                && let Some(live) = state::live_record(path)
            {
                tracing::info!(pid = live.pid, alloc_id = %spec.alloc_id, task = %spec.task_name, "re-attached to running raw_exec task");
                let pumps = [
                    exec::reopen_log(spec.stdout.take(), live.stdout_fifo.as_deref()),
                    exec::reopen_log(spec.stderr.take(), live.stderr_fifo.as_deref()),
                ]
                .into_iter()
                .flatten()
                .collect();
                return Ok(Box::new(adopted_handle(
                    spec,
                    state::adopt(live, path.clone(), pumps),
                )) as Box<dyn TaskHandle>);
            }
            let handle = match (record, &self.executor) {
                (Some(record), Some(exe)) => {
                    spawn_supervised(&mut spec, self.cgroups.as_ref(), record, exe).await?
                }
                (record, _) => spawn(spec, self.cgroups.as_ref(), record)?,
            };
            Ok(Box::new(handle) as Box<dyn TaskHandle>)
        })
    }

    fn capabilities(&self) -> Capabilities {
        Capabilities {
            exec: true,
            ..Capabilities::default()
        }
    }
}

/// `command` and `args` from the task's `config {}`.
pub(super) fn command_line(
    config: &BTreeMap<String, serde_json::Value>,
) -> Result<(String, Vec<String>)> {
    let command = match config.get("command") {
        Some(serde_json::Value::String(c)) if !c.is_empty() => c.clone(),
        _ => {
            return Err(ClientError::TaskConfig(
                "missing required field \"command\"".into(),
            ));
        }
    };
    let args = match config.get("args") {
        None | Some(serde_json::Value::Null) => Vec::new(),
        Some(serde_json::Value::Array(a)) => a
            .iter()
            .map(|v| match v {
                serde_json::Value::String(s) => s.clone(),
                other => other.to_string(),
            })
            .collect(),
        Some(_) => {
            return Err(ClientError::TaskConfig(
                "\"args\" must be a list of strings".into(),
            ));
        }
    };
    Ok((command, args))
}

/// The task's accounting cgroup, if this host allows one (failure is not fatal:
/// the task runs and is accounted from `/proc`).
fn accounting_cgroup(h: Option<&Hierarchy>, spec: &TaskSpec) -> Option<Arc<TaskCgroup>> {
    let name = format!("{}.{}", spec.alloc_id, spec.task_name);
    match TaskCgroup::create(h?, &name, Limits::default()) {
        Ok(cg) => Some(Arc::new(cg)),
        Err(e) => {
            tracing::warn!(task = %spec.task_name, error = %e, "raw_exec task runs without a cgroup");
            None
        }
    }
}

/// The program to run and its arguments. A relative path with a slash is relative to the task
/// directory (Nomad's rule); a bare name is looked up on PATH.
fn program_line(spec: &TaskSpec) -> Result<(String, String, Vec<String>)> {
    let (command, args) = command_line(&spec.config)?;
    let program = if command.contains('/') && !command.starts_with('/') {
        spec.task_dir.join(&command).to_string_lossy().into_owned()
    } else {
        command.clone()
    };
    Ok((command, program, args))
}

/// Starts the task under the executor, recorded at `record`.
async fn spawn_supervised(
    spec: &mut TaskSpec,
    cgroups: Option<&Hierarchy>,
    record: PathBuf,
    executor: &std::path::Path,
) -> Result<RawExecHandle> {
    let (_, program, args) = program_line(spec)?;
    let cgroup = accounting_cgroup(cgroups, spec);
    let started =
        match supervised::spawn(spec, program, args, cgroup.as_ref(), &record, executor).await {
            Ok(s) => s,
            Err(e) => {
                if let Some(cg) = &cgroup {
                    cg.destroy();
                }
                return Err(e);
            }
        };
    let pid = started.child.id().unwrap_or(0);
    state::save(&record, pid, true, started.fifos);
    tracing::debug!(
        executor = pid,
        task = started.task_pid,
        "raw_exec task started under the executor"
    );
    Ok(watch(
        started.child,
        started.pumps,
        Some(record),
        cgroup,
        spec,
        Some(pid),
    ))
}

fn spawn(
    mut spec: TaskSpec,
    cgroups: Option<&Hierarchy>,
    record: Option<PathBuf>,
) -> Result<RawExecHandle> {
    let (command, program, args) = program_line(&spec)?;
    let mut cmd = Command::new(&program);
    cmd.args(&args)
        .envs(&spec.env)
        .current_dir(&spec.task_dir)
        .stdin(Stdio::null())
        .stdout(if spec.stdout.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        })
        .stderr(if spec.stderr.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        })
        .process_group(0)
        .kill_on_drop(false);
    let cgroup = accounting_cgroup(cgroups, &spec);
    if let Some(cg) = &cgroup {
        let procs = exec::procs_cstrings(cg)?;
        // SAFETY: join_cgroups only makes async-signal-safe syscalls.
        unsafe {
            cmd.pre_exec(move || exec::join_cgroups(&procs));
        }
    }
    let mut child = cmd.spawn().map_err(|e| {
        if let Some(cg) = &cgroup {
            cg.destroy();
        }
        ClientError::DriverStart {
            message: format!("failed to launch command with executor: {command}: {e}"),
            recoverable: e.kind() != std::io::ErrorKind::NotFound
                && e.kind() != std::io::ErrorKind::PermissionDenied,
        }
    })?;
    let pid = child.id().unwrap_or(0);
    if let Some(path) = &record {
        state::save(path, pid, false, [None, None]);
    }
    let mut pumps = Vec::new();
    if let (Some(out), Some(rot)) = (child.stdout.take(), spec.stdout.take()) {
        pumps.push(tokio::spawn(rot.pump(out)));
    }
    if let (Some(err), Some(rot)) = (child.stderr.take(), spec.stderr.take()) {
        pumps.push(tokio::spawn(rot.pump(err)));
    }
    Ok(watch(child, pumps, record, cgroup, &spec, None))
}

/// The handle of a started task: a waiter owns `child` (the group's leader) and, once it exits,
/// drains the logs, forgets the record and the cgroup, and publishes the exit. `executor`: the
/// leader's PID when it is the executor, left out of the task's usage.
fn watch(
    mut child: tokio::process::Child,
    pumps: Vec<tokio::task::JoinHandle<()>>,
    record: Option<PathBuf>,
    cgroup: Option<Arc<TaskCgroup>>,
    spec: &TaskSpec,
    executor: Option<u32>,
) -> RawExecHandle {
    let pid = child.id().unwrap_or(0);
    let (tx, rx) = watch::channel(None);
    let cg = cgroup.clone();
    let stopped = tokio_util::sync::CancellationToken::new();
    let sessions_end = stopped.clone();
    // The waiter owns the child; it ends when the process does, which `stop` forces.
    tokio::spawn(async move {
        let result = process::exit_of(child.wait().await);
        if let Some(path) = &record {
            state::remove(path);
        }
        for p in pumps {
            // Background children may hold the pipes open: don't wait for them forever.
            let _ = tokio::time::timeout(LOG_DRAIN, p).await;
        }
        if let Some(cg) = cg {
            // What the task left running goes with it, as Nomad's executor does.
            let _ = tokio::task::spawn_blocking(move || cg.destroy()).await;
        }
        // `alloc exec` sessions end with the task.
        sessions_end.cancel();
        let _ = tx.send(Some(result));
    });
    RawExecHandle {
        group: ProcessGroup::new(pid, rx),
        executor,
        cpu: Mutex::new(CpuTracker::default()),
        cgroup: cgroup.map(|cg| (cg, Mutex::new(CgroupTracker::default()))),
        mhz: spec.mhz_per_core,
        exec_ctx: local_exec::ExecContext {
            cwd: spec.task_dir.clone(),
            env: spec.env.clone(),
            enter: None,
            task_stopped: stopped,
        },
    }
}
