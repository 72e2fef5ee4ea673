//! Client endpoints answered by the node that runs the allocation, as in Nomad: a request for
//! `/v1/client/fs/{op}/{alloc}` or `/v1/client/allocation/{id}/{op}` that reaches an agent whose client does
//! not run that allocation (a server, or another client) is proxied over HTTP to the `HTTPAddr` the node
//! registered. The proxy streams both ways: log follows and file reads flow as they are produced, and an
//! `exec` websocket upgrade is passed through to the node's connection.
//!
//! ```text
//!   request -> [route] other region?  -> next (region forwarding takes it there, where this runs again);
//!                                        on a client-only agent, a server's HTTP address (which does)
//!                      alloc is ours? -> next (the handlers answer)
//!                      otherwise      -> node's HTTPAddr (marked X-Nomad-Node-Forwarded, never proxied again)
//!                      node down / unreachable -> 500 "node <id> is down" / "no path to node <id>: ..."
//! ```

use std::collections::HashMap;
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::extract::{Query, Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, put};
use hyper_util::rt::TokioIo;
use nomad_region::structs::NODE_STATUS_DOWN;
use tokio::net::TcpStream;

use super::client_state::{ClientApi, Lookup};
use super::error::ApiError;
use super::{alloc_exec, alloc_ops, allocs, client_files, client_fs};

/// Marks a request proxied to a node once; it is answered there, never proxied again.
pub const NODE_FORWARDED: &str = "x-nomad-node-forwarded";
/// How long connecting to a node may take before it counts as unreachable.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(3);
/// How long a node may take to start answering (client endpoints answer at once; bodies then stream).
const HEADERS_TIMEOUT: Duration = Duration::from_secs(60);

/// The client endpoints of a client-only agent, served by its own client (the region lookups go to a
/// server over RPC), behind [`route`].
pub fn client_routes(api: ClientApi) -> Router {
    Router::new()
        .route("/v1/client/fs/logs/{alloc}", get(client_fs::logs))
        .route("/v1/client/fs/ls/{alloc}", get(client_files::ls))
        .route("/v1/client/fs/stat/{alloc}", get(client_files::stat))
        .route("/v1/client/fs/cat/{alloc}", get(client_files::cat))
        .route("/v1/client/fs/readat/{alloc}", get(client_files::readat))
        .route("/v1/client/allocation/{id}/stats", get(allocs::stats))
        .route(
            "/v1/client/allocation/{id}/signal",
            put(alloc_ops::signal).post(alloc_ops::signal),
        )
        .route(
            "/v1/client/allocation/{id}/restart",
            put(alloc_ops::restart).post(alloc_ops::restart),
        )
        .route("/v1/client/allocation/{id}/exec", get(alloc_exec::exec))
        .route("/v1/client/stats", get(alloc_ops::host_stats))
        .layer(axum::middleware::from_fn_with_state(api.clone(), route))
        .with_state(api)
}

/// The allocation ID (or prefix) an allocation-scoped client path names.
pub fn alloc_of(path: &str) -> Option<&str> {
    if let Some(rest) = path.strip_prefix("/v1/client/fs/") {
        let (op, id) = rest.split_once('/')?;
        let known = matches!(op, "ls" | "cat" | "stat" | "readat" | "logs");
        return (known && !id.is_empty() && !id.contains('/')).then_some(id);
    }
    let (id, op) = path
        .strip_prefix("/v1/client/allocation/")?
        .split_once('/')?;
    let known = matches!(op, "stats" | "signal" | "restart" | "exec");
    (known && !id.is_empty()).then_some(id)
}

/// `?region=` when it names a region other than `own`.
fn other_region(req: &Request, own: &str) -> Option<String> {
    Query::<HashMap<String, String>>::try_from_uri(req.uri())
        .ok()
        .and_then(|Query(p)| p.get("region").cloned())
        .filter(|r| !r.is_empty() && r != own)
}

