//! The region's state store: in-memory tables of jobs, nodes, allocations,
//! evaluations and deployments, with Raft-style indexes and cheap snapshots.
//!
//! Every change goes through one path, [`StateStore::apply`] with a [`Command`] (the
//! future Raft log entry); reads go through a [`StateSnapshot`], an O(1) copy of the
//! persistent maps (`imbl`) that later writes never disturb.
//!
//! ```text
//!   Command --apply(index)--> StateStore (tables + indexes) --snapshot()--> StateSnapshot
//!                                                                 |-> HTTP reads
//!                                                                 '-> scheduler (State trait)
//! ```

mod apply;
mod command;
mod dump;
mod error;
mod job_status;
mod key;
mod placements;
mod scheduler_state;
mod snapshot;
mod store;
mod tables;
mod time;

pub use command::*;
pub use dump::StateDump;
pub use error::*;
pub use snapshot::StateSnapshot;
pub use store::StateStore;
pub use tables::Table;
pub use time::{parse_rfc3339, rfc3339};

/// How many versions of each job are kept (Nomad's `JobTrackedVersions`).
pub const JOB_TRACKED_VERSIONS: usize = 6;
/// How many events a node keeps (Nomad's `MaxRetainedNodeEvents`).
pub const MAX_RETAINED_NODE_EVENTS: usize = 10;

#[cfg(test)]
mod tests;
