//! Why a command could not be applied. Every variant means the state did NOT change.

use serde::{Deserialize, Serialize};
use thiserror::Error;

/// A command the state store refused (deterministically, so every Raft replica refuses it).
#[derive(Debug, Clone, PartialEq, Eq, Error, Serialize, Deserialize)]
pub enum StateError {
    /// No such job.
    #[error("job not found: {0}")]
    JobNotFound(String),
    /// No such node.
    #[error("node not found: {0}")]
    NodeNotFound(String),
    /// No such allocation.
    #[error("allocation not found: {0}")]
    AllocNotFound(String),
    /// The command is malformed (missing ID, allocation without a job, ...).
    #[error("invalid command: {0}")]
    Invalid(String),
}

/// Result alias of the state store.
pub type Result<T> = std::result::Result<T, StateError>;
