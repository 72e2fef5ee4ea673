//! `ClientError`: the one error type of the client module family, and its `Result` alias.

use std::path::PathBuf;

use thiserror::Error;

use super::rpc::RpcError;

/// Why something in the client failed. Each variant says what was left undone.
#[derive(Debug, Error)]
pub enum ClientError {
    /// A file or directory operation failed; nothing was started.
    #[error("{context} {}: {source}", path.display())]
    Io {
        /// What we were doing.
        context: &'static str,
        /// The path involved.
        path: PathBuf,
        /// The OS error.
        #[source]
        source: std::io::Error,
    },
    /// A call to the servers failed; the client retries on its own.
    #[error(transparent)]
    Rpc(#[from] RpcError),
    /// The task asked for a driver this node does not have (or has disabled).
    #[error("driver {0:?} is not available on this node")]
    DriverUnavailable(String),
    /// The driver could not start the task. `recoverable` errors count as a failed
    /// attempt under the restart policy; others fail the task at once.
    #[error("{message}")]
    DriverStart {
        /// Driver's message, shown in the `Driver Failure` event.
        message: String,
        /// Whether a restart may help.
        recoverable: bool,
    },
    /// The task's driver config is not what the driver needs.
    #[error("invalid task config: {0}")]
    TaskConfig(String),
    /// A signal name the client does not know.
    #[error("unknown signal {0:?}")]
    UnknownSignal(String),
    /// The task is not running (anymore).
    #[error("task is not running")]
    TaskNotRunning,
    /// The task's driver cannot run commands inside its tasks.
    #[error("driver does not support exec")]
    ExecNotSupported,
    /// An `alloc exec` command could not be started.
    #[error("{0}")]
    Exec(String),
    /// The allocation or task named is not running on this client.
    #[error("{0}")]
    NotFound(String),
}

impl ClientError {
    /// An I/O error with its context and path.
    pub fn io(context: &'static str, path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        Self::Io {
            context,
            path: path.into(),
            source,
        }
    }
}

/// Result of client operations.
pub type Result<T> = std::result::Result<T, ClientError>;
