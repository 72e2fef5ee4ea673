//! `/v1/jobs`: list (`?prefix`, `?namespace`), register (`PUT`/`POST`, Nomad's `JobRegisterRequest`), and
//! `/v1/jobs/parse` (HCL text to the job's JSON, as the UI uses it).

use axum::body::Bytes;
use axum::extract::State;
use axum::http::Method;
use axum::response::Response;
use nomad_region::server::RegisterOptions;
use nomad_region::state::Table;
use nomad_region::structs::{Job, JobListStub};
use serde::{Deserialize, Serialize};

use super::ApiState;
use super::error::{ApiError, Result};
use super::query::{QueryOptions, blocking, decode_body, reply, reply_index};

/// Nomad's `JobRegisterRequest` body.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct JobRegisterRequest {
    pub job: Option<Job>,
    /// Register only if `JobModifyIndex` matches (0: only if the job is new).
    pub enforce_index: bool,
    pub job_modify_index: u64,
    pub policy_override: bool,
    pub preserve_counts: bool,
    pub eval_priority: i32,
}

/// A write's reply: the region's response plus Nomad's `Index`/`LastContact`/`KnownLeader` fields.
#[derive(Debug, Serialize)]
pub struct WriteReply<T: Serialize> {
    #[serde(flatten)]
    pub inner: T,
    #[serde(rename = "Index")]
    pub index: u64,
    #[serde(rename = "LastContact")]
    pub last_contact: u64,
    #[serde(rename = "KnownLeader")]
    pub known_leader: bool,
}

impl<T: Serialize> WriteReply<T> {
    pub fn new(inner: T, index: u64) -> Self {
        WriteReply {
            inner,
            index,
            last_contact: 0,
            known_leader: true,
        }
    }
}

/// `GET /v1/jobs`.
pub async fn list(State(state): State<ApiState>, q: QueryOptions) -> Result<Response> {
    const TABLES: &[Table] = &[Table::Jobs, Table::JobSummaries];
    let with_meta = q.flag("meta")?;
    let snap = blocking(&state, &q, TABLES).await;
    let mut stubs: Vec<JobListStub> = snap
        .jobs()
        .iter()
        .filter(|j| q.namespace_matches(&j.namespace) && j.id.starts_with(&q.prefix))
        .map(|j| {
            let mut stub = j.stub(snap.job_summary(&j.namespace, &j.id).as_deref());
            // Nomad lists metadata only with `?meta=true`.
            if !with_meta {
                stub.meta.clear();
            }
            stub
        })
        .collect();
    stubs.sort_by(|a, b| (&a.namespace, &a.id).cmp(&(&b.namespace, &b.id)));
    reply(&state, &q, reply_index(&snap, TABLES), &stubs)
}

/// `PUT`/`POST /v1/jobs`.
pub async fn register(
    State(state): State<ApiState>,
    q: QueryOptions,
    body: Bytes,
) -> Result<Response> {
    register_job(&state, &q, &body, None).await
}

/// Registers the job in `body`; `path_id` is the ID from `/v1/job/{id}`, which must match.
pub async fn register_job(
    state: &ApiState,
    q: &QueryOptions,
    body: &[u8],
    path_id: Option<&str>,
) -> Result<Response> {
    let req: JobRegisterRequest = decode_body(body)?;
    let Some(mut job) = req.job else {
        return Err(ApiError::BadRequest("Job must be specified".into()));
    };
    if let Some(id) = path_id
        && job.id != id
    {
        return Err(ApiError::BadRequest("Job ID does not match name".into()));
    }
    prepare_job(state, q, &mut job)?;
    let opts = RegisterOptions {
        enforce_index: req.enforce_index.then_some(req.job_modify_index),
    };
    let resp = state.region.job_register(job, opts).await?;
    let index = resp.index;
    reply(state, q, index, &WriteReply::new(resp, index))
}

/// Fills the namespace and region the request implies, and refuses a job for another region.
pub fn prepare_job(state: &ApiState, q: &QueryOptions, job: &mut Job) -> Result<()> {
    if job.namespace.is_empty() {
        job.namespace = q.namespace.clone();
    }
    if job.region.is_empty() {
        job.region = state.agent.region.clone();
    } else if job.region != state.agent.region {
        return Err(ApiError::NoPathToRegion);
    }
    Ok(())
}

/// Nomad's `JobsParseRequest`.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct JobsParseRequest {
    #[serde(rename = "JobHCL")]
    pub job_hcl: String,
    /// HCL var-file text.
    pub variables: String,
    /// Fill defaults as the servers would.
    pub canonicalize: bool,
}

/// `PUT`/`POST /v1/jobs/parse`.
pub async fn parse(
    State(state): State<ApiState>,
    method: Method,
    q: QueryOptions,
    body: Bytes,
) -> Result<Response> {
    if method != Method::PUT && method != Method::POST {
        return Err(ApiError::MethodNotAllowed);
    }
    let req: JobsParseRequest = decode_body(&body)?;
    if req.job_hcl.trim().is_empty() {
        return Err(ApiError::BadRequest("Job spec is empty".into()));
    }
    let mut opts = crate::jobspec::ParseOptions::default();
    // The parser reads variables from files; keep the request's in a temporary one.
    let var_file = if req.variables.trim().is_empty() {
        None
    } else {
        let file = tempfile::NamedTempFile::new()
            .map_err(|e| ApiError::Internal(format!("failed to store variables: {e}")))?;
        std::fs::write(file.path(), &req.variables)
            .map_err(|e| ApiError::Internal(format!("failed to store variables: {e}")))?;
        opts.var_files.push(file.path().to_path_buf());
        Some(file)
    };
    let parsed = crate::jobspec::parse_str(&req.job_hcl, "input.hcl", &opts)
        .map_err(|e| ApiError::BadRequest(e.to_string()))?;
    drop(var_file);
    let mut job = parsed.job;
    if req.canonicalize {
        job.canonicalize();
    }
    let index = state.region.snapshot().latest_index().max(1);
    reply(&state, &q, index, &job)
}
