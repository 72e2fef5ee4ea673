//! The `raw_exec` driver: runs `config.command` with `config.args` as a plain child
//! process of the agent, in its own process group (so signals and the final kill
//! reach its children too), stdout/stderr piped into the rotating log files.
//! Disabled unless enabled in the agent config (or `-dev`), like Nomad's. With a state dir, each
//! running task is recorded (`raw_exec_state`) and a restarted client re-attaches to it instead of
//! starting a second copy.
//!
//! Accounting: as root with cgroups, each task gets a cgroup without limits (its
//! usage is the kernel's, and whatever it leaves behind is killed when it ends);
//! otherwise usage is summed over its process group from `/proc`.

use std::collections::BTreeMap;
use std::os::unix::process::ExitStatusExt;
use std::path::PathBuf;
use std::process::Stdio;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use nomad_region::structs::DriverInfo;
use tokio::process::Command;
use tokio::sync::watch;

use super::exec::{self, CgroupTracker, Hierarchy, HostSupport, Limits, TaskCgroup};
use super::raw_exec_state as state;
use super::{
    BoxFuture, Capabilities, Driver, ExecRequest, ExecSession, ExitResult, TaskHandle, TaskSpec,
    local_exec, now_rfc3339, signal,
};
use crate::client::error::{ClientError, Result};
use crate::client::stats::{CpuTracker, TaskResourceUsage, sample_pids, sample_process_group};

/// How long to let the log pumps drain after the process exits.
const LOG_DRAIN: Duration = Duration::from_millis(250);