/// The middleware in front of the client endpoints (`axum::middleware::from_fn_with_state`).
pub async fn route(State(api): State<ClientApi>, req: Request, next: Next) -> Response {
    let Some(id) = alloc_of(req.uri().path()).map(str::to_owned) else {
        return next.run(req).await;
    };
    if other_region(&req, &api.region).is_some() {
        return match &api.lookup {
            // A server: region forwarding, further in, takes it to that region.
            Lookup::Region(_) => next.run(req).await,
            // A client-only agent has no mesh: a server of its region takes it on, over HTTP
            // (an RPC call is buffered whole: a log follow or an exec websocket cannot ride it).
            Lookup::Remote(rpc) => via_server(rpc, req).await,
        };
    }
    if req.headers().contains_key(NODE_FORWARDED) {
        return next.run(req).await;
    }
    let alloc = match api.lookup.alloc(&id).await {
        Ok(a) => a,
        Err(e) => return e.into_response(),
    };
    if api
        .client
        .as_ref()
        .is_some_and(|c| c.node_id() == alloc.node_id)
    {
        return next.run(req).await;
    }
    match to_node(&api.lookup, &alloc.node_id, req).await {
        Ok(resp) => resp,
        Err(e) => e.into_response(),
    }
}

/// Proxies `req` (for another region) to the HTTP address a server of this client's region advertises
/// (its `/v1/agent/self`, asked over RPC); that server's region forwarding carries it on.
async fn via_server(rpc: &crate::agent::rpc::remote::RemoteRpc, req: Request) -> Response {
    let addr = match server_http_addr(rpc).await {
        Ok(a) => a,
        Err(e) => return ApiError::Internal(format!("No path to region: {e}")).into_response(),
    };
    tracing::debug!(server = %addr, uri = %req.uri(), "proxying client request for another region to a server");
    match proxy(&addr, req, false).await {
        Ok(resp) => resp,
        Err(e) => {
            ApiError::Internal(format!("No path to region: server at {addr}: {e}")).into_response()
        }
    }
}

/// `config.AdvertiseAddrs.HTTP` of the server the client's RPC reaches.
async fn server_http_addr(rpc: &crate::agent::rpc::remote::RemoteRpc) -> Result<String, String> {
    let call = crate::agent::rpc::wire::HttpCall {
        method: "GET".into(),
        uri: "/v1/agent/self".into(),
        headers: Vec::new(),
        body: Vec::new(),
    };
    let reply = rpc.http(call).await.map_err(|e| e.to_string())?;
    if reply.status != 200 {
        return Err(format!(
            "the server answered {} to /v1/agent/self",
            reply.status
        ));
    }
    let v: serde_json::Value = serde_json::from_slice(&reply.body).map_err(|e| e.to_string())?;
    v["config"]["AdvertiseAddrs"]["HTTP"]
        .as_str()
        .filter(|a| !a.is_empty())
        .map(str::to_owned)
        .ok_or_else(|| "the server advertises no HTTP address".to_string())
}

/// Proxies `req` to the agent of node `node_id`.
async fn to_node(lookup: &Lookup, node_id: &str, req: Request) -> Result<Response, ApiError> {
    let node = lookup.node(node_id).await?;
    if node.status == NODE_STATUS_DOWN {
        return Err(ApiError::Internal(format!("node {node_id} is down")));
    }
    if node.http_addr.is_empty() {
        return Err(ApiError::Internal(format!(
            "no path to node {node_id}: it registered no HTTP address"
        )));
    }
    tracing::debug!(node = %node_id, addr = %node.http_addr, uri = %req.uri(), "proxying client request to its node");
    proxy(&node.http_addr, req, true).await.map_err(|e| {
        ApiError::Internal(format!(
            "no path to node {node_id} at {}: {e}",
            node.http_addr
        ))
    })
}

/// Headers that belong to one connection (an upgrade keeps `Connection` and `Upgrade`).
fn hop_by_hop(name: &header::HeaderName) -> bool {
    name == header::CONNECTION
        || name == header::TRANSFER_ENCODING
        || name == header::UPGRADE
        || name.as_str() == "keep-alive"
}

