//! The Nomad-compatible `/v1` HTTP API (axum 0.8). Handlers live one file per family; this file holds the
//! shared state, the router and the server loop. Shapes follow Nomad's API: PascalCase JSON, blocking
//! queries with `X-Nomad-*` headers ([`query`]), plain-text errors ([`error`]).

pub mod agent;
pub mod alloc_exec;
pub mod alloc_ops;
pub mod allocs;
pub mod client_files;
pub mod client_fs;
pub mod client_state;
pub mod error;
pub mod evals;
pub mod forward;
pub mod job;
pub mod jobs;
pub mod log_stream;
pub mod members;
pub mod node_forward;
pub mod nodes;
pub mod operator;
pub mod plan;
pub mod prefix;
pub mod query;
pub mod status;

use std::net::SocketAddr;
use std::sync::Arc;

use axum::Router;
use axum::http::Uri;
use axum::routing::{any, get, put};
use nomad_region::server::RegionHandle;
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;

use crate::client::ClientHandle;

pub use error::{ApiError, Result};

/// What the agent endpoints report about this agent (fixed at start).
#[derive(Debug, Clone)]
pub struct AgentInfo {
    /// Agent (node) name.
    pub name: String,
    pub region: String,
    pub datacenter: String,
    pub version: String,
    /// Advertised `ip:port` of HTTP, RPC and Serf.
    pub http_addr: SocketAddr,
    pub rpc_addr: SocketAddr,
    pub serf_addr: SocketAddr,
    pub server: bool,
    pub client: bool,
    pub dev: bool,
    /// The agent's configuration as `/v1/agent/self` shows it under `config`.
    pub config: serde_json::Value,
}

/// Shared by every handler; cheap to clone.
#[derive(Clone)]
pub struct ApiState {
    /// The region server in this agent.
    pub region: RegionHandle,
    /// The client in this agent, if it runs one (client endpoints answer 400 without).
    pub client: Option<ClientHandle>,
    /// The server mesh member (`None` on an agent that is not a server).
    pub mesh: Option<nomad_gossip::MeshHandle>,
    pub agent: Arc<AgentInfo>,
}

/// Every route of the API.
pub fn router(state: ApiState) -> Router {
    Router::new()
        .route(
            "/v1/jobs",
            get(jobs::list).put(jobs::register).post(jobs::register),
        )
        .route("/v1/jobs/parse", any(jobs::parse))
        .route("/v1/job/{*rest}", any(job::dispatch))
        .route("/v1/allocations", get(allocs::list))
        .route("/v1/allocation/{id}", get(allocs::get_one))
        .route("/v1/evaluations", get(evals::list))
        .route("/v1/evaluation/{id}", get(evals::get_one))
        .route("/v1/evaluation/{id}/allocations", get(evals::allocations))
        .route("/v1/nodes", get(nodes::list))
        .route("/v1/node/{id}", get(nodes::get_one))
        .route("/v1/node/{id}/allocations", get(nodes::allocations))
        .route("/v1/client/fs/logs/{alloc}", get(client_fs::logs))
        .route("/v1/client/fs/ls/{alloc}", get(client_files::ls))
        .route("/v1/client/fs/stat/{alloc}", get(client_files::stat))
        .route("/v1/client/fs/cat/{alloc}", get(client_files::cat))
        .route("/v1/client/fs/readat/{alloc}", get(client_files::readat))
        .route("/v1/client/allocation/{id}/stats", get(allocs::stats))
        .route(
            "/v1/client/allocation/{id}/signal",
            put(alloc_ops::signal).post(alloc_ops::signal),
        )
        .route(
            "/v1/client/allocation/{id}/restart",
            put(alloc_ops::restart).post(alloc_ops::restart),
        )
        .route("/v1/client/allocation/{id}/exec", get(alloc_exec::exec))
        .route("/v1/client/stats", get(alloc_ops::host_stats))
        .route(
            "/v1/allocation/{id}/stop",
            put(alloc_ops::stop).post(alloc_ops::stop),
        )
        .route("/v1/agent/self", get(agent::self_info))
        .route("/v1/agent/members", get(members::list))
        .route("/v1/agent/join", put(members::join).post(members::join))
        .route(
            "/v1/agent/force-leave",
            put(members::force_leave).post(members::force_leave),
        )
        .route("/v1/agent/health", get(agent::health))
        .route("/v1/status/leader", get(status::leader))
        .route("/v1/status/peers", get(status::peers))
        .route("/v1/regions", get(status::regions))
        .route(
            "/v1/operator/raft/configuration",
            get(operator::raft_configuration),
        )
        .route(
            "/v1/operator/raft/peer",
            axum::routing::delete(operator::remove_raft_peer),
        )
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        // Requests for another region go over the mesh before any handler sees them.
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            forward::route,
        ))
        .with_state(state)
}

async fn not_found(uri: Uri) -> ApiError {
    ApiError::NotFound(format!("Invalid URL path: {}", uri.path()))
}

async fn method_not_allowed() -> ApiError {
    ApiError::MethodNotAllowed
}

/// Serves `router` on `listener` until `cancel` fires, then finishes in-flight requests. Blocking queries
/// and log follows are cut at cancellation by the graceful shutdown.
pub async fn serve(
    listener: TcpListener,
    router: Router,
    cancel: CancellationToken,
) -> std::io::Result<()> {
    axum::serve(listener, router)
        .with_graceful_shutdown(async move { cancel.cancelled().await })
        .await
}
