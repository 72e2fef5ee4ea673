//! The region server (feature `server`): everything that runs on the leader around
//! the pure state store and scheduler.
//!
//! ```text
//!  RegionHandle (HTTP API, client RPC)
//!     | validate, build Command
//!     v
//!  Leader::apply --Applier (LocalApplier now, Raft later)--> StateStore
//!     | route: pending evals -> EvalBroker, blocked -> BlockedEvals, capacity -> unblock
//!     v
//!  EvalBroker --dequeue--> workers (scheduler::process_eval on a snapshot)
//!                              | Plan
//!                              v
//!                          plan applier (re-check fit, partial commit) --apply-->
//!  timer loop: delayed evals, nack timeouts, heartbeat TTLs -> node down
//! ```
//! The cores (`broker`, `blocked`, `heartbeat`, `plan_eval`) are sans-IO: they take
//! `now` and return effects; `leader`, `worker`, `plan_applier` and `timers` are
//! the thin tokio drivers.

mod applier;
mod blocked;
mod broker;
mod clock;
mod config;
mod endpoints;
mod error;
mod handle;
mod heartbeat;
mod leader;
mod leadership;
mod node_class;
mod plan_applier;
mod plan_eval;
mod timers;
mod worker;

pub use applier::{Applier, BoxFuture, LocalApplier};
pub use blocked::{BlockedEffect, BlockedEvals};
pub use broker::{BrokerEffect, BrokerError, EvalBroker};
pub use config::ServerConfig;
pub use endpoints::*;
pub use error::{ENFORCE_INDEX_ERR_PREFIX, RegionError, Result};
pub use handle::{BrokerStats, RegionHandle, RegionServer};
pub use heartbeat::HeartbeatTracker;
pub use node_class::computed_class;
pub use plan_eval::evaluate_plan;

#[cfg(test)]
mod tests;
