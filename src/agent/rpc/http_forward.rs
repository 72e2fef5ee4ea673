//! The HTTP API of a client-only agent: it has no state of its own, so `/v1/agent/self` and
//! `/v1/agent/health` are answered from the agent itself, the client endpoints by its own client (or, for
//! an allocation of another node, by that node: [`crate::api::node_forward`]), and every other request is
//! carried to a server over RPC ([`Request::Http`]), which runs it through its own `/v1` router and sends
//! the response back. A carried response is buffered whole; the client endpoints, which stream, are never
//! carried.

use std::sync::Arc;

use axum::Router;
use axum::body::Body;
use axum::extract::{Request as HttpRequest, State};
use axum::http::{HeaderName, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde_json::json;
use tower::ServiceExt;

use super::remote::RemoteRpc;
use super::wire::{HttpCall, HttpReply};
use crate::api::AgentInfo;
use crate::api::client_state::{ClientApi, Lookup};
use crate::api::node_forward::client_routes;
use crate::client::ClientHandle;

/// Largest request body carried to a server.
const MAX_BODY: usize = 32 << 20;

#[derive(Clone)]
struct Fwd {
    rpc: Arc<RemoteRpc>,
    client: ClientHandle,
    agent: Arc<AgentInfo>,
}

/// The router of a client-only agent.
pub fn client_router(rpc: Arc<RemoteRpc>, client: ClientHandle, agent: Arc<AgentInfo>) -> Router {
    let api = ClientApi {
        client: Some(client.clone()),
        lookup: Lookup::Remote(rpc.clone()),
        region: agent.region.clone(),
    };
    Router::new()
        .route("/v1/agent/self", get(agent_self))
        .route("/v1/agent/health", get(health))
        .fallback(forward)
        .with_state(Fwd { rpc, client, agent })
        .merge(client_routes(api))
}

async fn agent_self(State(f): State<Fwd>) -> Response {
    axum::Json(json!({
        "config": f.agent.config,
        "member": null,
        "stats": {
            "nomad": {"server": "false"},
            "client": {"node_id": f.client.node_id()},
        },
    }))
    .into_response()
}

async fn health(State(f): State<Fwd>) -> Response {
    // A client is healthy when a server answers for it.
    let probe = HttpCall {
        method: "GET".into(),
        uri: "/v1/status/leader".into(),
        headers: Vec::new(),
        body: Vec::new(),
    };
    let (ok, message) = match f.rpc.http(probe).await {
        Ok(r) if r.status == 200 => (true, "ok".to_string()),
        Ok(r) => (false, String::from_utf8_lossy(&r.body).into_owned()),
        Err(e) => (false, e.to_string()),
    };
    let status = if ok {
        StatusCode::OK
    } else {
        StatusCode::INTERNAL_SERVER_ERROR
    };
    (
        status,
        axum::Json(json!({"client": {"ok": ok, "message": message}})),
    )
        .into_response()
}

async fn forward(State(f): State<Fwd>, req: HttpRequest) -> Response {
    carry(&f.rpc, req).await
}

/// Carries `req` to a server over RPC and answers with its (buffered) response.
pub async fn carry(rpc: &RemoteRpc, req: HttpRequest) -> Response {
    let call = match to_call(req).await {
        Ok(c) => c,
        Err(resp) => return resp,
    };
    match rpc.http(call).await {
        Ok(reply) => to_response(reply),
        Err(e) => (
            StatusCode::INTERNAL_SERVER_ERROR,
            format!("No path to region: {e}"),
        )
            .into_response(),
    }
}

/// Buffers an incoming request for carrying.
pub(super) async fn to_call(req: HttpRequest) -> Result<HttpCall, Response> {
    let (parts, body) = req.into_parts();
    let body = match axum::body::to_bytes(body, MAX_BODY).await {
        Ok(b) => b.to_vec(),
        Err(e) => return Err((StatusCode::BAD_REQUEST, e.to_string()).into_response()),
    };
    Ok(HttpCall {
        method: parts.method.to_string(),
        uri: parts
            .uri
            .path_and_query()
            .map(|p| p.to_string())
            .unwrap_or_else(|| "/".into()),
        headers: parts
            .headers
            .iter()
            .filter_map(|(k, v)| Some((k.to_string(), v.to_str().ok()?.to_string())))
            .collect(),
        body,
    })
}

/// The response a carried request got.
pub(super) fn to_response(reply: HttpReply) -> Response {
    let mut resp = Response::new(Body::from(reply.body));
    *resp.status_mut() = StatusCode::from_u16(reply.status).unwrap_or(StatusCode::BAD_GATEWAY);
    for (k, v) in reply.headers {
        if let (Ok(k), Ok(v)) = (HeaderName::try_from(k), HeaderValue::try_from(v)) {
            resp.headers_mut().append(k, v);
        }
    }
    resp
}

/// The server side: runs a carried request through `router` and buffers the response.
pub async fn serve(router: Router, call: HttpCall) -> HttpReply {
    let mut builder = axum::http::Request::builder()
        .method(call.method.as_str())
        .uri(call.uri.as_str());
    for (k, v) in &call.headers {
        builder = builder.header(k.as_str(), v.as_str());
    }
    let req = match builder.body(Body::from(call.body)) {
        Ok(r) => r,
        Err(e) => return error_reply(400, e.to_string()),
    };
    let resp = match router.oneshot(req).await {
        Ok(r) => r,
        Err(never) => match never {},
    };
    let status = resp.status().as_u16();
    let headers = resp
        .headers()
        .iter()
        .filter_map(|(k, v)| Some((k.to_string(), v.to_str().ok()?.to_string())))
        .collect();
    match axum::body::to_bytes(resp.into_body(), MAX_BODY).await {
        Ok(body) => HttpReply {
            status,
            headers,
            body: body.to_vec(),
        },
        Err(e) => error_reply(500, e.to_string()),
    }
}

fn error_reply(status: u16, message: String) -> HttpReply {
    HttpReply {
        status,
        headers: Vec::new(),
        body: message.into_bytes(),
    }
}
