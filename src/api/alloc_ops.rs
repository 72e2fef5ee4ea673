//! Operating a running allocation: `/v1/client/allocation/{id}/signal` and `/restart`
//! (served by the client that runs it), `/v1/allocation/{id}/stop` (the servers: stop
//! and replace it), and the host's `/v1/client/stats`.

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::response::Response;
use serde::{Deserialize, Serialize};

use super::ApiState;
use super::allocs::find;
use super::client_state::{ClientApi, client_reply};
use super::error::{ApiError, Result};
use super::query::{QueryOptions, decode_body, reply};
use crate::client::ClientError;

/// Body of `.../signal`.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct AllocSignalRequest {
    pub signal: String,
    pub task: String,
}

/// Body of `.../restart`.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct AllocRestartRequest {
    pub task_name: String,
    pub all_tasks: bool,
}

/// Reply of `/v1/allocation/{id}/stop`.
#[derive(Debug, Default, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct AllocStopResponse {
    #[serde(rename = "EvalID")]
    pub eval_id: String,
    pub index: u64,
}

/// How a client failure reads over HTTP.
pub fn client_error(e: ClientError) -> ApiError {
    match e {
        ClientError::NotFound(m) => ApiError::NotFound(m),
        ClientError::TaskNotRunning => ApiError::BadRequest("Task not running".into()),
        e @ (ClientError::UnknownSignal(_)
        | ClientError::ExecNotSupported
        | ClientError::Exec(_)
        | ClientError::TaskConfig(_)
        | ClientError::DriverUnavailable(_)) => ApiError::BadRequest(e.to_string()),
        e => ApiError::Internal(e.to_string()),
    }
}

fn optional(s: &str) -> Option<&str> {
    (!s.is_empty()).then_some(s)
}

/// `PUT/POST /v1/client/allocation/{id}/signal`.
pub async fn signal(
    State(state): State<ClientApi>,
    Path(id): Path<String>,
    q: QueryOptions,
    body: Bytes,
) -> Result<Response> {
    let req: AllocSignalRequest = if body.iter().all(u8::is_ascii_whitespace) {
        AllocSignalRequest::default()
    } else {
        decode_body(&body)?
    };
    let (alloc, client) = state.local(&id).await?;
    let task = optional(&req.task);
    let sig = optional(&req.signal).unwrap_or("SIGKILL");
    client
        .check_running(&alloc.id, task)
        .map_err(client_error)?;
    client.signal(&alloc.id, task, sig).map_err(client_error)?;
    client_reply(&q, &serde_json::json!({}))
}

/// `PUT/POST /v1/client/allocation/{id}/restart`.
pub async fn restart(
    State(state): State<ClientApi>,
    Path(id): Path<String>,
    q: QueryOptions,
    body: Bytes,
) -> Result<Response> {
    let req: AllocRestartRequest = if body.iter().all(u8::is_ascii_whitespace) {
        AllocRestartRequest::default()
    } else {
        decode_body(&body)?
    };
    let (alloc, client) = state.local(&id).await?;
    let task = if req.all_tasks {
        None
    } else {
        optional(&req.task_name)
    };
    client.restart(&alloc.id, task).map_err(client_error)?;
    client_reply(&q, &serde_json::json!({}))
}

/// `PUT/POST /v1/allocation/{id}/stop`.
pub async fn stop(
    State(state): State<ApiState>,
    Path(id): Path<String>,
    q: QueryOptions,
) -> Result<Response> {
    let alloc = find(&state.region.snapshot(), &id)?;
    let (eval_id, index) = state.region.alloc_stop(&alloc.id).await?;
    reply(&state, &q, index, &AllocStopResponse { eval_id, index })
}

/// `GET /v1/client/stats`.
pub async fn host_stats(State(state): State<ClientApi>, q: QueryOptions) -> Result<Response> {
    let client = state
        .client
        .as_ref()
        .ok_or_else(|| ApiError::BadRequest("Client is not enabled on this agent".into()))?;
    let stats = client.host_stats();
    client_reply(&q, &stats)
}
