//! Task drivers: the `Driver` trait every driver implements (`raw_exec`, `exec`,
//! `docker`, `mock` for tests), what a driver is given to start a task (`TaskSpec`), and the
//! `TaskHandle` it returns for a running task. A driver says what it can do through
//! [`Capabilities`]; `alloc exec` sessions are in [`session`]; what `raw_exec` and
//! `exec` share about a task that is a process group is in `process`.

pub mod capabilities;
pub mod docker;
pub mod exec;
pub mod local_exec;
mod mock;
mod process;
mod raw_exec;
pub mod session;
pub mod signal;

use std::collections::BTreeMap;
use std::future::Future;
use std::path::PathBuf;
use std::pin::Pin;
use std::time::Duration;

use nomad_region::structs::DriverInfo;

pub use capabilities::{Capabilities, FsIsolation, MountConfigs, NetIsolationMode};
pub use mock::MockDriver;
pub use raw_exec::{RawExecDriver, executor};
pub use session::{ExecInput, ExecOutput, ExecRequest, ExecSession, TtySize};

use super::error::{ClientError, Result};
use super::logs::LogRotator;
use super::stats::TaskResourceUsage;

/// A boxed, `Send` future (keeps the traits object-safe without `async_trait`).
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// Everything a driver needs to start one task. Config and env are already interpolated.
#[derive(Debug)]
pub struct TaskSpec {
    /// Allocation ID.
    pub alloc_id: String,
    /// Task name.
    pub task_name: String,
    /// Driver config (`config {}`), interpolated.
    pub config: BTreeMap<String, serde_json::Value>,
    /// Full environment of the task.
    pub env: BTreeMap<String, String>,
    /// The task's directory (working directory).
    pub task_dir: PathBuf,
    /// Where stdout goes (`None`: `logs { disabled = true }`).
    pub stdout: Option<LogRotator>,
    /// Where stderr goes.
    pub stderr: Option<LogRotator>,
    /// User to run as (raw_exec: ignored unless it is the agent's).
    pub user: String,
    /// MHz of one core, for CPU stats.
    pub mhz_per_core: f64,
}

/// How a task ended.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ExitResult {
    /// Exit code (0 when killed by a signal).
    pub exit_code: i32,
    /// Signal that ended it (0 = none).
    pub signal: i32,
    /// Driver's explanation, if any.
    pub err: Option<String>,
    /// Killed by the kernel for running out of memory.
    pub oom_killed: bool,
}

impl ExitResult {
    /// Exit code 0, no signal, no error.
    pub fn successful(&self) -> bool {
        self.exit_code == 0 && self.signal == 0 && self.err.is_none()
    }
}

/// A running task. `wait` may be called any number of times, from any task.
pub trait TaskHandle: Send + Sync {
    /// OS process ID, if the driver runs processes.
    fn pid(&self) -> Option<u32>;
    /// Resolves when the task has exited.
    fn wait(&self) -> BoxFuture<'_, ExitResult>;
    /// Sends `signal` (e.g. `SIGHUP`) to the task.
    fn signal(&self, signal: &str) -> Result<()>;
    /// Sends `signal`, waits up to `timeout` for the task to exit, then kills it.
    fn stop(&self, signal: &str, timeout: Duration) -> BoxFuture<'_, ExitResult>;
    /// Current usage.
    fn stats(&self) -> TaskResourceUsage;
    /// Runs a command inside the task's context (`alloc exec`). Drivers that cannot
    /// answer `ExecNotSupported`.
    fn exec(&self, req: ExecRequest) -> BoxFuture<'_, Result<ExecSession>> {
        let _ = req;
        Box::pin(async { Err(ClientError::ExecNotSupported) })
    }
}

/// A task driver.
pub trait Driver: Send + Sync {
    /// Name as used in `driver = "..."`.
    fn name(&self) -> &'static str;
    /// What is published in `Node.Drivers[name]` and `driver.<name>` attributes.
    fn fingerprint(&self) -> DriverInfo;
    /// Starts a task.
    fn start(&self, spec: TaskSpec) -> BoxFuture<'_, Result<Box<dyn TaskHandle>>>;
    /// The signal used when the task does not set `kill_signal`.
    fn default_kill_signal(&self) -> &'static str {
        "SIGINT"
    }
    /// What the driver can do.
    fn capabilities(&self) -> Capabilities {
        Capabilities::default()
    }
    /// Finds the task a previous client left running for `spec`'s allocation and task
    /// and takes it over (its log files too). `None` when there is none (the caller
    /// then starts the task); `spec` is left untouched in that case.
    fn recover<'a>(
        &'a self,
        spec: &'a mut TaskSpec,
    ) -> BoxFuture<'a, Result<Option<Box<dyn TaskHandle>>>> {
        let _ = spec;
        Box::pin(async { Ok(None) })
    }
}

/// Current time as RFC 3339, for `DriverInfo.UpdateTime`.
pub(crate) fn now_rfc3339() -> String {
    chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Nanos, true)
}
