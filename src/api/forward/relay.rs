//! In-region relay of client requests: `/v1/client/fs/*` and `/v1/client/allocation/{id}/*` are served
//! by the agent whose client runs the allocation. When that is another server of this region (found by
//! the node's HTTP address among the mesh members), the request is relayed to it over the mesh, so
//! `alloc logs` works through any server of a region with several, also when forwarded from another
//! region. A relayed request carries `X-Nomad-Relayed` and is never relayed again.
//!
//! ```text
//!   client request, alloc on our node / unknown / no such member -> local handler
//!   alloc on the node of server S of our region                  -> mesh request to S -> its handler
//! ```

use axum::extract::Request;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use nomad_gossip::{Member, MeshHandle};

use super::super::ApiState;
use super::super::allocs::find;
use super::send::{self, Deadline};
use crate::api::error::ApiError;

/// Marks a request relayed by a server of this region to the agent running the allocation.
pub const RELAYED_HEADER: &str = "x-nomad-relayed";

/// The allocation ID of a client request that is relayed to the node running it (exec is a WebSocket,
/// which the mesh does not carry).
pub fn client_alloc(path: &str) -> Option<&str> {
    let id = if let Some(rest) = path.strip_prefix("/v1/client/fs/") {
        let (op, id) = rest.split_once('/')?;
        matches!(op, "logs" | "ls" | "stat" | "cat" | "readat").then_some(id)?
    } else {
        let (id, op) = path
            .strip_prefix("/v1/client/allocation/")?
            .split_once('/')?;
        matches!(op, "stats" | "signal" | "restart").then_some(id)?
    };
    (!id.is_empty() && !id.contains('/')).then_some(id)
}

/// Serves `req` here, or relays it to the server of this region whose client runs its allocation.
pub async fn to_node_or_local(state: &ApiState, req: Request, next: Next) -> Response {
    if req.headers().contains_key(RELAYED_HEADER) {
        return next.run(req).await;
    }
    let Some(mesh) = &state.mesh else {
        return next.run(req).await;
    };
    let Some(target) = node_agent(state, mesh, req.uri().path()) else {
        return next.run(req).await;
    };
    let uri = req
        .uri()
        .path_and_query()
        .map_or_else(|| req.uri().path().to_owned(), |pq| pq.as_str().to_owned());
    let mut call = match super::call_of(mesh, req, uri).await {
        Ok(call) => call,
        Err(e) => return e.into_response(),
    };
    call.headers.push((
        RELAYED_HEADER.to_owned(),
        nomad_gossip::codec::Blob(b"1".to_vec()),
    ));
    let name = target.name.clone();
    match send::send_to(mesh, &[target], call, Deadline::ordinary()).await {
        Ok(resp) => resp,
        Err(e) => ApiError::Internal(format!(
            "Failed to reach {name}, the agent running the allocation: {e}"
        ))
        .into_response(),
    }
}

/// The other mesh member of this region whose client runs the allocation `path` is about.
fn node_agent(state: &ApiState, mesh: &MeshHandle, path: &str) -> Option<Member> {
    let id = client_alloc(path)?;
    let snap = state.region.snapshot();
    // Unknown or ambiguous IDs are the local handler's to refuse.
    let alloc = find(&snap, id).ok()?;
    if state
        .client
        .as_ref()
        .is_some_and(|c| c.node_id() == alloc.node_id)
    {
        return None;
    }
    let node = snap.node_by_id(&alloc.node_id)?;
    mesh.alive_in_region(&state.agent.region)
        .into_iter()
        .find(|m| m.name != mesh.local_name() && m.meta.http_addr.to_string() == node.http_addr)
}

#[cfg(test)]
mod tests {
    use super::client_alloc;

    #[test]
    fn client_alloc_paths_are_recognised() {
        assert_eq!(client_alloc("/v1/client/fs/logs/abc"), Some("abc"));
        assert_eq!(client_alloc("/v1/client/fs/cat/abc"), Some("abc"));
        assert_eq!(client_alloc("/v1/client/allocation/abc/stats"), Some("abc"));
        assert_eq!(
            client_alloc("/v1/client/allocation/abc/restart"),
            Some("abc")
        );
        assert_eq!(client_alloc("/v1/client/allocation/abc/exec"), None);
        assert_eq!(client_alloc("/v1/client/fs/logs/"), None);
        assert_eq!(client_alloc("/v1/client/fs/nope/abc"), None);
        assert_eq!(client_alloc("/v1/client/stats"), None);
        assert_eq!(client_alloc("/v1/allocation/abc"), None);
    }
}
