//! `RegionError`: every way a region request can fail, mapped to HTTP status codes
//! once by the API layer (`src/api/error.rs`).

use thiserror::Error;

use crate::state::StateError;
use crate::structs::ValidationErrors;

/// A failed region request.
#[derive(Debug, Clone, Error)]
pub enum RegionError {
    /// The object does not exist (`job not found`, ...). HTTP 404.
    #[error("{0}")]
    NotFound(String),
    /// The request is invalid (bad job, missing field). HTTP 400.
    #[error("{0}")]
    Invalid(String),
    /// The job failed validation. HTTP 400.
    #[error("{0}")]
    Validation(ValidationErrors),
    /// `enforce_index` did not match (Nomad's "Enforcing job modify index" errors).
    #[error("{0}")]
    IndexMismatch(String),
    /// The state store refused the command.
    #[error("{0}")]
    State(#[from] StateError),
    /// The server is stopping.
    #[error("server is shutting down")]
    ShuttingDown,
    /// No leader to serve the request.
    #[error("No cluster leader")]
    NoLeader,
    /// Anything else. HTTP 500.
    #[error("{0}")]
    Internal(String),
}

/// Result alias of the region server.
pub type Result<T> = std::result::Result<T, RegionError>;

/// Nomad's prefix of index-enforcement errors (the CLI matches on it).
pub const ENFORCE_INDEX_ERR_PREFIX: &str = "Enforcing job modify index";
