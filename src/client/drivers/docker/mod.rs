//! The `docker` driver: runs each task as a container of the local Docker Engine
//! (through bollard), labelled with its allocation and task, its output collected
//! into the allocation's log files, removed when the task stops. A task whose
//! container is still running when it is started again (a restarted client) gets
//! that container back instead of a second one.
//!
//! One file per concern: `fingerprint` (engine connection, `driver.docker*`),
//! `config` (the task's `config {}`), `create` (the create request), `container`
//! (image, create/start, find, remove), `logs`, `handle` (wait, stop, signal),
//! `oom` (was it OOM-killed), `stats`, `exec` (`alloc exec` through engine exec
//! instances).

mod config;
mod container;
mod create;
mod exec;
mod fingerprint;
mod handle;
mod logs;
mod oom;
mod stats;
#[cfg(test)]
mod tests;

use std::sync::Mutex;

use bollard::Docker;
use nomad_region::structs::DriverInfo;

use super::{BoxFuture, Capabilities, Driver, FsIsolation, NetIsolationMode, TaskHandle, TaskSpec};
use crate::client::error::{ClientError, Result};

pub use config::DockerTaskConfig;
pub use fingerprint::{DEFAULT_ENDPOINT, endpoint_from_env};
pub use handle::{DockerHandle, OOM_MESSAGE};

/// Label carrying the allocation ID (Nomad's).
pub const LABEL_ALLOC_ID: &str = "com.hashicorp.nomad.alloc_id";
/// Label carrying the task name.
pub const LABEL_TASK_NAME: &str = "com.hashicorp.nomad.task_name";
/// Label carrying the job name.
pub const LABEL_JOB_NAME: &str = "com.hashicorp.nomad.job_name";
/// Label carrying the task group name.
pub const LABEL_TASK_GROUP: &str = "com.hashicorp.nomad.task_group_name";

/// What the driver knows of the engine.
struct Conn {
    docker: Option<Docker>,
    info: DriverInfo,
}

/// The `docker` driver.
pub struct DockerDriver {
    endpoint: String,
    conn: Mutex<Conn>,
}

impl std::fmt::Debug for DockerDriver {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DockerDriver")
            .field("endpoint", &self.endpoint)
            .finish_non_exhaustive()
    }
}

impl DockerDriver {
    /// A driver for the engine at `endpoint` (`unix:///path` or `tcp://host:port`),
    /// fingerprinted now (blocking briefly; a few seconds at worst when the engine hangs).
    pub fn new(endpoint: impl Into<String>) -> Self {
        let endpoint = endpoint.into();
        let probe = fingerprint::probe_blocking(&endpoint);
        let driver = Self {
            endpoint,
            conn: Mutex::new(Conn {
                docker: None,
                info: DriverInfo::default(),
            }),
        };
        driver.apply_probe(&probe);
        driver
    }

    /// A driver for `DOCKER_HOST`, or the default socket.
    pub fn from_env() -> Self {
        Self::new(endpoint_from_env())
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Conn> {
        self.conn.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn apply_probe(&self, probe: &std::result::Result<fingerprint::Probe, String>) {
        let docker = match probe {
            Ok(p) => fingerprint::connect(&self.endpoint, &p.api_version).ok(),
            Err(e) => {
                tracing::debug!(endpoint = %self.endpoint, error = %e, "docker engine not detected");
                None
            }
        };
        let mut info = fingerprint::driver_info(probe);
        if probe.is_ok() && docker.is_none() {
            info = fingerprint::driver_info(&Err(String::new()));
        }
        let mut conn = self.lock();
        conn.docker = docker;
        conn.info = info;
    }

    /// Fingerprints the engine again (it may have started or gone away).
    pub async fn refresh(&self) -> DriverInfo {
        let probe = fingerprint::probe(&self.endpoint).await;
        self.apply_probe(&probe);
        self.lock().info.clone()
    }

    /// The engine client, re-fingerprinting once if the engine was not detected.
    async fn client(&self) -> Result<Docker> {
        if let Some(d) = self.lock().docker.clone() {
            return Ok(d);
        }
        self.refresh().await;
        self.lock()
            .docker
            .clone()
            .ok_or_else(|| ClientError::DriverUnavailable("docker".into()))
    }

    /// Re-attaches to the container a previous client left running for `spec`'s
    /// allocation and task (found by label); stopped leftovers are removed.
    /// `None` when no such container runs. (`Driver::recover` is this, boxed.)
    pub async fn recover_container(&self, spec: &mut TaskSpec) -> Result<Option<DockerHandle>> {
        let docker = self.client().await?;
        adopt(&docker, spec).await
    }

    async fn start_task(&self, mut spec: TaskSpec) -> Result<DockerHandle> {
        let cfg = DockerTaskConfig::parse(&spec.config)?;
        let body = create::create_body(&cfg, &spec)?;
        let docker = self.client().await?;
        if let Some(h) = adopt(&docker, &mut spec).await? {
            return Ok(h);
        }
        container::ensure_image(&docker, &cfg.image, cfg.force_pull).await?;
        let id = container::create_and_start(&docker, &create::container_name(&spec), body).await?;
        Ok(handle::attach(
            docker,
            id,
            0,
            spec.stdout.take(),
            spec.stderr.take(),
            spec.mhz_per_core,
        ))
    }
}

/// Attaches to the running container labelled as `spec`'s task, taking its log
/// files; removes stopped ones. Leaves `spec` untouched when none runs.
async fn adopt(docker: &Docker, spec: &mut TaskSpec) -> Result<Option<DockerHandle>> {
    let mut adopted = None;
    for c in container::find(docker, &spec.alloc_id, &spec.task_name).await? {
        if c.running && adopted.is_none() {
            // Output written before the restart is already in the files: follow
            // only what comes from now on.
            let since = (crate::client::now_nanos() / 1_000_000_000).clamp(0, i32::MAX as i64);
            tracing::info!(container = %c.id, task = %spec.task_name, "re-attached to running container");
            adopted = Some(handle::attach(
                docker.clone(),
                c.id,
                since as i32,
                spec.stdout.take(),
                spec.stderr.take(),
                spec.mhz_per_core,
            ));
        } else {
            // Stopped leftovers, or (never expected) a second running copy.
            container::remove(docker, &c.id).await;
        }
    }
    Ok(adopted)
}

impl Driver for DockerDriver {
    fn name(&self) -> &'static str {
        "docker"
    }

    fn fingerprint(&self) -> DriverInfo {
        self.lock().info.clone()
    }

    fn start(&self, spec: TaskSpec) -> BoxFuture<'_, Result<Box<dyn TaskHandle>>> {
        Box::pin(async move {
            let h = self.start_task(spec).await?;
            Ok(Box::new(h) as Box<dyn TaskHandle>)
        })
    }

    /// Docker's own stop signal.
    fn default_kill_signal(&self) -> &'static str {
        "SIGTERM"
    }

    fn capabilities(&self) -> Capabilities {
        Capabilities {
            send_signals: true,
            exec: true,
            fs_isolation: FsIsolation::Image,
            net_isolation_modes: vec![
                NetIsolationMode::Host,
                NetIsolationMode::Group,
                NetIsolationMode::Task,
            ],
            must_initiate_network: true,
            ..Capabilities::default()
        }
    }

    fn recover<'a>(
        &'a self,
        spec: &'a mut TaskSpec,
    ) -> BoxFuture<'a, Result<Option<Box<dyn TaskHandle>>>> {
        Box::pin(async move {
            let h = self.recover_container(spec).await?;
            Ok(h.map(|h| Box::new(h) as Box<dyn TaskHandle>))
        })
    }
}
