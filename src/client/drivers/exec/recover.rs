//! Taking over an `exec` task a previous client left running (`Driver::recover`):
//! its record (see `state`) must name a live supervisor, the same process that was
//! recorded (PID and start time); then its cgroup is reopened for stats, limits and
//! the final kill, its namespaces for `alloc exec`, its log FIFOs for the log files,
//! and its exit is awaited as a non-child's. A record whose supervisor is gone is
//! cleaned up (what the task left in its cgroup is killed) and nothing is recovered,
//! so the caller starts the task as its restart policy says.

use std::path::Path;
use std::sync::Arc;

use tokio_util::sync::CancellationToken;

use super::cgroup::TaskCgroup;
use super::enter::Entry;
use super::handle::{ExecHandle, Teardown};
use super::{isolate, logs, procs_cstrings, state};
use crate::client::drivers::TaskSpec;
use crate::client::drivers::local_exec::ExecContext;
use crate::client::drivers::process;

/// The handle of `spec`'s task if a previous client left it running under
/// `state_dir`; takes `spec`'s log files then, leaves `spec` untouched otherwise.
pub async fn recover(state_dir: &Path, spec: &mut TaskSpec) -> Option<ExecHandle> {
    let path = state::record_path(state_dir, &spec.alloc_id, &spec.task_name);
    let rec = state::load(&path)?;
    let cgroup = TaskCgroup::reopen(rec.hierarchy.clone(), rec.cgroup_dirs.clone());
    if process::start_ticks(rec.pid) != Some(rec.start_ticks) {
        tracing::info!(pid = rec.pid, alloc_id = %spec.alloc_id, task = %spec.task_name, "recorded exec task is gone");
        // It ended while no client watched: whatever it left behind goes too.
        let _ = tokio::task::spawn_blocking(move || {
            if let Some(cg) = cgroup {
                cg.destroy();
            }
            state::remove(&path);
        })
        .await;
        return None;
    }
    let Some(cgroup) = cgroup else {
        tracing::warn!(path = %path.display(), "exec task record names no cgroup; not recovered");
        return None;
    };
    let cgroup = Arc::new(cgroup);
    let cgroup_procs = match procs_cstrings(&cgroup) {
        Ok(p) => p,
        Err(e) => {
            tracing::warn!(error = %e, "exec task record unusable; not recovered");
            return None;
        }
    };
    let entry = Entry {
        ns: Entry::ns_of(rec.pid),
        cgroup_procs,
        uid: rec.uid,
        gid: rec.gid,
        cap_last: isolate::cap_last(),
        caps: rec.caps,
        tty: false,
    };
    let exec_ctx = ExecContext {
        cwd: spec.task_dir.clone(),
        env: rec.env,
        enter: None,
        task_stopped: CancellationToken::new(),
    };
    let pumps = [
        logs::reopen(spec.stdout.take(), rec.stdout_fifo.as_deref()),
        logs::reopen(spec.stderr.take(), rec.stderr_fifo.as_deref()),
    ]
    .into_iter()
    .flatten()
    .collect();
    tracing::info!(pid = rec.pid, alloc_id = %spec.alloc_id, task = %spec.task_name, "re-attached to running exec task");
    Some(ExecHandle::adopt(
        rec.pid,
        rec.start_ticks,
        Teardown {
            cgroup,
            pumps,
            record: Some(path),
        },
        entry,
        exec_ctx,
        spec.mhz_per_core,
    ))
}
