//! Forwarding on a follower server's HTTP API: writes and consistent reads are carried to the leader over
//! RPC (the leader runs them through its own router); `?stale` reads are answered from this server's state
//! with `X-Nomad-KnownLeader` and `X-Nomad-LastContact` saying how current it is. Agent-local endpoints
//! (`/v1/agent`, `/v1/client`, `/v1/status`, `/v1/operator/raft`, `/v1/regions`) are always answered here.

use std::net::SocketAddr;
use std::time::Duration;

use axum::extract::{Request, State};
use axum::http::StatusCode;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use nomad_region::server::RegionHandle;

use super::endpoint::RpcEndpoint;
use super::http_forward::{to_call, to_response};
use super::wire::{Envelope, Reply, Request as RpcRequest};

/// Marks a request already forwarded once, so that a leadership change cannot bounce it forever.
const FORWARDED: &str = "x-nomad-forwarded";
/// Blocking queries ride on forwarded reads: allow for Nomad's longest wait.
const FORWARD_TIMEOUT: Duration = Duration::from_secs(620);

/// What the middleware needs.
#[derive(Clone)]
pub struct LeaderForward {
    pub region: RegionHandle,
    pub endpoint: RpcEndpoint,
}

fn answered_here(path: &str) -> bool {
    !path.starts_with("/v1/")
        || [
            "/v1/agent/",
            "/v1/client/",
            "/v1/status/",
            "/v1/operator/raft/",
        ]
        .iter()
        .any(|p| path.starts_with(p))
        || path == "/v1/regions"
}

fn is_stale(req: &Request) -> bool {
    req.uri().query().is_some_and(|q| {
        q.split('&')
            .any(|kv| kv == "stale" || kv.starts_with("stale="))
    })
}

/// The middleware (`axum::middleware::from_fn_with_state`).
pub async fn forward_to_leader(
    State(f): State<LeaderForward>,
    req: Request,
    next: Next,
) -> Response {
    if f.region.is_leader()
        || answered_here(req.uri().path())
        || req.headers().contains_key(FORWARDED)
        || is_stale(&req)
    {
        return next.run(req).await;
    }
    let Some(leader) = f
        .region
        .leader_addr()
        .and_then(|a| a.parse::<SocketAddr>().ok())
    else {
        return (StatusCode::INTERNAL_SERVER_ERROR, "No cluster leader").into_response();
    };
    let mut call = match to_call(req).await {
        Ok(c) => c,
        Err(resp) => return resp,
    };
    call.headers.push((FORWARDED.into(), "1".into()));
    let envelope = Envelope {
        region: f.region.config().region.clone(),
        request: RpcRequest::Http(call),
    };
    match f.endpoint.call(leader, &envelope, FORWARD_TIMEOUT).await {
        Ok(Reply::Http(reply)) => to_response(reply),
        Ok(other) => (
            StatusCode::INTERNAL_SERVER_ERROR,
            format!("unexpected reply from the leader: {other:?}"),
        )
            .into_response(),
        Err(e) => (
            StatusCode::INTERNAL_SERVER_ERROR,
            format!("forwarding to the leader: {e}"),
        )
            .into_response(),
    }
}
