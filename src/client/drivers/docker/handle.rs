//! A running docker task: one background waiter per container that waits for it
//! to stop, reads its exit code and OOM flag, lets the log stream drain, removes
//! the container, then publishes the `ExitResult`. `stop` sends the kill signal,
//! waits up to the timeout, then SIGKILLs; it returns once the container is gone.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use bollard::Docker;
use bollard::errors::Error as DockerError;
use bollard::models::ContainerState;
use bollard::query_parameters::{
    InspectContainerOptions, KillContainerOptions, WaitContainerOptions,
};
use futures_util::StreamExt;
use tokio::sync::watch;

use super::{container, exec, logs, oom, stats};
use crate::client::drivers::{BoxFuture, ExecRequest, ExecSession, ExitResult, TaskHandle, signal};
use crate::client::error::{ClientError, Result};
use crate::client::logs::LogRotator;
use crate::client::stats::TaskResourceUsage;

/// How long the log stream may keep draining after the container stopped.
const LOG_DRAIN: Duration = Duration::from_secs(2);
/// Pause between attempts while the engine does not answer.
const RETRY_PAUSE: Duration = Duration::from_secs(1);
/// Consecutive failed attempts after which the container counts as lost.
const MAX_FAILURES: u32 = 30;
/// Tries to inspect a stopped container before giving up.
const INSPECT_ATTEMPTS: u32 = 5;
/// Exit message of an OOM-killed task (Nomad's).
pub const OOM_MESSAGE: &str = "OOM Killed";

/// A docker task's handle.
pub struct DockerHandle {
    docker: Docker,
    id: String,
    exit: watch::Receiver<Option<ExitResult>>,
    latest: stats::LatestStats,
}

/// Starts following container `id`: logs from `since` (Unix seconds, 0 = all),
/// stats, and the waiter that ends with the container's removal.
pub fn attach(
    docker: Docker,
    id: String,
    since: i32,
    stdout: Option<LogRotator>,
    stderr: Option<LogRotator>,
    mhz_per_core: f64,
) -> DockerHandle {
    let log_task = tokio::spawn(logs::collect(
        docker.clone(),
        id.clone(),
        since,
        stdout,
        stderr,
    ));
    let latest: stats::LatestStats = Arc::new(Mutex::new(TaskResourceUsage::default()));
    let sampler = tokio::spawn(stats::sample(
        docker.clone(),
        id.clone(),
        mhz_per_core,
        latest.clone(),
    ));
    let (tx, rx) = watch::channel(None);
    let (d, cid) = (docker.clone(), id.clone());
    tokio::spawn(async move {
        let result = wait_exit(&d, &cid).await;
        // The log stream ends by itself once the container stopped; don't hang on it.
        let _ = tokio::time::timeout(LOG_DRAIN, log_task).await;
        sampler.abort();
        container::remove(&d, &cid).await;
        let _ = tx.send(Some(result));
    });
    DockerHandle {
        docker,
        id,
        exit: rx,
        latest,
    }
}

/// Waits until the container is not running, then reads how it ended.
async fn wait_exit(docker: &Docker, id: &str) -> ExitResult {
    let lost = |why: String| ExitResult {
        exit_code: -1,
        err: Some(why),
        ..Default::default()
    };
    let mut failures = 0;
    let code = loop {
        let options = WaitContainerOptions {
            condition: "not-running".into(),
        };
        let mut wait = docker.wait_container(id, Some(options));
        match wait.next().await {
            Some(Ok(r)) => break r.status_code,
            Some(Err(DockerError::DockerContainerWaitError { code, .. })) => break code,
            // Only the response headers are under the request timeout: ask again.
            Some(Err(DockerError::RequestTimeoutError)) => continue,
            Some(Err(e)) if container::is_not_found(&e) => {
                return lost(format!("container {id} vanished"));
            }
            other => {
                failures += 1;
                if failures >= MAX_FAILURES {
                    let why = match other {
                        Some(Err(e)) => e.to_string(),
                        _ => "wait ended without a status".into(),
                    };
                    return lost(format!("lost contact with the docker engine: {why}"));
                }
                tokio::time::sleep(RETRY_PAUSE).await;
            }
        }
    };
    // The wait gives the exit code; inspect tells about OOM kills, though not
    // always (see `oom`), so the kernel's record backs it up.
    let state = inspect_state(docker, id).await;
    let oom = oom::oom_killed(state.oom_killed.unwrap_or(false), code, id).await;
    let engine_err = state.error.filter(|e| !e.is_empty());
    ExitResult {
        exit_code: i32::try_from(code).unwrap_or(-1),
        signal: 0,
        err: if oom {
            Some(OOM_MESSAGE.into())
        } else {
            engine_err
        },
        oom_killed: oom,
    }
}

