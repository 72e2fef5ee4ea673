//! `QuicRaftTransport`: Raft messages between servers as [`Request::Raft`] calls on the RPC port. The
//! bytes are openraft's encoded messages (`nomad_region::raft::RaftRequest`); a peer that cannot be
//! dialed is reported unreachable, so that openraft backs off.

use std::net::SocketAddr;
use std::time::Duration;

use nomad_region::raft::{NodeId, RaftTransport, TransportError};
use nomad_region::server::BoxFuture;

use super::endpoint::{RpcEndpoint, RpcTransportError};
use super::wire::{Envelope, Reply, Request};

/// Upper bound of one Raft exchange (openraft drops the call earlier, after `RPC_TIMEOUT_FLOOR`, 2 s).
const RAFT_TIMEOUT: Duration = Duration::from_secs(10);

/// Sends Raft messages from this server's RPC endpoint.
pub struct QuicRaftTransport {
    endpoint: RpcEndpoint,
    region: String,
}

impl QuicRaftTransport {
    pub fn new(endpoint: RpcEndpoint, region: String) -> Self {
        Self { endpoint, region }
    }
}

impl RaftTransport for QuicRaftTransport {
    fn call(
        &self,
        target: NodeId,
        addr: String,
        request: Vec<u8>,
    ) -> BoxFuture<'_, Result<Vec<u8>, TransportError>> {
        Box::pin(async move {
            let to: SocketAddr = addr.parse().map_err(|e| {
                TransportError::Unreachable(format!("raft peer {target} at {addr:?}: {e}"))
            })?;
            let envelope = Envelope {
                region: self.region.clone(),
                request: Request::Raft(request),
            };
            match self.endpoint.call(to, &envelope, RAFT_TIMEOUT).await {
                Ok(Reply::Raft(bytes)) => Ok(bytes),
                Ok(Reply::Error(e)) => Err(TransportError::Failed(e.to_string())),
                Ok(other) => Err(TransportError::Failed(format!(
                    "unexpected reply to a raft message: {other:?}"
                ))),
                Err(e @ RpcTransportError::Connect { .. }) => {
                    Err(TransportError::Unreachable(e.to_string()))
                }
                Err(e) => Err(TransportError::Failed(e.to_string())),
            }
        })
    }
}
