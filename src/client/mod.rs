//! The client: fingerprints the node, registers it and heartbeats, watches the
//! node's allocations and runs them (AllocRunner -> TaskRunner -> Driver),
//! reporting their state back through `ServerRpc`.
//!
//! ```text
//!             ┌ heartbeat ── register_node / heartbeat ─────────────┐
//! Client ─────┼ watcher ──── allocs_for_node ──> AllocRunner ×N      ├─> ServerRpc
//! (supervisor)└ updater <─── updates_out ───── └─> TaskRunner ×M     │
//!                   └──────── update_allocs ─────────────────────────┘
//! ```
//! Shutdown (the agent's token or `ClientHandle::shutdown`): stop the loops, stop
//! every allocation (each task within its kill_timeout) — or, with
//! `detach_on_shutdown`, leave them running for the next run to re-attach to —,
//! flush the last updates.

pub mod alloc_dir;
pub mod alloc_fs;
pub mod alloc_runner;
pub mod config;
pub mod drivers;
pub mod env;
pub mod error;
pub mod fingerprint;
mod heartbeat;
pub mod host_stats;
pub mod interpolate;
pub mod logs;
mod operate;
pub mod rpc;
pub mod stats;
pub mod task_runner;
mod updater;
mod watcher;

#[cfg(test)]
mod tests;

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, MutexGuard};

use nomad_region::structs::{Allocation, Node};
use tokio::sync::{mpsc, watch};
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

pub use alloc_dir::AllocDir;
pub use alloc_runner::{AllocCommand, DriverMap};
pub use config::ClientConfig;
pub use drivers::{Driver, MockDriver, RawExecDriver, TaskHandle};
pub use error::{ClientError, Result};
pub use rpc::{RpcError, RpcResult, ServerRpc};
pub use stats::AllocResourceUsage;

use task_runner::HandleSlots;

/// Current time, Unix nanoseconds.
pub(crate) fn now_nanos() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos().min(i64::MAX as u128) as i64)
}

/// Current time, RFC 3339 (task state timestamps).
pub(crate) fn now_rfc3339() -> String {
    chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Nanos, true)
}

/// One allocation known to this client.
pub(crate) struct AllocEntry {
    /// Last server-side version seen (see `watcher::server_version`).
    pub version: (u64, String, Option<bool>),
    /// Commands to its runner.
    pub commands: mpsc::UnboundedSender<AllocCommand>,
    /// Its running task handles.
    pub slots: HandleSlots,
    /// The runner; taken at shutdown to be awaited.
    pub join: Option<JoinHandle<()>>,
}

/// State shared by the client's tasks and its handle.
pub(crate) struct Shared {
    pub config: ClientConfig,
    pub node: Arc<Node>,
    pub drivers: Arc<DriverMap>,
    pub mhz_per_core: f64,
    pub allocs: Mutex<BTreeMap<String, AllocEntry>>,
    pub updates_tx: mpsc::UnboundedSender<Allocation>,
    /// CPU counters of the last host sample (`/v1/client/stats`).
    pub host_stats: Mutex<host_stats::HostStatsCollector>,
}

impl Shared {
    pub fn lock_allocs(&self) -> MutexGuard<'_, BTreeMap<String, AllocEntry>> {
        // A panic elsewhere must not take the client down with it.
        self.allocs.lock().unwrap_or_else(|p| p.into_inner())
    }
}

/// Starts clients.
pub struct Client;

impl Client {
    /// Fingerprints, then starts registration/heartbeat, the alloc watcher and the
    /// updater in the background. Returns once the node is fingerprinted (not yet
    /// registered). Stops when `cancel` fires or on `ClientHandle::shutdown`.
    pub fn start<R: ServerRpc>(
        config: ClientConfig,
        rpc: Arc<R>,
        cancel: CancellationToken,
    ) -> Result<ClientHandle> {
        let mut driver_list: Vec<Arc<dyn Driver>> = vec![Arc::new(
            RawExecDriver::new(config.raw_exec_enabled).with_state_dir(config.state_dir()),
        )];
        // Denied drivers are not even fingerprinted (a docker engine may hang).
        if config.driver_permitted("exec") {
            driver_list.push(Arc::new(
                drivers::exec::ExecDriver::new().with_state_dir(config.state_dir()),
            ));
        }
        if config.driver_permitted("docker") {
            driver_list.push(Arc::new(drivers::docker::DockerDriver::from_env()));
        }
        if config.mock_driver_enabled {
            driver_list.push(Arc::new(MockDriver));
        }
        Self::start_with_drivers(config, rpc, driver_list, cancel)
    }

    /// `start` with an explicit driver list.
    pub fn start_with_drivers<R: ServerRpc>(
        config: ClientConfig,
        rpc: Arc<R>,
        driver_list: Vec<Arc<dyn Driver>>,
        cancel: CancellationToken,
    ) -> Result<ClientHandle> {
        let driver_list: Vec<Arc<dyn Driver>> = driver_list
            .into_iter()
            .filter(|d| config.driver_permitted(d.name()))
            .collect();
        let alloc_root = config.alloc_root();
        std::fs::create_dir_all(&alloc_root)
            .map_err(|e| ClientError::io("create alloc dir", &alloc_root, e))?;
        let (id, secret) = fingerprint::node_identity(&config)?;
        let (node, cpu) = fingerprint::build_node(&config, &id, &secret, &driver_list);
        let drivers: DriverMap = driver_list
            .into_iter()
            .filter(|d| {
                node.drivers
                    .get(d.name())
                    .is_some_and(|i| i.detected && i.healthy)
            })
            .map(|d| (d.name().to_string(), d))
            .collect();
        let (updates_tx, updates_rx) = mpsc::unbounded_channel();
        let shared = Arc::new(Shared {
            config,
            node: Arc::new(node),
            drivers: Arc::new(drivers),
            mhz_per_core: cpu.mhz,
            allocs: Mutex::new(BTreeMap::new()),
            updates_tx,
            host_stats: Mutex::new(host_stats::HostStatsCollector::default()),
        });
        let cancel = cancel.child_token();
        let supervisor = tokio::spawn(supervise(shared.clone(), rpc, updates_rx, cancel.clone()));
        Ok(ClientHandle {
            shared,
            cancel,
            supervisor: Arc::new(tokio::sync::Mutex::new(Some(supervisor))),
        })
    }
}