/// Sends `req` to `addr` on a fresh connection and returns its response with a streaming body; a `101`
/// joins the caller's upgraded connection to the node's. `to_node`: marked as proxied to its node
/// (answered there, never proxied again); a request sent to a server for another region is not, since
/// that region's server may still have to pass it on to the node.
pub async fn proxy(addr: &str, mut req: Request, to_node: bool) -> Result<Response, String> {
    let downstream = req.extensions_mut().remove::<hyper::upgrade::OnUpgrade>();
    let upgrade = req.headers().contains_key(header::UPGRADE);
    let stream = tokio::time::timeout(CONNECT_TIMEOUT, TcpStream::connect(addr))
        .await
        .map_err(|_| "connect timed out".to_string())?
        .map_err(|e| e.to_string())?;
    let (mut sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
        .await
        .map_err(|e| e.to_string())?;
    tokio::spawn(async move {
        if let Err(e) = conn.with_upgrades().await {
            tracing::debug!(error = %e, "proxied node connection ended");
        }
    });
    let (parts, body) = req.into_parts();
    let path = parts
        .uri
        .path_and_query()
        .map_or("/", |p| p.as_str())
        .to_string();
    let mut out = hyper::Request::new(body);
    *out.method_mut() = parts.method;
    *out.uri_mut() = path.parse().map_err(|e| format!("invalid uri: {e}"))?;
    for (name, value) in &parts.headers {
        if name != header::HOST && (upgrade || !hop_by_hop(name)) {
            out.headers_mut().append(name, value.clone());
        }
    }
    let host = HeaderValue::from_str(addr).map_err(|e| e.to_string())?;
    out.headers_mut().insert(header::HOST, host);
    if to_node {
        out.headers_mut()
            .insert(NODE_FORWARDED, HeaderValue::from_static("1"));
    } else {
        out.headers_mut().remove(NODE_FORWARDED);
    }
    let mut resp = tokio::time::timeout(HEADERS_TIMEOUT, sender.send_request(out))
        .await
        .map_err(|_| "the node did not answer in time".to_string())?
        .map_err(|e| e.to_string())?;
    if resp.status() == StatusCode::SWITCHING_PROTOCOLS {
        let upstream = hyper::upgrade::on(&mut resp);
        let downstream = downstream.ok_or("the caller's connection cannot be upgraded")?;
        tokio::spawn(async move {
            match (upstream.await, downstream.await) {
                (Ok(up), Ok(down)) => {
                    let (mut up, mut down) = (TokioIo::new(up), TokioIo::new(down));
                    let _ = tokio::io::copy_bidirectional(&mut up, &mut down).await;
                }
                (up, down) => {
                    tracing::debug!(up = ?up.err(), down = ?down.err(), "proxied upgrade failed")
                }
            }
        });
        let (parts, _) = resp.into_parts();
        return Ok(Response::from_parts(parts, Body::empty()));
    }
    let (mut parts, body) = resp.into_parts();
    for name in [
        header::CONNECTION,
        header::TRANSFER_ENCODING,
        header::UPGRADE,
    ] {
        parts.headers.remove(name);
    }
    parts.headers.remove("keep-alive");
    Ok(Response::from_parts(parts, Body::new(body)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn alloc_scoped_paths_name_their_allocation() {
        assert_eq!(alloc_of("/v1/client/fs/logs/abc"), Some("abc"));
        assert_eq!(alloc_of("/v1/client/fs/readat/abc"), Some("abc"));
        assert_eq!(alloc_of("/v1/client/allocation/abc/exec"), Some("abc"));
        assert_eq!(alloc_of("/v1/client/allocation/abc/stats"), Some("abc"));
        for other in [
            "/v1/client/stats",
            "/v1/client/fs/logs/",
            "/v1/client/fs/nope/abc",
            "/v1/client/allocation/abc",
            "/v1/client/allocation//stats",
            "/v1/allocation/abc",
        ] {
            assert_eq!(alloc_of(other), None, "{other}");
        }
    }

    #[tokio::test]
    async fn an_unreachable_node_fails_at_once() {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        let addr = listener.local_addr().expect("addr").to_string();
        drop(listener);
        let req = Request::builder()
            .uri("/v1/client/fs/logs/abc?follow=true")
            .body(Body::empty())
            .expect("request");
        let begun = std::time::Instant::now();
        let err = proxy(&addr, req, true).await.err().unwrap_or_default();
        assert!(err.contains("refused"), "{err}");
        assert!(begun.elapsed() < CONNECT_TIMEOUT);
    }
}
