//! What `raw_exec` keeps under `data_dir/client/raw_exec/` so that a restarted client finds the tasks a
//! previous run of it left running: one record per task with the process ID and the process's start
//! time (so that a reused PID is not mistaken for the task), written when the task starts and removed
//! when it exits. [`adopt`] turns a live record into a handle on the process, as the docker driver
//! re-attaches to its labelled containers.
//!
//! An adopted process is not this agent's child: its exit is noticed through a pidfd (or by polling
//! `/proc`). A task started under the executor (see `executor`) is recorded with its output FIFOs,
//! which the next agent reopens, and its exit status is read from the file the executor writes
//! (`<task>.exit`). A task started as a plain child (no executor) keeps running, but its output
//! after the restart is lost and its exit status cannot be known.

use std::path::{Path, PathBuf};
use std::sync::Mutex;

use serde::{Deserialize, Serialize};
use tokio::sync::watch;
use tokio::task::JoinHandle;

use crate::client::drivers::process::{exit_path, take_exit};

use crate::client::drivers::ExitResult;
use crate::client::drivers::process::{self, start_ticks};
use crate::client::stats::CpuTracker;

/// One running task, as recorded on disk.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TaskRecord {
    pub pid: u32,
    /// Field 22 of `/proc/<pid>/stat`: clock ticks after boot when the process started.
    pub start_ticks: u64,
    /// Whether `pid` is the task's executor rather than the task itself.
    #[serde(default)]
    pub executor: bool,
    /// FIFOs carrying its stdout and stderr, when it runs under the executor.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stdout_fifo: Option<PathBuf>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stderr_fifo: Option<PathBuf>,
}

/// Where a task's record lives.
pub fn record_path(state_dir: &Path, alloc_id: &str, task: &str) -> PathBuf {
    state_dir
        .join("raw_exec")
        .join(alloc_id)
        .join(format!("{task}.json"))
}

/// Where the agent leaves the executor its config.
pub fn executor_config_path(record: &Path) -> PathBuf {
    record.with_extension("executor.json")
}

/// Records `pid` (the task, or its executor) as the task's process group leader, with the
/// FIFOs its output goes through.
pub fn save(path: &Path, pid: u32, executor: bool, fifos: [Option<PathBuf>; 2]) {
    let Some(start_ticks) = start_ticks(pid) else {
        return;
    };
    let [stdout_fifo, stderr_fifo] = fifos;
    let record = TaskRecord {
        pid,
        start_ticks,
        executor,
        stdout_fifo,
        stderr_fifo,
    };
    let write = || -> std::io::Result<()> {
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir)?;
        }
        let tmp = path.with_extension("json.tmp");
        std::fs::write(&tmp, serde_json::to_vec(&record)?)?;
        std::fs::rename(&tmp, path)
    };
    if let Err(e) = write() {
        tracing::warn!(path = %path.display(), error = %e, "cannot record raw_exec task; a client restart will not find it");
    }
}

/// Forgets the task's record and what lies beside it (it exited).
pub fn remove(path: &Path) {
    let _ = std::fs::remove_file(path);
    let _ = std::fs::remove_file(exit_path(path));
    for stream in ["stdout", "stderr"] {
        let _ = std::fs::remove_file(crate::client::drivers::exec::fifo_path(path, stream));
    }
}

/// The live process the record names, if it still runs; a stale record is removed.
pub fn live_record(path: &Path) -> Option<TaskRecord> {
    let bytes = std::fs::read(path).ok()?;
    let record: TaskRecord = serde_json::from_slice(&bytes).ok()?;
    if start_ticks(record.pid) == Some(record.start_ticks) {
        Some(record)
    } else {
        remove(path);
        None
    }
}

/// The state of an adopted process, for its handle.
pub struct Adopted {
    pub pid: u32,
    /// Whether `pid` is the task's executor.
    pub executor: bool,
    pub exit: watch::Receiver<Option<ExitResult>>,
    pub cpu: Mutex<CpuTracker>,
}

