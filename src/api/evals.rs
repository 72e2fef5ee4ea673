//! `/v1/evaluations` (`?prefix`, `?job`, `?status`), `/v1/evaluation/{id}` and its `/allocations`.

use axum::extract::{Path, State};
use axum::response::Response;
use nomad_region::state::{StateSnapshot, Table};
use nomad_region::structs::{AllocListStub, Evaluation};

use super::ApiState;
use super::allocs::trim_stub;
use super::error::Result;
use super::prefix::resolve;
use super::query::{QueryOptions, blocking, reply, reply_index};

const TABLES: &[Table] = &[Table::Evals];

/// `GET /v1/evaluations`.
pub async fn list(State(state): State<ApiState>, q: QueryOptions) -> Result<Response> {
    let snap = blocking(&state, &q, TABLES).await;
    let job = q.param("job").unwrap_or_default();
    let status = q.param("status").unwrap_or_default();
    let mut evals: Vec<Evaluation> = snap
        .evals()
        .iter()
        .filter(|e| {
            q.namespace_matches(&e.namespace)
                && e.id.starts_with(&q.prefix)
                && (job.is_empty() || e.job_id == job)
                && (status.is_empty() || e.status == status)
        })
        .map(|e| (**e).clone())
        .collect();
    evals.sort_by(|a, b| b.create_index.cmp(&a.create_index).then(a.id.cmp(&b.id)));
    reply(&state, &q, reply_index(&snap, TABLES), &evals)
}

fn find(snap: &StateSnapshot, id: &str) -> Result<std::sync::Arc<Evaluation>> {
    resolve(
        "eval",
        id,
        snap.eval_by_id(id),
        || snap.evals_by_id_prefix(id),
        |e| &e.id,
    )
}

/// `GET /v1/evaluation/{id}`.
pub async fn get_one(
    State(state): State<ApiState>,
    Path(id): Path<String>,
    q: QueryOptions,
) -> Result<Response> {
    let snap = blocking(&state, &q, TABLES).await;
    let eval = find(&snap, &id)?;
    reply(&state, &q, reply_index(&snap, TABLES), &*eval)
}

/// `GET /v1/evaluation/{id}/allocations`.
pub async fn allocations(
    State(state): State<ApiState>,
    Path(id): Path<String>,
    q: QueryOptions,
) -> Result<Response> {
    const ALLOCS: &[Table] = &[Table::Allocs];
    let snap = blocking(&state, &q, ALLOCS).await;
    let eval = find(&snap, &id)?;
    let stubs = snap
        .allocs_by_eval(&eval.id)
        .iter()
        .map(|a| trim_stub(a.stub(), &q))
        .collect::<Result<Vec<AllocListStub>>>()?;
    reply(&state, &q, reply_index(&snap, ALLOCS), &stubs)
}
