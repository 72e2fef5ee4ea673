//! What `exec` keeps under `data_dir/client/exec/<alloc>/` so that a restarted client takes over the
//! tasks a previous run of it left running, in the style of `raw_exec`'s records: one record per task,
//! written when it starts and removed when it ends, naming the supervisor (PID and start time, so a
//! reused PID is not mistaken for it), the task's cgroup, what `alloc exec` needs to enter it (user,
//! capabilities, environment) and the FIFOs its output goes through.
//!
//! The FIFOs are why output survives a restart: the task writes into `<task>.stdout` / `<task>.stderr`
//! here, the agent reads them into the log files, and the supervisor holds one more read end (see
//! `isolate`), so a task writing while no agent reads blocks once the pipe is full instead of dying of
//! SIGPIPE, and the next agent reopens the FIFO and drains what waited. The supervisor also writes
//! the task's exit status into `<task>.exit` (see `sys::write_exit_status`), which is how a client
//! that re-attached, and so is not the supervisor's parent, learns how the task ended.

use std::collections::BTreeMap;
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::caps::CapSet;
use super::cgroup::Hierarchy;

/// One running exec task, as recorded on disk.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExecRecord {
    /// Host PID of the supervisor, leader of the task's process group.
    pub pid: u32,
    /// The supervisor's start time (`/proc/<pid>/stat` field 22).
    pub start_ticks: u64,
    /// The hierarchy the cgroup lives in.
    pub hierarchy: Hierarchy,
    /// The task's cgroup directories (one per controller on v1).
    pub cgroup_dirs: Vec<PathBuf>,
    /// The task's user and group.
    pub uid: u32,
    pub gid: u32,
    /// The task's capabilities.
    pub caps: CapSet,
    /// The environment `alloc exec` commands get (the task's, paths as it sees them).
    pub env: BTreeMap<String, String>,
    /// FIFOs carrying stdout and stderr (`None`: that stream is not logged).
    pub stdout_fifo: Option<PathBuf>,
    pub stderr_fifo: Option<PathBuf>,
}

/// Where the task's record lives.
pub fn record_path(state_dir: &Path, alloc_id: &str, task: &str) -> PathBuf {
    state_dir
        .join("exec")
        .join(alloc_id)
        .join(format!("{task}.json"))
}

/// The FIFO of the task's `stream` ("stdout", "stderr"), beside its record.
pub fn fifo_path(record: &Path, stream: &str) -> PathBuf {
    record.with_extension(stream)
}

/// Creates a fresh FIFO at `path` (a stale one from a dead task is replaced).
pub fn make_fifo(path: &Path) -> std::io::Result<()> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    let _ = std::fs::remove_file(path);
    let c = std::ffi::CString::new(path.as_os_str().as_encoded_bytes())
        .map_err(|_| std::io::Error::other("path contains a NUL"))?;
    // SAFETY: a valid C string.
    if unsafe { libc::mkfifo(c.as_ptr(), 0o600) } < 0 {
        return Err(std::io::Error::last_os_error());
    }
    Ok(())
}

/// Records the task. Only root reads it: the environment may hold secrets.
pub fn save(path: &Path, record: &ExecRecord) {
    let write = || -> std::io::Result<()> {
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir)?;
        }
        let tmp = path.with_extension("json.tmp");
        let mut f = std::fs::OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(true)
            .mode(0o600)
            .open(&tmp)?;
        f.set_permissions(std::fs::Permissions::from_mode(0o600))?;
        std::io::Write::write_all(&mut f, &serde_json::to_vec(record)?)?;
        std::fs::rename(&tmp, path)
    };
    if let Err(e) = write() {
        tracing::warn!(path = %path.display(), error = %e, "cannot record exec task; a client restart will not find it");
    }
}

/// The record at `path`, if there is a readable one.
pub fn load(path: &Path) -> Option<ExecRecord> {
    serde_json::from_slice(&std::fs::read(path).ok()?).ok()
}

/// Forgets the task (it ended): its record, its FIFOs, and the allocation's dir once empty.
pub fn remove(path: &Path) {
    for stream in ["stdout", "stderr"] {
        let _ = std::fs::remove_file(fifo_path(path, stream));
    }
    let _ = std::fs::remove_file(crate::client::drivers::process::exit_path(path));
    let _ = std::fs::remove_file(path);
    if let Some(dir) = path.parent() {
        let _ = std::fs::remove_dir(dir);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_round_trip_privately_and_go_with_their_fifos() {
        let tmp = tempfile::tempdir().unwrap();
        let path = record_path(tmp.path(), "a1", "web");
        let fifo = fifo_path(&path, "stdout");
        assert_eq!(fifo, tmp.path().join("exec/a1/web.stdout"));
        make_fifo(&fifo).unwrap();
        // Again over a stale one.
        make_fifo(&fifo).unwrap();
        use std::os::unix::fs::FileTypeExt;
        assert!(std::fs::metadata(&fifo).unwrap().file_type().is_fifo());
        let record = ExecRecord {
            pid: 42,
            start_ticks: 7,
            hierarchy: Hierarchy::V1 {
                memory: "/m".into(),
                cpu: "/c".into(),
                cpuacct: "/c".into(),
            },
            cgroup_dirs: vec!["/m/nomad/a1.web".into(), "/c/nomad/a1.web".into()],
            uid: 65534,
            gid: 65534,
            caps: 5,
            env: BTreeMap::from([("TOKEN".to_string(), "s3cret".to_string())]),
            stdout_fifo: Some(fifo.clone()),
            stderr_fifo: None,
        };
        save(&path, &record);
        assert_eq!(load(&path), Some(record));
        let mode = std::fs::metadata(&path).unwrap().permissions().mode();
        assert_eq!(mode & 0o077, 0, "the record is root's only: {mode:o}");
        remove(&path);
        assert!(!path.exists() && !fifo.exists());
        assert!(
            !tmp.path().join("exec/a1").exists(),
            "the empty dir goes too"
        );
        assert_eq!(load(&path), None);
    }
}
