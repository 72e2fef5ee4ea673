//! openraft's network side over a [`RaftTransport`]: each RPC is encoded as a
//! [`RaftRequest`], sent as bytes, and the [`RaftResponse`] decoded; transport and
//! remote failures become openraft's `RPCError`s (unreachable peers are backed off).
//! An `AppendEntries` whose encoding exceeds the payload limit is not sent: openraft
//! is told `PayloadTooLarge` with how many entries would fit, and resends fewer.

use std::error::Error;
use std::sync::Arc;

use openraft::error::{
    InstallSnapshotError, NetworkError, PayloadTooLarge, RPCError, RaftError, RemoteError,
    Unreachable,
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

/// Default most bytes of one encoded `AppendEntries` (`RaftOptions::max_payload_bytes`):
/// an eighth of the RPC port's 64 MiB frame, so a catch-up batch of multi-megabyte plan
/// entries is split well before the transport would refuse it.
pub const DEFAULT_MAX_PAYLOAD_BYTES: usize = 8 << 20;

/// Makes one [`PeerClient`] per target member; all share one transport.
#[derive(Clone)]
pub struct NetworkFactory {
    transport: Arc<dyn RaftTransport>,
    max_payload_bytes: usize,
}

impl NetworkFactory {
    /// Sends through `transport`, `AppendEntries` up to [`DEFAULT_MAX_PAYLOAD_BYTES`].
    pub fn new(transport: Arc<dyn RaftTransport>) -> Self {
        Self::with_payload_limit(transport, DEFAULT_MAX_PAYLOAD_BYTES)
    }

    /// Sends through `transport`; an `AppendEntries` of several entries that encodes to
    /// more than `max_payload_bytes` is split (a single entry is sent whatever its size).
    pub fn with_payload_limit(transport: Arc<dyn RaftTransport>, max_payload_bytes: usize) -> Self {
        Self {
            transport,
            max_payload_bytes: max_payload_bytes.max(1),
        }
    }
}

impl RaftNetworkFactory<TypeConfig> for NetworkFactory {
    type Network = PeerClient;

    async fn new_client(&mut self, target: NodeId, node: &RaftMember) -> PeerClient {
        PeerClient {
            transport: self.transport.clone(),
            target,
            addr: node.rpc_addr.clone(),
            max_payload_bytes: self.max_payload_bytes,
        }
    }
}

/// The sending end towards one member.
pub struct PeerClient {
    transport: Arc<dyn RaftTransport>,
    target: NodeId,
    addr: String,
    max_payload_bytes: usize,
}

fn network<E: Error>(e: &(impl Error + 'static)) -> RPCError<NodeId, RaftMember, E> {
    RPCError::Network(NetworkError::new(e))
}

fn mismatch<E: Error>() -> RPCError<NodeId, RaftMember, E> {
    network(&TransportError::Failed(
        "reply does not match the request".into(),
    ))
}

/// How many of `entries` entries would fit in `limit` bytes if they encode to `size`
/// together: a proportional share, at least one, fewer than `entries`.
fn entries_hint(entries: usize, size: usize, limit: usize) -> u64 {
    let fit = (entries as u128 * limit as u128 / size.max(1) as u128) as u64;
    fit.clamp(1, (entries as u64).saturating_sub(1).max(1))
}

fn encode<E: Error>(request: &RaftRequest) -> Result<Vec<u8>, RPCError<NodeId, RaftMember, E>> {
    rmp_serde::to_vec_named(request).map_err(|e| network(&e))
}

impl PeerClient {
    /// Sends `request`; openraft enforces the RPC's deadline by dropping this future.
    async fn call<E: Error>(
        &self,
        request: RaftRequest,
    ) -> Result<RaftResponse, RPCError<NodeId, RaftMember, E>> {
        self.send(encode(&request)?).await
    }

    /// Sends an encoded request and decodes the reply.
    async fn send<E: Error>(
        &self,
        bytes: Vec<u8>,
    ) -> Result<RaftResponse, RPCError<NodeId, RaftMember, E>> {
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
        let entries = rpc.entries.len();
        let bytes = encode(&RaftRequest::AppendEntries(rpc))?;
        if entries > 1 && bytes.len() > self.max_payload_bytes {
            let hint = entries_hint(entries, bytes.len(), self.max_payload_bytes);
            tracing::debug!(
                target = self.target,
                entries,
                bytes = bytes.len(),
                hint,
                "append_entries too large, asking openraft for fewer entries"
            );
            return Err(RPCError::PayloadTooLarge(
                PayloadTooLarge::new_entries_hint(hint),
            ));
        }
        match self.send(bytes).await? {
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

#[cfg(test)]
mod tests {
    use std::sync::Mutex;

    use openraft::{CommittedLeaderId, Entry, EntryPayload, LogId, Vote};

    use super::*;
    use crate::server::BoxFuture;

    #[test]
    fn hint_is_a_proportional_share_of_the_entries() {
        // 32 entries in 40 MiB, 16 MiB allowed: 12 fit.
        assert_eq!(entries_hint(32, 40 << 20, 16 << 20), 12);
        // Always fewer than sent, so that the retry is smaller.
        assert_eq!(entries_hint(2, 17, 16), 1);
        // Never zero, even for one huge entry among several.
        assert_eq!(entries_hint(3, 1 << 30, 16), 1);
    }

    /// Answers every `AppendEntries` with success and keeps the request sizes.
    #[derive(Default)]
    struct Recorder {
        sent: Mutex<Vec<usize>>,
    }

    impl RaftTransport for Recorder {
        fn call(
            &self,
            _target: NodeId,
            _addr: String,
            request: Vec<u8>,
        ) -> BoxFuture<'_, Result<Vec<u8>, TransportError>> {
            self.sent.lock().unwrap().push(request.len());
            Box::pin(async {
                let reply = RaftResponse::AppendEntries(Ok(AppendEntriesResponse::Success));
                rmp_serde::to_vec_named(&reply).map_err(|e| TransportError::Failed(e.to_string()))
            })
        }
    }

    fn append(entries: u64) -> AppendEntriesRequest<TypeConfig> {
        let log_id = |i| LogId::new(CommittedLeaderId::new(1, 1), i);
        AppendEntriesRequest {
            vote: Vote::new_committed(1, 1),
            prev_log_id: None,
            leader_commit: None,
            entries: (1..=entries)
                .map(|i| Entry {
                    log_id: log_id(i),
                    payload: EntryPayload::Blank,
                })
                .collect(),
        }
    }

    async fn client(limit: usize) -> (PeerClient, Arc<Recorder>) {
        let recorder = Arc::new(Recorder::default());
        let mut factory = NetworkFactory::with_payload_limit(recorder.clone(), limit);
        let client = factory
            .new_client(2, &RaftMember::new("127.0.0.1:4647"))
            .await;
        (client, recorder)
    }

    fn option() -> RPCOption {
        RPCOption::new(std::time::Duration::from_secs(1))
    }

    #[tokio::test]
    async fn oversized_batch_is_refused_before_sending() {
        let (mut client, recorder) = client(64).await;
        match client.append_entries(append(20), option()).await {
            Err(RPCError::PayloadTooLarge(too_large)) => {
                let hint = too_large.entries_hint();
                assert!((1..20).contains(&hint), "hint {hint}");
            }
            other => panic!("expected PayloadTooLarge, got {other:?}"),
        }
        assert!(recorder.sent.lock().unwrap().is_empty());
    }

    #[tokio::test]
    async fn batch_within_the_limit_is_sent() {
        let (mut client, recorder) = client(DEFAULT_MAX_PAYLOAD_BYTES).await;
        let reply = client.append_entries(append(20), option()).await;
        assert!(matches!(reply, Ok(AppendEntriesResponse::Success)));
        assert_eq!(recorder.sent.lock().unwrap().len(), 1);
    }

    #[tokio::test]
    async fn a_single_entry_is_sent_whatever_its_size() {
        // It cannot be split; the transport's frame limit is the last word.
        let (mut client, recorder) = client(1).await;
        let reply = client.append_entries(append(1), option()).await;
        assert!(matches!(reply, Ok(AppendEntriesResponse::Success)));
        assert_eq!(recorder.sent.lock().unwrap().len(), 1);
    }
}
