//! `/v1/agent/self`, `/v1/agent/members` and `/v1/agent/health`: about this agent, not the cluster, so
//! they are answered locally. Nomad spells these keys in lower case (`config`, `member`, `client`, `ok`).

use std::collections::BTreeMap;

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use serde_json::json;

use super::error::Result;
use super::query::{QueryOptions, reply};
use super::{AgentInfo, ApiState};

/// One entry of `/v1/agent/members` (Serf's member shape).
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Member {
    pub name: String,
    pub addr: String,
    pub port: u16,
    pub tags: BTreeMap<String, String>,
    pub status: String,
    pub protocol_min: u8,
    pub protocol_max: u8,
    pub protocol_cur: u8,
    pub delegate_min: u8,
    pub delegate_max: u8,
    pub delegate_cur: u8,
}

/// This server as a Serf member: `<name>.<region>`, with Nomad's tags.
pub fn self_member(agent: &AgentInfo, leader_addr: Option<&str>) -> Member {
    let rpc = agent.rpc_addr.to_string();
    let tags = BTreeMap::from([
        ("role".to_string(), "nomad".to_string()),
        ("region".to_string(), agent.region.clone()),
        ("dc".to_string(), agent.datacenter.clone()),
        ("build".to_string(), agent.version.clone()),
        ("port".to_string(), agent.rpc_addr.port().to_string()),
        ("rpc_addr".to_string(), agent.rpc_addr.ip().to_string()),
        ("vsn".to_string(), "1".to_string()),
        ("raft_vsn".to_string(), "3".to_string()),
        ("bootstrap".to_string(), "1".to_string()),
        (
            "leader".to_string(),
            (leader_addr == Some(rpc.as_str())).to_string(),
        ),
    ]);
    Member {
        name: format!("{}.{}", agent.name, agent.region),
        addr: agent.serf_addr.ip().to_string(),
        port: agent.serf_addr.port(),
        tags,
        status: "alive".to_string(),
        protocol_min: 1,
        protocol_max: 5,
        protocol_cur: 2,
        delegate_min: 2,
        delegate_max: 5,
        delegate_cur: 4,
    }
}

/// `GET /v1/agent/self`.
pub async fn self_info(State(state): State<ApiState>, q: QueryOptions) -> Result<Response> {
    let agent = &state.agent;
    let leader = state.region.leader_addr();
    let member = agent.server.then(|| self_member(agent, leader.as_deref()));
    let stats = state.region.broker_stats();
    let body = json!({
        "config": agent.config,
        "member": member,
        "stats": {
            "nomad": {
                "server": agent.server.to_string(),
                "leader": state.region.is_leader().to_string(),
                "leader_addr": leader.unwrap_or_default(),
                "known_regions": "1",
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

/// `GET /v1/agent/members`.
pub async fn members(State(state): State<ApiState>, q: QueryOptions) -> Result<Response> {
    let agent = &state.agent;
    let leader = state.region.leader_addr();
    let members: Vec<Member> = if agent.server {
        vec![self_member(agent, leader.as_deref())]
    } else {
        Vec::new()
    };
    let body = json!({
        "ServerName": agent.name,
        "ServerRegion": agent.region,
        "ServerDC": agent.datacenter,
        "Members": members,
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