/// Owns the client's loops and tears them down in order.
async fn supervise<R: ServerRpc>(
    shared: Arc<Shared>,
    rpc: Arc<R>,
    updates_rx: mpsc::UnboundedReceiver<Allocation>,
    cancel: CancellationToken,
) {
    let loops = CancellationToken::new();
    let flush = CancellationToken::new();
    let retry = shared.config.retry_interval;
    let updater = tokio::spawn(updater::run(rpc.clone(), updates_rx, retry, flush.clone()));
    let (reg_tx, mut reg_rx) = watch::channel(false);
    let heartbeat = tokio::spawn(heartbeat::run(
        rpc.clone(),
        (*shared.node).clone(),
        retry,
        reg_tx,
        loops.clone(),
    ));
    let watcher = {
        let (shared, loops) = (shared.clone(), loops.clone());
        tokio::spawn(async move {
            // Allocations are only placed on registered nodes.
            if reg_rx.wait_for(|r| *r).await.is_ok() {
                watcher::run(rpc, shared, loops).await;
            }
        })
    };
    cancel.cancelled().await;
    loops.cancel();
    let _ = watcher.await;
    let _ = heartbeat.await;
    let detach = shared.config.detach_on_shutdown;
    let runners: Vec<JoinHandle<()>> = {
        let mut map = shared.lock_allocs();
        map.values_mut()
            .filter_map(|e| {
                let cmd = if detach {
                    AllocCommand::Detach
                } else {
                    AllocCommand::Shutdown
                };
                let _ = e.commands.send(cmd);
                e.join.take()
            })
            .collect()
    };
    for r in runners {
        let _ = r.await;
    }
    flush.cancel();
    let _ = updater.await;
}

/// The running client. Cheap to clone.
#[derive(Clone)]
pub struct ClientHandle {
    shared: Arc<Shared>,
    cancel: CancellationToken,
    supervisor: Arc<tokio::sync::Mutex<Option<JoinHandle<()>>>>,
}

impl ClientHandle {
    /// This node's ID.
    pub fn node_id(&self) -> &str {
        &self.shared.node.id
    }

    /// The node as fingerprinted.
    pub fn node(&self) -> &Node {
        &self.shared.node
    }

    /// `<data_dir>/alloc/<alloc_id>` when that allocation ran on this client.
    pub fn alloc_dir(&self, alloc_id: &str) -> Option<PathBuf> {
        let dir = AllocDir::new(&self.shared.config.alloc_root(), alloc_id);
        let known = self.shared.lock_allocs().contains_key(alloc_id);
        (known || dir.root().is_dir()).then(|| dir.root().to_path_buf())
    }

    /// The allocation's log directory (`alloc/logs`), when it ran here.
    pub fn log_dir(&self, alloc_id: &str) -> Option<PathBuf> {
        self.alloc_dir(alloc_id)
            .map(|d| d.join("alloc").join("logs"))
    }

    /// Resource usage of the allocation's running tasks; `None` for an unknown allocation.
    pub fn alloc_stats(&self, alloc_id: &str) -> Option<AllocResourceUsage> {
        let slots = self.shared.lock_allocs().get(alloc_id)?.slots.clone();
        let handles: Vec<(String, Arc<dyn TaskHandle>)> = {
            let s = slots.lock().unwrap_or_else(|p| p.into_inner());
            s.iter().map(|(k, v)| (k.clone(), v.clone())).collect()
        };
        let tasks = handles
            .into_iter()
            .map(|(name, h)| (name, h.stats()))
            .collect();
        Some(AllocResourceUsage::from_tasks(tasks, now_nanos()))
    }

    /// Sends `signal` to one task of the allocation (or all with `None`).
    pub fn signal(&self, alloc_id: &str, task: Option<&str>, signal: &str) -> Result<()> {
        drivers::signal::parse(signal)?;
        let map = self.shared.lock_allocs();
        let entry = map.get(alloc_id).ok_or(ClientError::TaskNotRunning)?;
        entry
            .commands
            .send(AllocCommand::Signal {
                task: task.map(String::from),
                signal: signal.to_string(),
            })
            .map_err(|_| ClientError::TaskNotRunning)
    }

    /// IDs of the allocations this client has run.
    pub fn alloc_ids(&self) -> Vec<String> {
        self.shared.lock_allocs().keys().cloned().collect()
    }

    /// Stops the client: every task is stopped within its kill_timeout, the last
    /// states are sent to the servers. Safe to call more than once.
    pub async fn shutdown(&self) {
        self.cancel.cancel();
        if let Some(s) = self.supervisor.lock().await.take() {
            let _ = s.await;
        }
    }
}
