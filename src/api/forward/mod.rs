//! Region forwarding for the HTTP API: a request for another region (`?region=west`, or a job register or
//! plan whose job says `Region = "west"`) is sent over the mesh to an alive server of that region, which
//! replays it into its own router and sends the reply back ([`send`] and [`serve`], messages in [`wire`]).
//!
//! ```text
//!   HTTP request -> [route] target region?
//!        local / already forwarded -> handlers
//!        other  -> send::forward -> mesh request -> serve::install's handler -> its router -> reply
//!        none alive in it -> 500 "No path to region"
//! ```
//!
//! A replayed request carries `X-Nomad-Region-Forwarded`; it is never forwarded to another region again (a
//! server that gets one for a region it does not serve answers "No path to region" instead of passing it
//! on), so a misconfigured peer cannot make requests loop. Client requests for an allocation another
//! server of the region runs are relayed to it ([`relay`]). An `alloc exec` websocket cannot be replayed
//! as a request and a reply: it travels on a mesh stream instead ([`exec_stream`] here, [`exec_serve`]
//! there).

pub mod exec_serve;
pub mod exec_stream;
pub mod relay;
pub mod send;
pub mod serve;
pub mod wire;

use std::collections::HashMap;
use std::time::Duration;

use axum::body::Body;
use axum::extract::{Query, Request, State};
use axum::http::{HeaderName, Method, Uri, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use nomad_gossip::codec::Blob;
use serde::Deserialize;

use super::ApiState;
use super::error::ApiError;
use super::query::MAX_BLOCKING_WAIT;

pub use serve::install;

/// Marks a request replayed by a server of this region on behalf of another region's server. Not
/// `X-Nomad-Forwarded`, which marks a follower's request carried to its leader: a forwarded write that
/// reaches a follower must still go on to the leader.
pub const FORWARDED_HEADER: &str = "x-nomad-region-forwarded";
/// Largest request or reply body forwarded (jobs are small; logs stream in chunks).
pub const MAX_BODY: usize = 32 << 20;

/// Headers that belong to one HTTP connection, not to the request.
pub fn hop_by_hop(name: &HeaderName) -> bool {
    name == header::HOST
        || name == header::CONTENT_LENGTH
        || name == header::TRANSFER_ENCODING
        || name == header::CONNECTION
        || name == header::UPGRADE
}

/// The middleware in front of every route.
pub async fn route(State(state): State<ApiState>, req: Request, next: Next) -> Response {
    if req.headers().contains_key(FORWARDED_HEADER) {
        return relay::to_node_or_local(&state, req, next).await;
    }
    let params = Query::<HashMap<String, String>>::try_from_uri(req.uri())
        .map(|Query(p)| p)
        .unwrap_or_default();
    let (req, job_region) = if is_job_write(req.method(), req.uri().path()) {
        match peek_job_region(req).await {
            Ok(found) => found,
            Err(e) => return e.into_response(),
        }
    } else {
        (req, None)
    };
    // A job's own region wins over `?region`, as in Nomad.
    let target = job_region
        .or_else(|| params.get("region").cloned())
        .filter(|r| !r.is_empty() && *r != state.agent.region);
    let Some(region) = target else {
        return relay::to_node_or_local(&state, req, next).await;
    };
    if exec_stream::is_exec(req.uri().path()) {
        return exec_stream::forward(&state, &region, req).await;
    }
    match forward(&state, &region, &params, req).await {
        Ok(resp) => resp,
        Err(e) => e.into_response(),
    }
}

async fn forward(
    state: &ApiState,
    region: &str,
    params: &HashMap<String, String>,
    req: Request,
) -> Result<Response, ApiError> {
    let Some(mesh) = &state.mesh else {
        return Err(ApiError::NoPathToRegion);
    };
    let deadline = match params.get("index").and_then(|i| i.parse::<u64>().ok()) {
        Some(index) if index > 0 => send::Deadline::blocking(blocking_wait(params)),
        _ => send::Deadline::ordinary(),
    };
    let uri = with_region(req.uri(), region);
    let call = call_of(mesh, req, uri).await?;
    send::forward(mesh, region, call, deadline).await
}

/// `req` as a call for another server, to `uri` (path and query).
async fn call_of(
    mesh: &nomad_gossip::MeshHandle,
    req: Request,
    uri: String,
) -> Result<wire::Call, ApiError> {
    let path = req.uri().path();
    let stream = path.starts_with("/v1/client/fs/") || path == "/v1/event/stream";
    let method = req.method().to_string();
    let headers = req
        .headers()
        .iter()
        .filter(|(n, _)| !hop_by_hop(n))
        .map(|(n, v)| (n.as_str().to_owned(), Blob(v.as_bytes().to_vec())))
        .collect();
    let body = axum::body::to_bytes(req.into_body(), MAX_BODY)
        .await
        .map_err(|e| ApiError::BadRequest(format!("Failed to read the request body: {e}")))?;
    Ok(wire::Call {
        method,
        uri,
        headers,
        body: Blob(body.to_vec()),
        stream,
        origin: mesh.local_name().to_owned(),
    })
}

/// `?wait` of a blocking query (Nomad's default and cap: 5 minutes).
fn blocking_wait(params: &HashMap<String, String>) -> Duration {
    params
        .get("wait")
        .and_then(|w| nomad_region::duration::parse_duration(w).ok())
        .map(|n| Duration::from_nanos(u64::try_from(n).unwrap_or(0)))
        .unwrap_or(MAX_BLOCKING_WAIT)
        .min(MAX_BLOCKING_WAIT)
}

/// Path and query of `uri` with `region` set to `region` (a job's region may differ from `?region`).
fn with_region(uri: &Uri, region: &str) -> String {
    let mut parts: Vec<String> = uri
        .query()
        .unwrap_or("")
        .split('&')
        .filter(|p| !p.is_empty() && p.split('=').next() != Some("region"))
        .map(str::to_owned)
        .collect();
    parts.push(format!("region={}", encode_component(region)));
    format!("{}?{}", uri.path(), parts.join("&"))
}

fn encode_component(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// `PUT`/`POST /v1/jobs`, `/v1/job/{id}` and `/v1/job/{id}/plan` carry a job whose region routes them.
fn is_job_write(method: &Method, path: &str) -> bool {
    if method != Method::PUT && method != Method::POST {
        return false;
    }
    if path == "/v1/jobs" {
        return true;
    }
    match path.strip_prefix("/v1/job/") {
        Some(rest) => !rest.is_empty() && (!rest.contains('/') || rest.ends_with("/plan")),
        None => false,
    }
}

#[derive(Deserialize)]
struct PeekBody {
    #[serde(rename = "Job")]
    job: Option<PeekJob>,
}

#[derive(Deserialize)]
struct PeekJob {
    #[serde(rename = "Region", default)]
    region: Option<String>,
}

/// Reads the body to find `Job.Region`, and puts the body back.
async fn peek_job_region(req: Request) -> Result<(Request, Option<String>), ApiError> {
    let (parts, body) = req.into_parts();
    let bytes = axum::body::to_bytes(body, MAX_BODY)
        .await
        .map_err(|e| ApiError::BadRequest(format!("Failed to read the request body: {e}")))?;
    // A body that is not a job is the handler's to refuse.
    let region = serde_json::from_slice::<PeekBody>(&bytes)
        .ok()
        .and_then(|b| b.job)
        .and_then(|j| j.region);
    Ok((Request::from_parts(parts, Body::from(bytes)), region))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn region_is_replaced_in_the_query() {
        let uri: Uri = "/v1/jobs?region=east&prefix=a&index=3".parse().unwrap();
        assert_eq!(
            with_region(&uri, "west"),
            "/v1/jobs?prefix=a&index=3&region=west"
        );
        let bare: Uri = "/v1/regions".parse().unwrap();
        assert_eq!(with_region(&bare, "a b"), "/v1/regions?region=a%20b");
        let look_alike: Uri = "/v1/jobs?regions=x".parse().unwrap();
        assert_eq!(with_region(&look_alike, "w"), "/v1/jobs?regions=x&region=w");
    }

    #[test]
    fn job_writes_are_recognised() {
        assert!(is_job_write(&Method::PUT, "/v1/jobs"));
        assert!(is_job_write(&Method::POST, "/v1/job/web"));
        assert!(is_job_write(&Method::PUT, "/v1/job/web/plan"));
        assert!(!is_job_write(&Method::GET, "/v1/jobs"));
        assert!(!is_job_write(&Method::PUT, "/v1/job/web/evaluate"));
        assert!(!is_job_write(&Method::PUT, "/v1/jobs/parse"));
    }

    #[test]
    fn blocking_wait_is_capped() {
        let p = |w: &str| HashMap::from([("wait".to_owned(), w.to_owned())]);
        assert_eq!(blocking_wait(&p("2s")), Duration::from_secs(2));
        assert_eq!(blocking_wait(&p("1h")), MAX_BLOCKING_WAIT);
        assert_eq!(blocking_wait(&HashMap::new()), MAX_BLOCKING_WAIT);
    }
}

#[cfg(test)]
mod agents_tests;
