//! The state of the client endpoints (`/v1/client/...`): this agent's client, if it runs one, and where
//! allocations and nodes are looked up: the region's own state on a server agent, a server over RPC on a
//! client-only agent (which has no state of its own). The same handlers serve both kinds of agent.

use std::sync::Arc;

use axum::extract::{FromRef, FromRequestParts, Query};
use axum::http::request::Parts;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use nomad_region::server::RegionHandle;
use nomad_region::structs::{Allocation, Node, TASK_STATE_DEAD};
use serde::Serialize;
use serde::de::DeserializeOwned;

use super::ApiState;
use super::allocs::find;
use super::error::{ApiError, Result};
use super::query::QueryOptions;
use crate::agent::rpc::RemoteRpc;
use crate::agent::rpc::wire::HttpCall;
use crate::client::ClientHandle;

/// Where allocations and nodes come from.
#[derive(Clone)]
pub enum Lookup {
    /// This server agent's region state.
    Region(RegionHandle),
    /// A server, asked over RPC (client-only agents).
    Remote(Arc<RemoteRpc>),
}

/// Shared by the client endpoints; cheap to clone.
#[derive(Clone)]
pub struct ClientApi {
    pub client: Option<ClientHandle>,
    pub lookup: Lookup,
    /// This agent's region (the default of `?region`).
    pub region: String,
}

impl FromRef<ApiState> for ClientApi {
    fn from_ref(s: &ApiState) -> Self {
        ClientApi {
            client: s.client.clone(),
            lookup: Lookup::Region(s.region.clone()),
            region: s.agent.region.clone(),
        }
    }
}

impl FromRequestParts<ClientApi> for QueryOptions {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &ClientApi) -> Result<Self> {
        let Query(params) =
            Query::<std::collections::HashMap<String, String>>::from_request_parts(parts, state)
                .await
                .map_err(|e| ApiError::BadRequest(e.body_text()))?;
        QueryOptions::parse(params, &state.region)
    }
}

impl ClientApi {
    /// The allocation with this ID (or unique prefix) and this agent's client, when it runs it.
    pub async fn local(&self, id: &str) -> Result<(Arc<Allocation>, ClientHandle)> {
        let alloc = self.lookup.alloc(id).await?;
        let client = self.local_client(&alloc)?;
        Ok((alloc, client))
    }

    /// This agent's client, if it is the node running `alloc`.
    pub fn local_client(&self, alloc: &Allocation) -> Result<ClientHandle> {
        let client = self
            .client
            .as_ref()
            .ok_or_else(|| ApiError::BadRequest("Client is not enabled on this agent".into()))?;
        if client.node_id() != alloc.node_id {
            // Only reached when forwarding to the node was not possible (see `node_forward`).
            return Err(ApiError::BadRequest(format!(
                "Allocation {:?} runs on node {:?}, not on this agent",
                alloc.id, alloc.node_id
            )));
        }
        Ok(client.clone())
    }
}

impl Lookup {
    /// The allocation with this ID or unique ID prefix.
    pub async fn alloc(&self, id: &str) -> Result<Arc<Allocation>> {
        match self {
            Lookup::Region(r) => find(&r.snapshot(), id),
            Lookup::Remote(rpc) => Ok(Arc::new(
                remote_get(rpc, &format!("/v1/allocation/{}", encode(id))).await?,
            )),
        }
    }

    /// The node with this ID.
    pub async fn node(&self, id: &str) -> Result<Node> {
        match self {
            Lookup::Region(r) => r
                .snapshot()
                .node_by_id(id)
                .map(|n| (*n).clone())
                .ok_or_else(|| ApiError::NotFound(format!("node {id} not found"))),
            Lookup::Remote(rpc) => remote_get(rpc, &format!("/v1/node/{}", encode(id))).await,
        }
    }

    /// Whether `task` of the allocation is dead for good (or the allocation is gone).
    pub async fn task_dead(&self, alloc_id: &str, task: &str) -> bool {
        let alloc = match self {
            Lookup::Region(r) => r.snapshot().alloc_by_id(alloc_id),
            Lookup::Remote(_) => match self.alloc(alloc_id).await {
                Ok(a) => Some(a),
                Err(ApiError::NotFound(_)) => None,
                // A server that did not answer says nothing about the task: keep following.
                Err(_) => return false,
            },
        };
        match alloc {
            Some(a) => a
                .task_states
                .get(task)
                .is_some_and(|t| t.state == TASK_STATE_DEAD),
            None => true,
        }
    }
}

/// A GET on a server's API over RPC, decoded; its errors keep their status.
async fn remote_get<T: DeserializeOwned>(rpc: &RemoteRpc, uri: &str) -> Result<T> {
    let call = HttpCall {
        method: "GET".into(),
        uri: uri.to_string(),
        headers: Vec::new(),
        body: Vec::new(),
    };
    let reply = rpc
        .http(call)
        .await
        .map_err(|e| ApiError::Internal(format!("No path to region: {e}")))?;
    let text = || String::from_utf8_lossy(&reply.body).trim().to_string();
    match reply.status {
        200 => serde_json::from_slice(&reply.body)
            .map_err(|e| ApiError::Internal(format!("decoding {uri}: {e}"))),
        404 => Err(ApiError::NotFound(text())),
        400 => Err(ApiError::BadRequest(text())),
        _ => Err(ApiError::Internal(text())),
    }
}

/// Percent-encodes one path segment.
fn encode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// A JSON reply of a client endpoint (they are not blocking queries: index 1, as Nomad's client).
pub fn client_reply<T: Serialize>(q: &QueryOptions, body: &T) -> Result<Response> {
    let bytes = if q.pretty {
        serde_json::to_vec_pretty(body)
    } else {
        serde_json::to_vec(body)
    }
    .map_err(|e| ApiError::Internal(format!("failed to encode response: {e}")))?;
    let mut resp = (StatusCode::OK, bytes).into_response();
    let h = resp.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    h.insert("X-Nomad-Index", HeaderValue::from(1u64));
    Ok(resp)
}
