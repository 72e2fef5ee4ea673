//! Operating running work through the `ClientHandle`: restart tasks, run commands in
//! them (`alloc exec`), and sample the host (`/v1/client/stats`). Signals and
//! allocation stats are in `mod.rs`, next to the handle.

use std::sync::Arc;

use super::alloc_runner::AllocCommand;
use super::drivers::{ExecRequest, ExecSession, TaskHandle};
use super::error::{ClientError, Result};
use super::host_stats::HostStats;
use super::{ClientHandle, now_nanos};

impl ClientHandle {
    /// Names of the allocation's tasks that are running now.
    pub fn running_tasks(&self, alloc_id: &str) -> Vec<String> {
        self.handles(alloc_id)
            .map(|h| h.into_iter().map(|(name, _)| name).collect())
            .unwrap_or_default()
    }

    fn handles(&self, alloc_id: &str) -> Option<Vec<(String, Arc<dyn TaskHandle>)>> {
        let slots = self.shared.lock_allocs().get(alloc_id)?.slots.clone();
        let s = slots.lock().unwrap_or_else(|p| p.into_inner());
        Some(s.iter().map(|(k, v)| (k.clone(), v.clone())).collect())
    }

    /// The running task `task` of the allocation (or its only running task).
    fn running_handle(
        &self,
        alloc_id: &str,
        task: Option<&str>,
    ) -> Result<(String, Arc<dyn TaskHandle>)> {
        let handles = self.handles(alloc_id).ok_or_else(|| {
            ClientError::NotFound(format!("Unknown allocation {alloc_id:?} on this client"))
        })?;
        match task {
            Some(t) => handles
                .into_iter()
                .find(|(name, _)| name == t)
                .ok_or_else(|| ClientError::NotFound(format!("Task {t:?} is not running"))),
            None => {
                let mut it = handles.into_iter();
                match (it.next(), it.next()) {
                    (Some(one), None) => Ok(one),
                    (None, _) => Err(ClientError::TaskNotRunning),
                    _ => Err(ClientError::NotFound(
                        "Allocation has multiple running tasks: a task name is required".into(),
                    )),
                }
            }
        }
    }

    /// Checks that `task` (if given) is running in the allocation: signals and
    /// restarts for other tasks are errors, not silently dropped.
    pub fn check_running(&self, alloc_id: &str, task: Option<&str>) -> Result<()> {
        match task {
            Some(_) => self.running_handle(alloc_id, task).map(|_| ()),
            None if self.running_tasks(alloc_id).is_empty() => Err(ClientError::TaskNotRunning),
            None => Ok(()),
        }
    }

    /// Restarts one running task in place, or all of them with `None` (`alloc restart`).
    pub fn restart(&self, alloc_id: &str, task: Option<&str>) -> Result<()> {
        self.check_running(alloc_id, task)?;
        let map = self.shared.lock_allocs();
        let entry = map.get(alloc_id).ok_or(ClientError::TaskNotRunning)?;
        entry
            .commands
            .send(AllocCommand::Restart {
                task: task.map(String::from),
            })
            .map_err(|_| ClientError::TaskNotRunning)
    }

    /// Runs a command inside a running task (`alloc exec`).
    pub async fn exec(
        &self,
        alloc_id: &str,
        task: Option<&str>,
        req: ExecRequest,
    ) -> Result<ExecSession> {
        let (_, handle) = self.running_handle(alloc_id, task)?;
        handle.exec(req).await
    }

    /// The host's current usage.
    pub fn host_stats(&self) -> HostStats {
        let root = self.shared.config.alloc_root();
        let mhz = self.shared.mhz_per_core;
        let mut c = self
            .shared
            .host_stats
            .lock()
            .unwrap_or_else(|p| p.into_inner());
        c.collect(&root, mhz, now_nanos())
    }
}
