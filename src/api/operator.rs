//! `GET /v1/operator/raft/configuration`: the region's Raft members as this server knows them, in
//! Nomad's shape; `DELETE /v1/operator/raft/peer?address=|id=`: removes one (run on the leader; a
//! follower forwards it there).

use axum::extract::{Query, State};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};

use super::ApiState;
use super::error::{ApiError, Result};
use super::query::{QueryOptions, reply};

/// One member of the Raft configuration.
#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct RaftServer {
    #[serde(rename = "ID")]
    pub id: String,
    /// `<name>.<region>` for this server; the RPC address for the others (their names come with
    /// mesh discovery).
    pub node: String,
    pub address: String,
    pub leader: bool,
    pub voter: bool,
    pub raft_protocol: String,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
struct RaftConfiguration {
    servers: Vec<RaftServer>,
    index: u64,
}

/// `GET /v1/operator/raft/configuration`.
pub async fn raft_configuration(
    State(state): State<ApiState>,
    q: QueryOptions,
) -> Result<Response> {
    let own = state.region.config().rpc_addr.clone();
    let leader = state.region.leader_addr();
    let servers = state
        .region
        .raft_servers()
        .into_iter()
        .map(|(id, address, voter)| RaftServer {
            id: if id == 0 {
                address.clone()
            } else {
                id.to_string()
            },
            node: if address == own {
                format!("{}.{}", state.agent.name, state.agent.region)
            } else {
                address.clone()
            },
            leader: leader.as_deref() == Some(address.as_str()),
            address,
            voter,
            raft_protocol: "3".into(),
        })
        .collect();
    let index = state.region.snapshot().latest_index().max(1);
    reply(&state, &q, index, &RaftConfiguration { servers, index })
}

/// `?address=<ip:port>` or `?id=<raft id>` of `DELETE /v1/operator/raft/peer`.
#[derive(Debug, Default, Deserialize)]
pub struct RemovePeerQuery {
    pub address: Option<String>,
    pub id: Option<String>,
}

/// `DELETE /v1/operator/raft/peer`: removes a server from the Raft configuration, as Nomad's
/// `operator raft remove-peer` does. An alive server of the region is added back by the leader, as in
/// Nomad; this is for servers that are gone for good.
pub async fn remove_raft_peer(
    State(state): State<ApiState>,
    Query(q): Query<RemovePeerQuery>,
) -> Result<Response> {
    let servers = state.region.raft_servers();
    let id = match (
        q.address.filter(|a| !a.is_empty()),
        q.id.filter(|i| !i.is_empty()),
    ) {
        (Some(_), Some(_)) => {
            return Err(ApiError::BadRequest(
                "Must specify only one of ?id or ?address".into(),
            ));
        }
        (None, None) => {
            return Err(ApiError::BadRequest(
                "Must specify either ?id with the server's ID or ?address with IP:port of peer to remove".into(),
            ));
        }
        (Some(address), None) => servers
            .iter()
            .find(|(_, a, _)| *a == address)
            .map(|(id, _, _)| *id)
            .ok_or_else(|| {
                ApiError::BadRequest(format!(
                    "address \"{address}\" was not found in the Raft configuration"
                ))
            })?,
        (None, Some(id)) => id
            .parse::<u64>()
            .ok()
            .filter(|n| servers.iter().any(|(s, _, _)| s == n))
            .ok_or_else(|| {
                ApiError::BadRequest(format!(
                    "id \"{id}\" was not found in the Raft configuration"
                ))
            })?,
    };
    if id == 0 {
        return Err(ApiError::BadRequest(
            "a single in-memory server (-dev) has no Raft peers to remove".into(),
        ));
    }
    state.region.remove_raft_peer(id).await?;
    Ok(().into_response())
}
