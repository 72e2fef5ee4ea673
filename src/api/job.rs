//! `/v1/job/{id}` and its sub-resources. Job IDs may contain `/` (dispatched and periodic children), so
//! the route is a catch-all and the suffix (`/allocations`, `/evaluations`, `/summary`, `/versions`,
//! `/plan`, `/deployments`, `/deployment`) is split off here, as Nomad does.

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::Method;
use axum::response::Response;
use nomad_region::state::Table;
use nomad_region::structs::{AllocListStub, Evaluation, Job};
use serde::Serialize;

use super::ApiState;
use super::error::{ApiError, Result};
use super::jobs::{WriteReply, register_job};
use super::plan::plan;
use super::query::{QueryOptions, blocking, reply, reply_index};

const SUFFIXES: &[&str] = &[
    "/allocations",
    "/evaluations",
    "/summary",
    "/versions",
    "/plan",
    "/deployments",
    "/deployment",
];

/// Routes one `/v1/job/...` request.
pub async fn dispatch(
    State(state): State<ApiState>,
    Path(rest): Path<String>,
    method: Method,
    q: QueryOptions,
    body: Bytes,
) -> Result<Response> {
    let (id, suffix) = split(&rest);
    if id.is_empty() {
        return Err(ApiError::BadRequest("Missing job ID".into()));
    }
    let is_get = method == Method::GET;
    let is_write = method == Method::PUT || method == Method::POST;
    match (suffix, is_get, is_write) {
        ("", true, _) => get_job(&state, &q, id).await,
        ("", _, true) => register_job(&state, &q, &body, Some(id)).await,
        ("", _, _) if method == Method::DELETE => deregister(&state, &q, id).await,
        ("/allocations", true, _) => allocations(&state, &q, id).await,
        ("/evaluations", true, _) => evaluations(&state, &q, id).await,
        ("/summary", true, _) => summary(&state, &q, id).await,
        ("/versions", true, _) => versions(&state, &q, id).await,
        ("/deployments", true, _) => deployments(&state, &q, id).await,
        ("/deployment", true, _) => latest_deployment(&state, &q, id).await,
        ("/plan", _, true) => plan(&state, &q, id, &body).await,
        _ => Err(ApiError::MethodNotAllowed),
    }
}

/// `web/allocations` -> (`web`, `/allocations`); a bare ID has no suffix.
fn split(rest: &str) -> (&str, &str) {
    for s in SUFFIXES {
        if let Some(id) = rest.strip_suffix(s) {
            return (id, s);
        }
    }
    (rest, "")
}

fn not_found() -> ApiError {
    ApiError::NotFound("job not found".into())
}

async fn get_job(state: &ApiState, q: &QueryOptions, id: &str) -> Result<Response> {
    let snap = blocking(state, q, &[Table::Jobs]).await;
    let job = snap.job_by_id(&q.namespace, id).ok_or_else(not_found)?;
    reply(state, q, reply_index(&snap, &[Table::Jobs]), &*job)
}

async fn deregister(state: &ApiState, q: &QueryOptions, id: &str) -> Result<Response> {
    let purge = q.flag("purge")?;
    let resp = state.region.job_deregister(&q.namespace, id, purge).await?;
    let index = resp.index;
    reply(state, q, index, &WriteReply::new(resp, index))
}

async fn allocations(state: &ApiState, q: &QueryOptions, id: &str) -> Result<Response> {
    const TABLES: &[Table] = &[Table::Allocs];
    let all = q.flag("all")?;
    let snap = blocking(state, q, TABLES).await;
    let mut stubs: Vec<AllocListStub> = snap
        .allocs_by_job(&q.namespace, id, all)
        .iter()
        .map(|a| a.stub())
        .collect();
    stubs.sort_by(|a, b| b.create_index.cmp(&a.create_index).then(a.id.cmp(&b.id)));
    reply(state, q, reply_index(&snap, TABLES), &stubs)
}

async fn evaluations(state: &ApiState, q: &QueryOptions, id: &str) -> Result<Response> {
    const TABLES: &[Table] = &[Table::Evals];
    let snap = blocking(state, q, TABLES).await;
    let mut evals: Vec<Evaluation> = snap
        .evals_by_job(&q.namespace, id)
        .iter()
        .map(|e| (**e).clone())
        .collect();
    evals.sort_by_key(|e| std::cmp::Reverse(e.create_index));
    reply(state, q, reply_index(&snap, TABLES), &evals)
}

async fn summary(state: &ApiState, q: &QueryOptions, id: &str) -> Result<Response> {
    const TABLES: &[Table] = &[Table::JobSummaries];
    let snap = blocking(state, q, TABLES).await;
    let summary = snap.job_summary(&q.namespace, id).ok_or_else(not_found)?;
    reply(state, q, reply_index(&snap, TABLES), &*summary)
}

/// Nomad's `JobVersionsResponse`.
#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct Versions {
    versions: Vec<Job>,
    diffs: Option<Vec<nomad_region::scheduler::JobDiff>>,
}

async fn versions(state: &ApiState, q: &QueryOptions, id: &str) -> Result<Response> {
    const TABLES: &[Table] = &[Table::JobVersions];
    let want_diffs = q.flag("diffs")?;
    let snap = blocking(state, q, TABLES).await;
    let mut versions: Vec<Job> = snap
        .job_versions(&q.namespace, id)
        .iter()
        .map(|j| (**j).clone())
        .collect();
    if versions.is_empty() {
        return Err(not_found());
    }
    versions.sort_by_key(|j| std::cmp::Reverse(j.version));
    // Each version diffed against the one before it, newest first, as Nomad lists them.
    let diffs = want_diffs.then(|| {
        versions
            .windows(2)
            .map(|w| nomad_region::scheduler::diff::job_diff(Some(&w[1]), &w[0]))
            .collect()
    });
    reply(
        state,
        q,
        reply_index(&snap, TABLES),
        &Versions { versions, diffs },
    )
}

async fn deployments(state: &ApiState, q: &QueryOptions, id: &str) -> Result<Response> {
    const TABLES: &[Table] = &[Table::Deployments];
    let snap = blocking(state, q, TABLES).await;
    let list: Vec<_> = snap
        .deployments_by_job(&q.namespace, id)
        .iter()
        .map(|d| (**d).clone())
        .collect();
    reply(state, q, reply_index(&snap, TABLES), &list)
}

async fn latest_deployment(state: &ApiState, q: &QueryOptions, id: &str) -> Result<Response> {
    const TABLES: &[Table] = &[Table::Deployments];
    let snap = blocking(state, q, TABLES).await;
    let latest = snap
        .latest_deployment_by_job(&q.namespace, id)
        .map(|d| (*d).clone());
    reply(state, q, reply_index(&snap, TABLES), &latest)
}

#[cfg(test)]
mod tests {
    use super::split;

    #[test]
    fn splits_suffixes_and_keeps_slashes_in_ids() {
        assert_eq!(split("web"), ("web", ""));
        assert_eq!(split("web/allocations"), ("web", "/allocations"));
        assert_eq!(
            split("batch/periodic-1/summary"),
            ("batch/periodic-1", "/summary")
        );
        assert_eq!(split("web/deployment"), ("web", "/deployment"));
        assert_eq!(split("web/deployments"), ("web", "/deployments"));
    }
}
