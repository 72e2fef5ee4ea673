//! `/v1/nodes` (`?prefix`, `?resources`, `?os`), `/v1/node/{id}` and `/v1/node/{id}/allocations`.

use axum::extract::{Path, State};
use axum::response::Response;
use nomad_region::state::{StateSnapshot, Table};
use nomad_region::structs::{Allocation, Node, NodeListStub};

use super::ApiState;
use super::error::Result;
use super::prefix::resolve;
use super::query::{QueryOptions, blocking, reply, reply_index};

const TABLES: &[Table] = &[Table::Nodes];

/// `GET /v1/nodes`.
pub async fn list(State(state): State<ApiState>, q: QueryOptions) -> Result<Response> {
    let snap = blocking(&state, &q, TABLES).await;
    let resources = q.flag("resources")?;
    let os = q.flag("os")?;
    let mut stubs: Vec<NodeListStub> = snap
        .nodes()
        .iter()
        .filter(|n| n.id.starts_with(&q.prefix))
        .map(|n| {
            let mut stub = n.stub();
            // Nomad lists attributes only with `?os=true`, and then only the OS name.
            stub.attributes.retain(|k, _| os && k == "os.name");
            if !resources {
                stub.node_resources = None;
                stub.reserved_resources = None;
            }
            stub
        })
        .collect();
    stubs.sort_by(|a, b| a.id.cmp(&b.id));
    reply(&state, &q, reply_index(&snap, TABLES), &stubs)
}

fn find(snap: &StateSnapshot, id: &str) -> Result<std::sync::Arc<Node>> {
    resolve(
        "node",
        id,
        snap.node_by_id(id),
        || snap.nodes_by_id_prefix(id),
        |n| &n.id,
    )
}

/// `GET /v1/node/{id}`. The secret ID is never shown.
pub async fn get_one(
    State(state): State<ApiState>,
    Path(id): Path<String>,
    q: QueryOptions,
) -> Result<Response> {
    let snap = blocking(&state, &q, TABLES).await;
    let mut node = (*find(&snap, &id)?).clone();
    node.secret_id.clear();
    reply(&state, &q, reply_index(&snap, TABLES), &node)
}

/// `GET /v1/node/{id}/allocations`: full allocations, as Nomad returns them.
pub async fn allocations(
    State(state): State<ApiState>,
    Path(id): Path<String>,
    q: QueryOptions,
) -> Result<Response> {
    const ALLOCS: &[Table] = &[Table::Allocs];
    let snap = blocking(&state, &q, ALLOCS).await;
    let node = find(&snap, &id)?;
    let mut allocs: Vec<Allocation> = snap
        .allocs_by_node(&node.id)
        .iter()
        .map(|a| (**a).clone())
        .collect();
    allocs.sort_by(|a, b| a.id.cmp(&b.id));
    reply(&state, &q, reply_index(&snap, ALLOCS), &allocs)
}