/// The `raw_exec` driver.
#[derive(Debug, Clone)]
pub struct RawExecDriver {
    enabled: bool,
    /// Where task cgroups go; `None` without root or cgroups.
    cgroups: Option<Hierarchy>,
    /// The client's state dir (`data_dir/client`), where running tasks are recorded.
    state_dir: Option<PathBuf>,
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
        }
    }

    /// Records running tasks under `dir` and re-attaches to the ones recorded there.
    pub fn with_state_dir(mut self, dir: PathBuf) -> Self {
        self.state_dir = Some(dir);
        self
    }

    /// A driver that accounts from `/proc` only, never creating cgroups.
    pub fn without_cgroups(enabled: bool) -> Self {
        Self {
            enabled,
            cgroups: None,
            state_dir: None,
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

    fn start(&self, spec: TaskSpec) -> BoxFuture<'_, Result<Box<dyn TaskHandle>>> {
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
                return Ok(
                    Box::new(adopted_handle(spec, state::adopt(live, path.clone())))
                        as Box<dyn TaskHandle>,
                );
            }
            let handle = spawn(spec, self.cgroups.as_ref(), record)?;
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

/// The handle of a task a previous client left running: accounted from `/proc` (its
/// cgroup, if any, is not re-opened), its `alloc exec` sessions end when it does.
fn adopted_handle(spec: TaskSpec, adopted: state::Adopted) -> RawExecHandle {
    let stopped = tokio_util::sync::CancellationToken::new();
    let sessions_end = stopped.clone();
    let mut exit = adopted.exit.clone();
    tokio::spawn(async move {
        let _ = exit.wait_for(|r| r.is_some()).await;
        sessions_end.cancel();
    });
    RawExecHandle {
        pid: adopted.pid,
        exit: adopted.exit,
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

fn spawn(
    mut spec: TaskSpec,
    cgroups: Option<&Hierarchy>,
    record: Option<PathBuf>,
) -> Result<RawExecHandle> {
    let (command, args) = command_line(&spec.config)?;
    // A relative path with a slash is relative to the task directory (Nomad's rule);
    // a bare name is looked up on PATH.
    let program = if command.contains('/') && !command.starts_with('/') {
        spec.task_dir.join(&command).to_string_lossy().into_owned()
    } else {
        command.clone()
    };
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
        state::save(path, pid);
    }
    let mut pumps = Vec::new();
    if let (Some(out), Some(rot)) = (child.stdout.take(), spec.stdout.take()) {
        pumps.push(tokio::spawn(rot.pump(out)));
    }
    if let (Some(err), Some(rot)) = (child.stderr.take(), spec.stderr.take()) {
        pumps.push(tokio::spawn(rot.pump(err)));
    }
    let (tx, rx) = watch::channel(None);
    let cg = cgroup.clone();
    let stopped = tokio_util::sync::CancellationToken::new();
    let sessions_end = stopped.clone();
    // The waiter owns the child; it ends when the process does, which `stop` forces.
    tokio::spawn(async move {
        let result = match child.wait().await {
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
    Ok(RawExecHandle {
        pid,
        exit: rx,
        cpu: Mutex::new(CpuTracker::default()),
        cgroup: cgroup.map(|cg| (cg, Mutex::new(CgroupTracker::default()))),
        mhz: spec.mhz_per_core,
        exec_ctx: local_exec::ExecContext {
            cwd: spec.task_dir,
            env: spec.env,
            enter: None,
            task_stopped: stopped,
        },
    })
}

/// A running raw_exec task.
struct RawExecHandle {
    pid: u32,
    exit: watch::Receiver<Option<ExitResult>>,
    cpu: Mutex<CpuTracker>,
    /// The accounting cgroup, when there is one, and its cpu tracker.
    cgroup: Option<(Arc<TaskCgroup>, Mutex<CgroupTracker>)>,
    mhz: f64,
    /// Where `alloc exec` commands run, and with which environment.
    exec_ctx: local_exec::ExecContext,
}

impl RawExecHandle {
    fn exited(&self) -> bool {
        self.exit.borrow().is_some()
    }

    fn kill_group(&self, sig: i32) {
        if self.pid == 0 {
            return;
        }
        // SAFETY: kill has no memory preconditions; a negative pid targets the
        // task's own process group, created with process_group(0) at spawn.
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
}

impl TaskHandle for RawExecHandle {
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
                    self.kill_group(libc::SIGKILL);
                }
            }
            let result = self.wait_exit().await;
            // Whatever is left of the group goes too, as Nomad's executor does.
            self.kill_group(libc::SIGKILL);
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
            let sample = sample_process_group(self.pid as i32);
            match self.cpu.lock() {
                Ok(mut t) => t.usage(now, sample, self.mhz),
                Err(p) => p.into_inner().usage(now, sample, self.mhz),
            }
        };
        TaskResourceUsage {
            resource_usage: usage,
            timestamp: super::super::now_nanos(),
            pids: None,
        }
    }

    fn exec(&self, req: ExecRequest) -> BoxFuture<'_, Result<ExecSession>> {
        Box::pin(async move {
            if self.exited() {
                return Err(ClientError::TaskNotRunning);
            }
            local_exec::spawn_in(&req, &self.exec_ctx)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::client::logs::{LogRotator, log_path};

    fn spec(dir: &std::path::Path, script: &str) -> TaskSpec {
        let mut config = BTreeMap::new();
        config.insert("command".into(), serde_json::json!("/bin/sh"));
        config.insert("args".into(), serde_json::json!(["-c", script]));
        TaskSpec {
            // Unique: tests run in parallel and each task gets its own cgroup.
            alloc_id: uuid::Uuid::new_v4().to_string(),
            task_name: "t".into(),
            config,
            env: BTreeMap::from([("GREETING".to_string(), "hi".to_string())]),
            task_dir: dir.to_path_buf(),
            stdout: Some(LogRotator::with_limits(dir, "t", "stdout", 2, 1 << 20).unwrap()),
            stderr: Some(LogRotator::with_limits(dir, "t", "stderr", 2, 1 << 20).unwrap()),
            user: String::new(),
            mhz_per_core: 1000.0,
        }
    }

    #[tokio::test]
    async fn runs_command_with_env_and_logs() {
        let tmp = tempfile::tempdir().unwrap();
        let d = RawExecDriver::new(true);
        let h = d
            .start(spec(tmp.path(), "echo $GREETING; echo oops >&2; exit 3"))
            .await
            .unwrap();
        let r = h.wait().await;
        assert_eq!(r.exit_code, 3);
        assert!(!r.successful());
        let out = std::fs::read_to_string(log_path(tmp.path(), "t", "stdout", 0)).unwrap();
        let err = std::fs::read_to_string(log_path(tmp.path(), "t", "stderr", 0)).unwrap();
        assert_eq!((out.as_str(), err.as_str()), ("hi\n", "oops\n"));
    }

    #[tokio::test]
    async fn stop_sends_signal_then_kills() {
        let tmp = tempfile::tempdir().unwrap();
        let d = RawExecDriver::new(true);
        // Ignores SIGINT, so only the forced kill ends it. Wait until the trap is set.
        let h = d
            .start(spec(
                tmp.path(),
                "trap '' INT; echo ready; while true; do sleep 0.05; done",
            ))
            .await
            .unwrap();
        let out = log_path(tmp.path(), "t", "stdout", 0);
        while !std::fs::read_to_string(&out)
            .unwrap_or_default()
            .contains("ready")
        {
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        let r = h.stop("SIGINT", Duration::from_millis(200)).await;
        assert_eq!(r.signal, libc::SIGKILL);
        // A task that honours the signal exits with it.
        let h = d.start(spec(tmp.path(), "exec sleep 30")).await.unwrap();
        let r = h.stop("SIGTERM", Duration::from_secs(5)).await;
        assert_eq!(r.signal, libc::SIGTERM);
        assert!(h.signal("SIGHUP").is_err());
    }

    #[tokio::test]
    async fn disabled_or_misconfigured() {
        let tmp = tempfile::tempdir().unwrap();
        let off = RawExecDriver::new(false);
        assert!(!off.fingerprint().detected);
        assert_eq!(off.fingerprint().health_description, "disabled");
        assert!(matches!(
            off.start(spec(tmp.path(), "true")).await,
            Err(ClientError::DriverUnavailable(_))
        ));
        let on = RawExecDriver::new(true);
        assert_eq!(
            on.fingerprint()
                .attributes
                .get("driver.raw_exec")
                .map(String::as_str),
            Some("true")
        );
        let mut s = spec(tmp.path(), "true");
        s.config.remove("command");
        assert!(matches!(on.start(s).await, Err(ClientError::TaskConfig(_))));
        let mut s = spec(tmp.path(), "true");
        s.config
            .insert("command".into(), serde_json::json!("/no/such/binary"));
        match on.start(s).await {
            Err(ClientError::DriverStart { recoverable, .. }) => assert!(!recoverable),
            other => panic!("expected a start error, got {:?}", other.map(|h| h.pid())),
        }
    }

    /// Stats of a cpu-bound task are non-zero, from the cgroup (as root with cgroups)
    /// and from `/proc` alike.
    #[tokio::test]
    async fn stats_of_a_busy_task_are_non_zero() {
        let cgroups_here = RawExecDriver::new(true).cgroups.is_some();
        if !cgroups_here {
            let msg = "raw_exec cgroup accounting is NOT tested: needs root and cgroups";
            if std::env::var("CI").is_ok_and(|v| v == "true") {
                panic!("{msg}");
            }
            eprintln!("\n!!!!!!!! {msg} !!!!!!!!\n");
        }
        for (driver, via_cgroup) in [
            (RawExecDriver::new(true), cgroups_here),
            (RawExecDriver::without_cgroups(true), false),
        ] {
            let tmp = tempfile::tempdir().unwrap();
            let s = spec(tmp.path(), "while true; do :; done");
            let h = driver.start(s).await.unwrap();
            h.stats();
            tokio::time::sleep(Duration::from_millis(500)).await;
            let u = h.stats().resource_usage;
            assert!(
                u.cpu_stats.percent > 1.0,
                "cgroup={via_cgroup}: {:?}",
                u.cpu_stats
            );
            assert!(u.cpu_stats.total_ticks > 0.0);
            assert!(
                u.memory_stats.usage > 0,
                "cgroup={via_cgroup}: {:?}",
                u.memory_stats
            );
            let measured_cache = u.memory_stats.measured.iter().any(|m| m == "Cache");
            assert_eq!(measured_cache, via_cgroup, "{:?}", u.memory_stats.measured);
            h.stop("SIGKILL", Duration::from_secs(5)).await;
        }
    }

    #[tokio::test]
    async fn cgroup_takes_leftovers_with_it() {
        let d = RawExecDriver::new(true);
        let Some(h) = d.cgroups.clone() else {
            let msg = "raw_exec cgroup cleanup is NOT tested: needs root and cgroups";
            if std::env::var("CI").is_ok_and(|v| v == "true") {
                panic!("{msg}");
            }
            eprintln!("\n!!!!!!!! {msg} !!!!!!!!\n");
            return;
        };
        let tmp = tempfile::tempdir().unwrap();
        let s = spec(tmp.path(), "setsid sleep 300 & echo $!; exit 0");
        let name = format!("{}.t", s.alloc_id);
        let task = d.start(s).await.unwrap();
        let r = task.wait().await;
        assert!(r.successful(), "{r:?}");
        let out = std::fs::read_to_string(log_path(tmp.path(), "t", "stdout", 0)).unwrap();
        let orphan: i32 = out.trim().parse().unwrap();
        // Gone, or a zombie waiting for whoever inherited it.
        let alive = std::fs::read_to_string(format!("/proc/{orphan}/stat"))
            .ok()
            .and_then(|st| {
                st.rsplit_once(')')
                    .and_then(|(_, r)| r.trim_start().chars().next())
            })
            .is_some_and(|state| state != 'Z');
        assert!(!alive, "the task's background process {orphan} survived it");
        let leftover = match h {
            Hierarchy::V2 { root } => root.join("nomad.slice").join(format!("{name}.scope")),
            Hierarchy::V1 { memory, .. } => memory.join("nomad").join(&name),
        };
        assert!(!leftover.exists(), "{} not removed", leftover.display());
    }

    #[tokio::test]
    async fn exec_runs_in_the_task_dir_with_the_task_env() {
        let tmp = tempfile::tempdir().unwrap();
        let d = RawExecDriver::new(true);
        assert!(d.capabilities().exec);
        let h = d.start(spec(tmp.path(), "exec sleep 30")).await.unwrap();
        std::fs::write(tmp.path().join("marker"), "").unwrap();
        let session = h
            .exec(ExecRequest {
                command: vec![
                    "/bin/sh".into(),
                    "-c".into(),
                    "echo $GREETING; ls; exit 4".into(),
                ],
                ..Default::default()
            })
            .await
            .unwrap();
        let (out, _, code) = session.run_to_end(b"").await;
        let out = String::from_utf8_lossy(&out);
        assert!(out.starts_with("hi\n"), "{out}");
        assert!(out.contains("marker"), "{out}");
        assert_eq!(code, Some(4));
        let long = h
            .exec(ExecRequest {
                command: vec!["sleep".into(), "60".into()],
                ..Default::default()
            })
            .await
            .unwrap();
        h.stop("SIGKILL", Duration::from_secs(1)).await;
        let (_, _, code) = tokio::time::timeout(Duration::from_secs(30), long.run_to_end(b""))
            .await
            .expect("the exec session outlived the task");
        assert_eq!(code, Some(128 + libc::SIGKILL));
        assert!(matches!(
            h.exec(ExecRequest {
                command: vec!["true".into()],
                ..Default::default()
            })
            .await,
            Err(ClientError::TaskNotRunning)
        ));
    }

    #[tokio::test]
    async fn stats_see_the_process() {
        let tmp = tempfile::tempdir().unwrap();
        let h = RawExecDriver::new(true)
            .start(spec(tmp.path(), "exec sleep 30"))
            .await
            .unwrap();
        // The process is spawned synchronously, so it is already in /proc.
        let s = h.stats();
        assert!(s.resource_usage.memory_stats.rss > 0);
        h.stop("SIGKILL", Duration::from_secs(1)).await;
    }
}
