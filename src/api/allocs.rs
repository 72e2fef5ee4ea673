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
    State(state): State<super::client_state::ClientApi>,
    Path(id): Path<String>,
    q: QueryOptions,
) -> Result<Response> {
    let (alloc, client) = state.local(&id).await?;
    let usage = client
        .alloc_stats(&alloc.id)
        .ok_or_else(|| ApiError::NotFound(format!("unknown allocation ID {:?}", alloc.id)))?;
    super::client_state::client_reply(&q, &usage)
}
