//! openraft's network side over a [`RaftTransport`]: each RPC is encoded as a
//! [`RaftRequest`], sent as bytes, and the [`RaftResponse`] decoded; transport and
//! remote failures become openraft's `RPCError`s (unreachable peers are backed off).

use std::error::Error;
use std::sync::Arc;

use openraft::error::{
    InstallSnapshotError, NetworkError, RPCError, RaftError, RemoteError, Unreachable,
};
use openraft::network::{RPCOption, RaftNetwork, RaftNetworkFactory};
use openraft::raft::{
    AppendEntriesRequest, AppendEntriesResponse, InstallSnapshotRequest, InstallSnapshotResponse,
    VoteRequest, VoteResponse,
};

use super::rpc::{RaftRequest, RaftResponse};
use super::transport::{RaftTransport, TransportError};
use super::{NodeId, RaftMember, TypeConfig};

type RpcResult<T, E = openraft::error::Infallible> =
    Result<T, RPCError<NodeId, RaftMember, RaftError<NodeId, E>>>;

/// Makes one [`PeerClient`] per target member; all share one transport.
#[derive(Clone)]
pub struct NetworkFactory {
    transport: Arc<dyn RaftTransport>,
}

impl NetworkFactory {
    /// Sends through `transport`.
    pub fn new(transport: Arc<dyn RaftTransport>) -> Self {
        Self { transport }
    }
}

impl RaftNetworkFactory<TypeConfig> for NetworkFactory {
    type Network = PeerClient;

    async fn new_client(&mut self, target: NodeId, node: &RaftMember) -> PeerClient {
        PeerClient {
            transport: self.transport.clone(),
            target,
            addr: node.rpc_addr.clone(),
        }
    }
}

/// The sending end towards one member.
pub struct PeerClient {
    transport: Arc<dyn RaftTransport>,
    target: NodeId,
    addr: String,
}

fn network<E: Error>(e: &(impl Error + 'static)) -> RPCError<NodeId, RaftMember, E> {
    RPCError::Network(NetworkError::new(e))
}

fn mismatch<E: Error>() -> RPCError<NodeId, RaftMember, E> {
    network(&TransportError::Failed(
        "reply does not match the request".into(),
    ))
}

impl PeerClient {
    /// Sends `request`; openraft enforces the RPC's deadline by dropping this future.
    async fn call<E: Error>(
        &self,
        request: RaftRequest,
    ) -> Result<RaftResponse, RPCError<NodeId, RaftMember, E>> {
        let bytes = rmp_serde::to_vec_named(&request).map_err(|e| network(&e))?;
        let reply = match self
            .transport
            .call(self.target, self.addr.clone(), bytes)
            .await
        {
            Ok(reply) => reply,
            Err(e @ TransportError::Unreachable(_)) => {
                return Err(RPCError::Unreachable(Unreachable::new(&e)));
            }
            Err(e) => return Err(network(&e)),
        };
        rmp_serde::from_slice(&reply).map_err(|e| network(&e))
    }

    fn remote<T, E: Error>(&self, r: Result<T, RaftError<NodeId, E>>) -> RpcResult<T, E> {
        r.map_err(|e| RPCError::RemoteError(RemoteError::new(self.target, e)))
    }
}

impl RaftNetwork<TypeConfig> for PeerClient {
    async fn append_entries(
        &mut self,
        rpc: AppendEntriesRequest<TypeConfig>,
        _option: RPCOption,
    ) -> RpcResult<AppendEntriesResponse<NodeId>> {
        match self.call(RaftRequest::AppendEntries(rpc)).await? {
            RaftResponse::AppendEntries(r) => self.remote(r),
            _ => Err(mismatch()),
        }
    }

    async fn install_snapshot(
        &mut self,
        rpc: InstallSnapshotRequest<TypeConfig>,
        _option: RPCOption,
    ) -> RpcResult<InstallSnapshotResponse<NodeId>, InstallSnapshotError> {
        match self.call(RaftRequest::InstallSnapshot(rpc)).await? {
            RaftResponse::InstallSnapshot(r) => self.remote(r),
            _ => Err(mismatch()),
        }
    }

    async fn vote(
        &mut self,
        rpc: VoteRequest<NodeId>,
        _option: RPCOption,
    ) -> RpcResult<VoteResponse<NodeId>> {
        match self.call(RaftRequest::Vote(rpc)).await? {
            RaftResponse::Vote(r) => self.remote(r),
            _ => Err(mismatch()),
        }
    }
}
