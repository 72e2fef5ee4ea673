//! The mesh as the agent endpoints show it: `GET /v1/agent/members` (Serf's member shape, from this
//! server's view of the mesh), `PUT/POST /v1/agent/join?address=...` (Nomad's lowercase
//! `{"num_joined","error"}` reply) and `PUT/POST /v1/agent/force-leave?node=<name>&prune=true`.
//! Only servers are members; on other agents these answer 400.

use std::collections::BTreeMap;

use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use nomad_gossip::{Error as MeshError, Member as MeshMember, MeshHandle};
use serde::Serialize;
use serde_json::json;

use super::ApiState;
use super::error::{ApiError, Result};
use super::query::{QueryOptions, reply};

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

/// A mesh member in Nomad's shape. `leader` is the local region's leader RPC address: only members of
/// `local_region` get a `leader` tag, since other regions' leaders are not known here.
pub fn api_member(m: &MeshMember, local_region: &str, leader: Option<&str>) -> Member {
    let mut tags = m.meta.nomad_tags();
    if m.meta.region == local_region {
        let is_leader = leader == Some(m.meta.rpc_addr.to_string().as_str());
        tags.insert("leader".into(), is_leader.to_string());
    }
    // Our mesh speaks one wire version; the delegate version is the `vsn` tag.
    let wire = nomad_gossip::wire::WIRE_VERSION;
    let delegate = tags.get("vsn").and_then(|v| v.parse().ok()).unwrap_or(1);
    Member {
        name: m.name.clone(),
        addr: m.addr.ip().to_string(),
        port: m.addr.port(),
        tags,
        status: m.status.as_str().to_owned(),
        protocol_min: wire,
        protocol_max: wire,
        protocol_cur: wire,
        delegate_min: delegate,
        delegate_max: delegate,
        delegate_cur: delegate,
    }
}

fn mesh(state: &ApiState) -> Result<&MeshHandle> {
    state.mesh.as_ref().ok_or_else(|| {
        ApiError::BadRequest(
            "This agent is not a server: only servers are members of the mesh".into(),
        )
    })
}

/// This server as a member, for `/v1/agent/self`.
pub fn local_member(state: &ApiState) -> Option<Member> {
    let mesh = state.mesh.as_ref()?;
    let leader = state.region.leader_addr();
    mesh.local()
        .map(|m| api_member(&m, &state.agent.region, leader.as_deref()))
}

/// `GET /v1/agent/members`.
pub async fn list(State(state): State<ApiState>, q: QueryOptions) -> Result<Response> {
    let leader = state.region.leader_addr();
    let members: Vec<Member> = match &state.mesh {
        Some(mesh) => mesh
            .members()
            .iter()
            .map(|m| api_member(m, &state.agent.region, leader.as_deref()))
            .collect(),
        None => Vec::new(),
    };
    let agent = &state.agent;
    let body = json!({
        "ServerName": agent.name,
        "ServerRegion": agent.region,
        "ServerDC": agent.datacenter,
        "Members": members,
    });
    reply(&state, &q, 1, &body)
}

/// `PUT/POST /v1/agent/join?address=<addr>[&address=...]`: 200 with `error` set when no address
/// answered, as Nomad's.
pub async fn join(
    State(state): State<ApiState>,
    q: QueryOptions,
    Query(pairs): Query<Vec<(String, String)>>,
) -> Result<Response> {
    let mesh = mesh(&state)?;
    let addrs: Vec<String> = pairs
        .into_iter()
        .filter(|(k, v)| k == "address" && !v.trim().is_empty())
        .map(|(_, v)| v)
        .collect();
    if addrs.is_empty() {
        return Err(ApiError::BadRequest("missing address to join".into()));
    }
    let body = match crate::agent::mesh::join(mesh, &addrs).await {
        Ok(n) => json!({"num_joined": n, "error": ""}),
        Err(e) => json!({"num_joined": 0, "error": e}),
    };
    reply(&state, &q, 1, &body)
}

/// `PUT/POST /v1/agent/force-leave?node=<name>[&prune=true]`: marks a member `left` (with `prune`, drops
/// it from the list). A bare node name also matches `<node>.<local region>`.
pub async fn force_leave(State(state): State<ApiState>, q: QueryOptions) -> Result<Response> {
    let mesh = mesh(&state)?;
    let node = q
        .params
        .get("node")
        .map(|n| n.trim())
        .filter(|n| !n.is_empty())
        .ok_or_else(|| ApiError::BadRequest("missing node to force leave".into()))?;
    let prune = match q.params.get("prune").map(String::as_str) {
        None | Some("") | Some("false") | Some("0") => false,
        Some("true") | Some("1") => true,
        Some(other) => {
            return Err(ApiError::BadRequest(format!(
                "Invalid prune value {other:?}: must be true or false"
            )));
        }
    };
    let name = match mesh.member(node) {
        Some(_) => node.to_owned(),
        None => format!("{node}.{}", state.agent.region),
    };
    mesh.force_leave(&name, prune).await.map_err(|e| match e {
        MeshError::UnknownMember(_) => ApiError::NotFound(format!("Unknown server {node:?}")),
        MeshError::ForceLeaveLocal(_) => ApiError::BadRequest(e.to_string()),
        other => ApiError::Internal(other.to_string()),
    })?;
    Ok(StatusCode::OK.into_response())
}

#[cfg(test)]
mod tests {
    use super::*;
    use nomad_gossip::{MemberMeta, MemberStatus};

    fn member(node: &str, region: &str, rpc: &str, status: MemberStatus) -> MeshMember {
        let rpc: std::net::SocketAddr = rpc.parse().unwrap();
        let meta = MemberMeta::new(node, region, "dc1", rpc, "10.0.0.1:4646".parse().unwrap());
        MeshMember {
            name: meta.name.clone(),
            addr: std::net::SocketAddr::new(rpc.ip(), 4648),
            incarnation: 1,
            status,
            meta,
        }
    }

    #[test]
    fn only_local_region_members_get_a_leader_tag() {
        let leader = Some("10.0.0.1:4647");
        let a = api_member(
            &member("a", "global", "10.0.0.1:4647", MemberStatus::Alive),
            "global",
            leader,
        );
        assert_eq!(a.tags["leader"], "true");
        assert_eq!((a.addr.as_str(), a.port), ("10.0.0.1", 4648));
        assert_eq!(a.name, "a.global");
        let b = api_member(
            &member("b", "global", "10.0.0.2:4647", MemberStatus::Failed),
            "global",
            leader,
        );
        assert_eq!(b.tags["leader"], "false");
        assert_eq!(b.status, "failed");
        let w = api_member(
            &member("w", "west", "10.0.0.3:4647", MemberStatus::Left),
            "global",
            leader,
        );
        assert!(!w.tags.contains_key("leader"));
        assert_eq!(w.tags["region"], "west");
        assert_eq!(w.status, "left");
    }
}