/// Watches a re-attached process until it exits (and its log `pumps` have drained), then
/// reports the exit the executor wrote (unknown without one) and removes its record.
pub fn adopt(record: TaskRecord, path: PathBuf, pumps: Vec<JoinHandle<()>>) -> Adopted {
    let (tx, rx) = watch::channel(None);
    let (pid, executor) = (record.pid, record.executor);
    tokio::spawn(async move {
        process::wait_gone(pid, record.start_ticks).await;
        for p in pumps {
            let _ = tokio::time::timeout(super::LOG_DRAIN, p).await;
        }
        let exit = take_exit(&exit_path(&path)).unwrap_or_else(process::unknown_exit);
        remove(&path);
        let _ = tx.send(Some(exit));
    });
    Adopted {
        pid,
        executor,
        exit: rx,
        cpu: Mutex::new(CpuTracker::default()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::client::drivers::{Driver, RawExecDriver, TaskSpec};
    use std::collections::BTreeMap;
    use std::time::Duration;

    fn spec(dir: &Path) -> TaskSpec {
        TaskSpec {
            alloc_id: "a1".into(),
            task_name: "t".into(),
            config: BTreeMap::from([
                ("command".to_string(), serde_json::json!("/bin/sh")),
                (
                    "args".to_string(),
                    serde_json::json!(["-c", "sleep 30; true"]),
                ),
            ]),
            env: BTreeMap::new(),
            task_dir: dir.to_path_buf(),
            stdout: None,
            stderr: None,
            user: String::new(),
            mhz_per_core: 1000.0,
        }
    }

    #[tokio::test]
    async fn a_second_driver_on_the_same_state_dir_reattaches() {
        let tmp = tempfile::tempdir().unwrap();
        let state = tmp.path().join("client");
        // The first client runs in a runtime of its own, shut down as when the client dies:
        // its waiter goes (in this runtime it would live on and clean up behind the second
        // client's back), the process keeps running.
        let (first_state, task_dir) = (state.clone(), tmp.path().to_path_buf());
        let first = std::thread::spawn(move || {
            let rt = tokio::runtime::Runtime::new().unwrap();
            let pid = rt.block_on(async {
                let first = RawExecDriver::new(true).with_state_dir(first_state);
                first.start(spec(&task_dir)).await.unwrap().pid().unwrap()
            });
            drop(rt);
            pid
        });
        let pid = tokio::task::spawn_blocking(move || first.join().unwrap())
            .await
            .unwrap();
        let second = RawExecDriver::new(true).with_state_dir(state.clone());
        let h2 = second.start(spec(tmp.path())).await.unwrap();
        assert_eq!(h2.pid(), Some(pid), "re-attached, not started again");
        assert!(h2.stats().resource_usage.memory_stats.rss > 0);
        let r = h2.stop("SIGTERM", Duration::from_secs(5)).await;
        assert!(r.err.is_some_and(|e| e.contains("exit status unknown")));
        assert_eq!(start_ticks(pid), None, "the task is gone");
        assert!(!record_path(&state, "a1", "t").exists());
        // With the task gone, the next start runs a new process.
        let h3 = second.start(spec(tmp.path())).await.unwrap();
        assert_ne!(h3.pid(), Some(pid));
        h3.stop("SIGKILL", Duration::from_secs(5)).await;
    }

    #[test]
    fn records_name_live_processes_only() {
        let tmp = tempfile::tempdir().unwrap();
        let path = record_path(tmp.path(), "a1", "t");
        let me = std::process::id();
        save(&path, me, false, [None, None]);
        assert_eq!(live_record(&path).map(|r| r.pid), Some(me));
        // Same PID, another start time: a reused PID is not the task.
        let forged = TaskRecord {
            start_ticks: start_ticks(me).unwrap() + 1,
            ..live_record(&path).unwrap()
        };
        std::fs::write(&path, serde_json::to_vec(&forged).unwrap()).unwrap();
        assert_eq!(live_record(&path), None);
        assert!(!path.exists(), "a stale record is removed");
    }
}
