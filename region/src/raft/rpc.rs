//! The Raft wire messages between members (rmp-serde), and the receiving side:
//! [`serve_rpc`] decodes a request, hands it to the local `Raft` and encodes the
//! reply. Every transport (in-memory, QUIC) carries exactly these bytes.

use openraft::error::{InstallSnapshotError, RaftError};
use openraft::raft::{
    AppendEntriesRequest, AppendEntriesResponse, InstallSnapshotRequest, InstallSnapshotResponse,
    VoteRequest, VoteResponse,
};
use serde::{Deserialize, Serialize};

use super::{NodeId, Raft, Result, TypeConfig};

/// A request from one member's Raft to another's.
#[derive(Debug, Serialize, Deserialize)]
pub enum RaftRequest {
    /// Replicate entries / heartbeat.
    AppendEntries(AppendEntriesRequest<TypeConfig>),
    /// Ask for a vote.
    Vote(VoteRequest<NodeId>),
    /// One chunk of a snapshot.
    InstallSnapshot(InstallSnapshotRequest<TypeConfig>),
}

/// The reply to a [`RaftRequest`] (same variant), with the remote Raft's error if any.
#[derive(Debug, Serialize, Deserialize)]
pub enum RaftResponse {
    /// Reply to `AppendEntries`.
    AppendEntries(std::result::Result<AppendEntriesResponse<NodeId>, RaftError<NodeId>>),
    /// Reply to `Vote`.
    Vote(std::result::Result<VoteResponse<NodeId>, RaftError<NodeId>>),
    /// Reply to `InstallSnapshot`.
    InstallSnapshot(
        std::result::Result<
            InstallSnapshotResponse<NodeId>,
            RaftError<NodeId, InstallSnapshotError>,
        >,
    ),
}

/// Serves one encoded request with the local `raft`; returns the encoded reply.
/// Undecodable bytes are an error for the transport to report (no reply is sent).
pub async fn serve_rpc(raft: &Raft, request: &[u8]) -> Result<Vec<u8>> {
    let request: RaftRequest = rmp_serde::from_slice(request)?;
    let response = match request {
        RaftRequest::AppendEntries(r) => RaftResponse::AppendEntries(raft.append_entries(r).await),
        RaftRequest::Vote(r) => RaftResponse::Vote(raft.vote(r).await),
        RaftRequest::InstallSnapshot(r) => {
            RaftResponse::InstallSnapshot(raft.install_snapshot(r).await)
        }
    };
    Ok(rmp_serde::to_vec_named(&response)?)
}
