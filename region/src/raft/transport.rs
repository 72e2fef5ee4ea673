//! `RaftTransport`: how Raft messages reach another member (bytes out, bytes
//! back), and `InMemoryTransport`, its in-process twin for tests: it routes the
//! real encoded messages to the target's `Raft` and can cut and heal a member's
//! links. The QUIC transport (mesh crate) implements the same trait.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};

use thiserror::Error;

use super::{NodeId, Raft, rpc};
use crate::server::BoxFuture;

/// Why a message got no reply.
#[derive(Debug, Clone, Error)]
pub enum TransportError {
    /// The target cannot be reached now (down, cut off); Raft backs off and retries.
    #[error("raft peer unreachable: {0}")]
    Unreachable(String),
    /// The exchange failed midway (connection reset, bad reply, remote failure).
    #[error("raft transport: {0}")]
    Failed(String),
}

/// Sends one encoded Raft request to a member and returns its encoded reply.
pub trait RaftTransport: Send + Sync + 'static {
    /// Sends `request` to member `target` listening on `addr`.
    fn call(
        &self,
        target: NodeId,
        addr: String,
        request: Vec<u8>,
    ) -> BoxFuture<'_, Result<Vec<u8>, TransportError>>;
}

#[derive(Default)]
struct Routes {
    nodes: HashMap<NodeId, Raft>,
    isolated: HashSet<NodeId>,
}

/// An in-process network of Raft members. Each member sends through its own
/// [`InMemoryTransport::endpoint`], so that cutting a member off works both ways.
#[derive(Clone, Default)]
pub struct InMemoryTransport {
    routes: Arc<Mutex<Routes>>,
}

impl InMemoryTransport {
    /// An empty network.
    pub fn new() -> Self {
        Self::default()
    }

    fn routes(&self) -> std::sync::MutexGuard<'_, Routes> {
        self.routes.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Makes member `id` reachable, served by `raft`.
    pub fn register(&self, id: NodeId, raft: Raft) {
        self.routes().nodes.insert(id, raft);
    }

    /// Takes member `id` off the network (as if its process died).
    pub fn unregister(&self, id: NodeId) {
        self.routes().nodes.remove(&id);
    }

    /// Cuts every link to and from `id`.
    pub fn isolate(&self, id: NodeId) {
        self.routes().isolated.insert(id);
    }

    /// Restores the links of `id`.
    pub fn heal(&self, id: NodeId) {
        self.routes().isolated.remove(&id);
    }

    /// The transport member `from` sends through.
    pub fn endpoint(&self, from: NodeId) -> Arc<dyn RaftTransport> {
        Arc::new(Endpoint {
            net: self.clone(),
            from,
        })
    }
}

struct Endpoint {
    net: InMemoryTransport,
    from: NodeId,
}

impl RaftTransport for Endpoint {
    fn call(
        &self,
        target: NodeId,
        _addr: String,
        request: Vec<u8>,
    ) -> BoxFuture<'_, Result<Vec<u8>, TransportError>> {
        let raft = {
            let routes = self.net.routes();
            if routes.isolated.contains(&self.from) || routes.isolated.contains(&target) {
                None
            } else {
                routes.nodes.get(&target).cloned()
            }
        };
        Box::pin(async move {
            let raft = raft.ok_or_else(|| TransportError::Unreachable(format!("node {target}")))?;
            rpc::serve_rpc(&raft, &request)
                .await
                .map_err(|e| TransportError::Failed(e.to_string()))
        })
    }
}
