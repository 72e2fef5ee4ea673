//! `GET /v1/operator/raft/configuration`: the region's Raft members as this server knows them, in
//! Nomad's shape.

use axum::extract::State;
use axum::response::Response;
use serde::Serialize;

use super::ApiState;
use super::error::Result;
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
