//! `ServerRpc`: everything the client asks of the servers. The agent implements it
//! in-process over the region's handle (`src/agent/local_rpc.rs`); a later issue
//! implements it over QUIC. Nothing above this trait knows which one it talks to.

use std::future::Future;
use std::time::Duration;

use nomad_region::structs::{Allocation, Node};
use thiserror::Error;

/// Why a server call failed.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum RpcError {
    /// The servers do not know this node (e.g. they lost state): register again.
    #[error("node {0} is not registered")]
    UnknownNode(String),
    /// No server answered; nothing changed on the servers.
    #[error("no servers available: {0}")]
    Unavailable(String),
    /// A server refused the request.
    #[error("{0}")]
    Server(String),
}

/// Result of a server call.
pub type RpcResult<T> = std::result::Result<T, RpcError>;

/// Calls a client makes to its region's servers. Implementations are cheap to share
/// (`Arc`) and every future is `Send` so the client can drive them from any task.
pub trait ServerRpc: Send + Sync + 'static {
    /// Registers (or re-registers) the node; returns the heartbeat TTL.
    fn register_node(&self, node: Node) -> impl Future<Output = RpcResult<Duration>> + Send;

    /// Heartbeats the node; returns the next TTL. `RpcError::UnknownNode` asks the
    /// client to register again.
    fn heartbeat(&self, node_id: String) -> impl Future<Output = RpcResult<Duration>> + Send;

    /// Blocking query: the allocations placed on `node_id`, returned as soon as the
    /// servers' index for them passes `min_index`, or after `wait` with what there is.
    /// Returns the allocations and the index to pass next time.
    fn allocs_for_node(
        &self,
        node_id: String,
        min_index: u64,
        wait: Duration,
    ) -> impl Future<Output = RpcResult<(Vec<Allocation>, u64)>> + Send;

    /// Reports client-side allocation state (ClientStatus, ClientDescription,
    /// TaskStates); other fields are ignored by the servers.
    fn update_allocs(&self, allocs: Vec<Allocation>) -> impl Future<Output = RpcResult<()>> + Send;
}
