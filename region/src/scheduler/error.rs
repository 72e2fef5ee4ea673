//! Errors of the scheduler. A placement that does not fit is not an error (it is
//! reported through `FailedTGAllocs` and a blocked eval); these are the cases where
//! the evaluation itself could not be processed.

use thiserror::Error;

/// Why an evaluation could not be processed.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum SchedulerError {
    /// The evaluation's type names no scheduler (`_core` is handled by the server).
    #[error("unknown scheduler type \"{0}\"")]
    UnknownSchedulerType(String),
    /// The planner could not submit the plan (applier gone, Raft error, ...). The
    /// state did not change through this plan; the eval should be nacked.
    #[error("failed to submit plan: {0}")]
    Planner(String),
    /// Every plan attempt was partly rejected; the eval was marked failed and a
    /// blocked eval created (Nomad's `max-plan-attempts`).
    #[error("maximum attempts reached ({0})")]
    MaxPlanAttempts(u32),
    /// The job given to a dry-run plan is unusable.
    #[error("invalid job: {0}")]
    InvalidJob(String),
}

/// Result alias of the scheduler.
pub type Result<T> = std::result::Result<T, SchedulerError>;
