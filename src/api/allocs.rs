//! `/v1/allocations` (`?prefix`, `?resources`, `?task_states`), `/v1/allocation/{id}` and the client's
//! `/v1/client/allocation/{id}/stats`.

use axum::extract::{Path, State};
use axum::response::Response;
use nomad_region::state::{StateSnapshot, Table};
use nomad_region::structs::{AllocListStub, Allocation};

use super::ApiState;
use super::error::{ApiError, Result};
use super::prefix::resolve;
use super::query::{QueryOptions, blocking, reply, reply_index};

const TABLES: &[Table] = &[Table::Allocs];

/// Trims a stub as the list parameters ask: resources only with `?resources=true`, task states unless
/// `?task_states=false`.
pub fn trim_stub(mut stub: AllocListStub, q: &QueryOptions) -> Result<AllocListStub> {
    if !q.flag("resources")? {
        stub.allocated_resources = None;
    }
    if q.param("task_states").is_some() && !q.flag("task_states")? {
        stub.task_states.clear();
    }
    Ok(stub)
}

/// `GET /v1/allocations`.
pub async fn list(State(state): State<ApiState>, q: QueryOptions) -> Result<Response> {
    let snap = blocking(&state, &q, TABLES).await;
    let mut stubs = snap
        .allocs()
        .iter()
        .filter(|a| q.namespace_matches(&a.namespace) && a.id.starts_with(&q.prefix))
        .map(|a| trim_stub(a.stub(), &q))
        .collect::<Result<Vec<_>>>()?;
    stubs.sort_by(|a, b| a.id.cmp(&b.id));
    reply(&state, &q, reply_index(&snap, TABLES), &stubs)
}

/// The allocation with this ID or unique ID prefix.
pub fn find(snap: &StateSnapshot, id: &str) -> Result<std::sync::Arc<Allocation>> {
    resolve(
        "alloc",
        id,
        snap.alloc_by_id(id),
        || snap.allocs_by_id_prefix(id),
        |a| &a.id,
    )
}

/// `GET /v1/allocation/{id}`.
pub async fn get_one(
    State(state): State<ApiState>,
    Path(id): Path<String>,
    q: QueryOptions,
) -> Result<Response> {
    let snap = blocking(&state, &q, TABLES).await;
    let alloc = find(&snap, &id)?;
    reply(&state, &q, reply_index(&snap, TABLES), &*alloc)
}

/// `GET /v1/client/allocation/{id}/stats`: served by the client running the allocation.
pub async fn stats(
    State(state): State<ApiState>,
    Path(id): Path<String>,
    q: QueryOptions,
) -> Result<Response> {
    let alloc = find(&state.region.snapshot(), &id)?;
    let client = local_client(&state, &alloc)?;
    let usage = client
        .alloc_stats(&alloc.id)
        .ok_or_else(|| ApiError::NotFound(format!("unknown allocation ID {:?}", alloc.id)))?;
    reply(&state, &q, 1, &usage)
}

/// This agent's client, if it is the node running `alloc`.
pub fn local_client<'a>(
    state: &'a ApiState,
    alloc: &Allocation,
) -> Result<&'a crate::client::ClientHandle> {
    let client = state
        .client
        .as_ref()
        .ok_or_else(|| ApiError::BadRequest("Client is not enabled on this agent".into()))?;
    if client.node_id() != alloc.node_id {
        // Forwarding to the node that runs it needs client RPC over the mesh (a later issue).
        return Err(ApiError::BadRequest(format!(
            "Allocation {:?} runs on node {:?}, not on this agent",
            alloc.id, alloc.node_id
        )));
    }
    Ok(client)
}
