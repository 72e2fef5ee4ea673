//! `/v1/agent/self` and `/v1/agent/health`: about this agent, not the cluster, so they are answered
//! locally (the mesh endpoints live in `members`). Nomad spells these keys in lower case (`config`, `member`, `client`, `ok`).

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use serde_json::json;

use super::ApiState;
use super::error::Result;
use super::query::{QueryOptions, reply};

/// `GET /v1/agent/self`.
pub async fn self_info(State(state): State<ApiState>, q: QueryOptions) -> Result<Response> {
    let agent = &state.agent;
    let leader = state.region.leader_addr();
    let member = super::members::local_member(&state);
    let known_regions = state.mesh.as_ref().map_or(1, |m| m.regions().len().max(1));
    let stats = state.region.broker_stats();
    let body = json!({
        "config": agent.config,
        "member": member,
        "stats": {
            "nomad": {
                "server": agent.server.to_string(),
                "leader": state.region.is_leader().to_string(),
                "leader_addr": leader.unwrap_or_default(),
                "known_regions": known_regions.to_string(),
            },
            "broker": {
                "total_ready": stats.ready.to_string(),
                "total_unacked": stats.unacked.to_string(),
                "total_waiting": stats.waiting.to_string(),
                "total_blocked": stats.blocked.to_string(),
            },
            "client": {
                "node_id": state.client.as_ref().map(|c| c.node_id().to_string()).unwrap_or_default(),
            },
        },
    });
    reply(&state, &q, 1, &body)
}

#[derive(Serialize)]
struct Health {
    ok: bool,
    message: String,
}

/// `GET /v1/agent/health`: 200 when every part of the agent is well, 500 with the same body otherwise.
pub async fn health(State(state): State<ApiState>) -> Response {
    let mut body = serde_json::Map::new();
    let mut ok = true;
    if state.agent.server {
        let leader = state.region.leader_addr().is_some();
        ok &= leader;
        let message = if leader { "ok" } else { "No cluster leader" };
        body.insert(
            "server".into(),
            json!(Health {
                ok: leader,
                message: message.into()
            }),
        );
    }
    if let Some(client) = &state.client {
        let registered = state
            .region
            .snapshot()
            .node_by_id(client.node_id())
            .is_some();
        ok &= registered;
        let message = if registered {
            "ok"
        } else {
            "not yet registered with a server"
        };
        body.insert(
            "client".into(),
            json!(Health {
                ok: registered,
                message: message.into()
            }),
        );
    }
    let status = if ok {
        StatusCode::OK
    } else {
        StatusCode::INTERNAL_SERVER_ERROR
    };
    (status, axum::Json(serde_json::Value::Object(body))).into_response()
}
