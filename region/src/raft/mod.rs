//! Raft for one region (feature `server`): openraft 0.9 with its log, vote and
//! snapshots in sled under `<data_dir>/server/raft/`, and the region's
//! [`StateStore`](crate::state::StateStore) as the state machine.
//!
//! ```text
//!  RaftApplier (server::Applier) --client_write--> openraft::Raft
//!                                                   |        |
//!                              LogStore (sled log) <-'        '-> StateMachine
//!                                                                 StateStore::apply(log index, &cmd)
//!  peers <--RaftNetwork (rmp-serde bytes)--> RaftTransport (in-memory now, QUIC later)
//!                                               '--> RaftNode::handle_rpc on the peer
//! ```
//!
//! The Raft log index of a `Normal` entry is the state store's index: every
//! command of the entry's [`CommandBatch`] is applied at it. Blank and membership
//! entries consume an index without touching the store.

// openraft's traits return its own (large) `StorageError` / `RPCError`; the helpers
// that build them return them too rather than boxing and unboxing.
#![allow(clippy::result_large_err)]

// openraft 0.9's `declare_raft_types!` names `Cursor` unqualified.
use std::io::Cursor;

mod applier;
mod batch;
mod command_batch;
mod error;
mod log_cache;
mod log_store;
mod member;
mod network;
mod node;
mod rpc;
mod runtime;
mod shared;
mod snapshot;
mod state_machine;
mod transport;

pub use applier::RaftApplier;
pub use command_batch::CommandBatch;
pub use error::{RaftNodeError, Result};
pub use log_store::LogStore;
pub use member::RaftMember;
pub use network::NetworkFactory;
pub use node::{RaftNode, RaftNodeConfig, RaftOptions};
pub use rpc::{RaftRequest, RaftResponse, serve_rpc};
pub use runtime::{RPC_TIMEOUT_FLOOR, RaftRuntime};
pub use shared::SharedState;
pub use state_machine::{SnapshotBuilder, StateMachine};
pub use transport::{InMemoryTransport, RaftTransport, TransportError};

use crate::state::CommandResult;

/// A member's ID in the region's Raft group.
pub type NodeId = u64;

openraft::declare_raft_types!(
    /// The region's Raft types: a log entry carries a batch of state-store
    /// [`Command`](crate::state::Command)s, answered with one [`CommandResult`] each;
    /// RPC timeouts have a floor ([`RaftRuntime`]).
    pub TypeConfig:
        D = CommandBatch,
        R = Vec<CommandResult>,
        NodeId = NodeId,
        Node = RaftMember,
        SnapshotData = Cursor<Vec<u8>>,
        AsyncRuntime = RaftRuntime,
);

/// The region's Raft handle.
pub type Raft = openraft::Raft<TypeConfig>;
/// A Raft log id.
pub type LogId = openraft::LogId<NodeId>;
/// Raft storage failure (what every storage method returns).
pub type StorageError = openraft::StorageError<NodeId>;
/// The membership as the state machine stores it.
pub type StoredMembership = openraft::StoredMembership<NodeId, RaftMember>;
/// Snapshot metadata.
pub type SnapshotMeta = openraft::SnapshotMeta<NodeId, RaftMember>;
