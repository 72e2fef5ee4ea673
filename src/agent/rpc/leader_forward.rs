//! Forwarding on a follower server's HTTP API: writes and consistent reads are carried to the leader over
//! RPC (the leader runs them through its own router); `?stale` reads are answered from this server's state
//! with `X-Nomad-KnownLeader` and `X-Nomad-LastContact` saying how current it is. While there is no
//! leader, or the one called dies (Raft names another, or the call fails), the request waits and is sent
//! again, for up to Nomad's RPC hold timeout. Agent-local endpoints
//! (`/v1/agent`, `/v1/client`, `/v1/status`, `/v1/operator/raft/configuration`, `/v1/regions`) are always answered here.

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
/// How long a request waits for a leader (none known, or the one called failed) before it fails, as
/// Nomad's `rpc_hold_timeout`.
const HOLD_TIMEOUT: Duration = Duration::from_secs(5);
/// How often the leader is looked up again while waiting or while a call is in flight.
const LEADER_POLL: Duration = Duration::from_millis(25);

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
            "/v1/operator/raft/configuration",
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
    let mut call = match to_call(req).await {
        Ok(c) => c,
        Err(resp) => return resp,
    };
    call.headers.push((FORWARDED.into(), "1".into()));
    let envelope = Envelope {
        region: f.region.config().region.clone(),
        request: RpcRequest::Http(call),
    };
    let hold_until = tokio::time::Instant::now() + HOLD_TIMEOUT;
    let mut last_error = None;
    loop {
        // This server (once it leads) takes the call through its own RPC port like any other.
        let Some(leader) = current_leader(&f) else {
            if tokio::time::Instant::now() >= hold_until {
                return match last_error {
                    Some(e) => (
                        StatusCode::INTERNAL_SERVER_ERROR,
                        format!("forwarding to the leader: {e}"),
                    )
                        .into_response(),
                    None => {
                        (StatusCode::INTERNAL_SERVER_ERROR, "No cluster leader").into_response()
                    }
                };
            }
            tokio::time::sleep(LEADER_POLL).await;
            continue;
        };
        let call = f.endpoint.call(leader, &envelope, FORWARD_TIMEOUT);
        tokio::pin!(call);
        // A leader that died mid-call never answers: give up on it as soon as Raft names another.
        let outcome = loop {
            tokio::select! {
                r = &mut call => break Some(r),
                () = tokio::time::sleep(LEADER_POLL) => {
                    if current_leader(&f).is_some_and(|now| now != leader) {
                        break None;
                    }
                }
            }
        };
        match outcome {
            Some(Ok(Reply::Http(reply))) => return to_response(reply),
            Some(Ok(other)) => {
                return (
                    StatusCode::INTERNAL_SERVER_ERROR,
                    format!("unexpected reply from the leader: {other:?}"),
                )
                    .into_response();
            }
            Some(Err(e)) if tokio::time::Instant::now() < hold_until => {
                tracing::debug!(%leader, error = %e, "forwarding to the leader failed; retrying");
                last_error = Some(e);
                tokio::time::sleep(LEADER_POLL).await;
            }
            Some(Err(e)) => {
                return (
                    StatusCode::INTERNAL_SERVER_ERROR,
                    format!("forwarding to the leader: {e}"),
                )
                    .into_response();
            }
            None => tracing::debug!(%leader, "leader changed while forwarding; retrying"),
        }
    }
}

/// The leader's RPC address as this server's Raft member knows it now.
fn current_leader(f: &LeaderForward) -> Option<SocketAddr> {
    f.region.leader_addr().and_then(|a| a.parse().ok())
}
