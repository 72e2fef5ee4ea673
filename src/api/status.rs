//! `/v1/status/leader`, `/v1/status/peers` (the region's Raft leader and voters as this server knows
//! them) and `/v1/regions` (from the mesh's members).

use axum::extract::State;
use axum::response::Response;

use super::ApiState;
use super::error::{ApiError, Result};
use super::query::{QueryOptions, reply};

fn index(state: &ApiState) -> u64 {
    state.region.snapshot().latest_index().max(1)
}

/// `GET /v1/status/leader`: the leader's RPC address as a JSON string.
pub async fn leader(State(state): State<ApiState>, q: QueryOptions) -> Result<Response> {
    let addr = state
        .region
        .leader_addr()
        .ok_or_else(|| ApiError::Internal("No cluster leader".into()))?;
    reply(&state, &q, index(&state), &addr)
}

/// `GET /v1/status/peers`: the RPC addresses of the region's Raft peers.
pub async fn peers(State(state): State<ApiState>, q: QueryOptions) -> Result<Response> {
    let peers: Vec<String> = state.region.peers();
    reply(&state, &q, index(&state), &peers)
}

/// `GET /v1/regions`: every known region, sorted.
pub async fn regions(State(state): State<ApiState>, q: QueryOptions) -> Result<Response> {
    // The mesh knows every region with a live or departed server; an agent outside it knows its own.
    let regions = state
        .mesh
        .as_ref()
        .map(|m| m.regions())
        .filter(|r| !r.is_empty())
        .unwrap_or_else(|| vec![state.agent.region.clone()]);
    reply(&state, &q, index(&state), &regions)
}
