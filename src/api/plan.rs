//! `PUT`/`POST /v1/job/{id}/plan`: the scheduler's dry run. The region server returns Nomad's
//! `JobPlanResponse` shape (annotations, the job diff with per-group update counts, failed placements).

use axum::response::Response;
use nomad_region::structs::Job;
use serde::Deserialize;

use super::ApiState;
use super::error::{ApiError, Result};
use super::jobs::prepare_job;
use super::query::{QueryOptions, decode_body, reply};

/// Nomad's `JobPlanRequest` body.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct JobPlanRequest {
    pub job: Option<Job>,
    pub diff: bool,
    pub policy_override: bool,
}

/// Plans the job in `body` (whose ID must be `id`).
pub async fn plan(state: &ApiState, q: &QueryOptions, id: &str, body: &[u8]) -> Result<Response> {
    let req: JobPlanRequest = decode_body(body)?;
    let Some(mut job) = req.job else {
        return Err(ApiError::BadRequest("Job must be specified".into()));
    };
    if job.id != id {
        return Err(ApiError::BadRequest("Job ID does not match".into()));
    }
    prepare_job(state, q, &mut job)?;
    let index = state.region.snapshot().latest_index().max(1);
    let resp = state.region.job_plan(job, req.diff).await?;
    reply(state, q, index, &resp)
}