/// The stopped container's state; a failed inspect is retried (a busy engine
/// may time out) rather than read as "not OOM-killed".
async fn inspect_state(docker: &Docker, id: &str) -> ContainerState {
    for attempt in 1..=INSPECT_ATTEMPTS {
        match docker
            .inspect_container(id, None::<InspectContainerOptions>)
            .await
        {
            Ok(info) => return info.state.unwrap_or_default(),
            Err(e) if container::is_not_found(&e) => break,
            Err(e) if attempt < INSPECT_ATTEMPTS => {
                tracing::debug!(container = id, error = %e, "inspect after exit failed; retrying");
                tokio::time::sleep(RETRY_PAUSE).await;
            }
            Err(e) => {
                tracing::warn!(container = id, error = %e, "cannot inspect stopped container")
            }
        }
    }
    ContainerState::default()
}

impl DockerHandle {
    /// The container's ID.
    pub fn container_id(&self) -> &str {
        &self.id
    }

    fn exited(&self) -> bool {
        self.exit.borrow().is_some()
    }

    async fn wait_exit(&self) -> ExitResult {
        let mut rx = self.exit.clone();
        match rx.wait_for(|r| r.is_some()).await {
            Ok(r) => r.clone().unwrap_or_default(),
            Err(_) => ExitResult {
                exit_code: -1,
                err: Some("container waiter vanished".into()),
                ..Default::default()
            },
        }
    }

    /// Sends signal number `sig`; a container that already stopped is not an error.
    async fn kill(docker: &Docker, id: &str, sig: i32) {
        let options = KillContainerOptions {
            signal: sig.to_string(),
        };
        match docker.kill_container(id, Some(options)).await {
            Ok(()) => {}
            Err(DockerError::DockerResponseServerError {
                status_code: 404 | 409,
                ..
            }) => {}
            Err(e) => tracing::warn!(container = id, signal = sig, error = %e, "kill failed"),
        }
    }
}

impl TaskHandle for DockerHandle {
    fn pid(&self) -> Option<u32> {
        None
    }

    fn wait(&self) -> BoxFuture<'_, ExitResult> {
        Box::pin(self.wait_exit())
    }

    fn signal(&self, name: &str) -> Result<()> {
        let sig = signal::parse(name)?;
        if self.exited() {
            return Err(ClientError::TaskNotRunning);
        }
        // The trait is synchronous; the engine call is not.
        let rt = tokio::runtime::Handle::try_current().map_err(|_| ClientError::TaskNotRunning)?;
        let (docker, id) = (self.docker.clone(), self.id.clone());
        rt.spawn(async move { Self::kill(&docker, &id, sig).await });
        Ok(())
    }

    fn stop(&self, name: &str, timeout: Duration) -> BoxFuture<'_, ExitResult> {
        let sig = signal::parse(name).unwrap_or(libc::SIGTERM);
        Box::pin(async move {
            if !self.exited() {
                Self::kill(&self.docker, &self.id, sig).await;
                if tokio::time::timeout(timeout, self.wait_exit())
                    .await
                    .is_err()
                {
                    Self::kill(&self.docker, &self.id, libc::SIGKILL).await;
                }
            }
            // The waiter publishes only after the container is removed.
            self.wait_exit().await
        })
    }

    fn stats(&self) -> TaskResourceUsage {
        match self.latest.lock() {
            Ok(l) => l.clone(),
            Err(p) => p.into_inner().clone(),
        }
    }

    fn exec(&self, req: ExecRequest) -> BoxFuture<'_, Result<ExecSession>> {
        Box::pin(async move {
            if self.exited() {
                return Err(ClientError::TaskNotRunning);
            }
            exec::start(&self.docker, &self.id, &req).await
        })
    }
}
