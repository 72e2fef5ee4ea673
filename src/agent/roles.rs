//! Which parts an agent runs, started in order. A server binds the RPC port, starts its region server
//! (on Raft unless `-dev`), an optional client, and answers RPC calls; its client calls the region over
//! the in-process `LocalRpc` under `-dev` and through the server's own RPC endpoint otherwise (so that a
//! follower forwards to the leader). A client-only agent calls its `servers` over QUIC (`RemoteRpc`) and
//! carries its HTTP API to them.

use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;

use axum::Router;
use nomad_region::raft::RaftNode;
use nomad_region::server::RegionHandle;
use tokio_util::sync::CancellationToken;

use super::rpc::leader_forward::{LeaderForward, forward_to_leader};
use super::rpc::raft_transport::QuicRaftTransport;
use super::rpc::{RemoteRpc, RpcEndpoint, RpcServer, http_forward};
use super::{AgentError, AgentMesh, LocalRpc, Result, raft, settings};
use crate::api::client_state::{ClientApi, Lookup};
use crate::api::{self, ApiState};
use crate::client::{Client, ClientHandle};
use crate::config::AgentConfig;

/// The started parts, for the agent to serve and to stop in reverse order.
pub struct Roles {
    pub region: Option<RegionHandle>,
    pub raft: Option<RaftNode>,
    pub client: Option<ClientHandle>,
    pub endpoint: RpcEndpoint,
    pub rpc_server: Option<RpcServer>,
    /// The HTTP API to serve.
    pub router: Router,
    /// The server mesh member (servers only).
    pub mesh: Option<AgentMesh>,
    /// Raft discovery through the mesh (servers, not `-dev`).
    pub discovery: Option<tokio::task::JoinHandle<()>>,
}

/// Starts the parts `config` asks for. `region_cancel` stops the region server, `rpc_cancel` the RPC
/// server.
pub async fn start(
    config: &AgentConfig,
    data_dir: &Path,
    http_addr: SocketAddr,
    region_cancel: CancellationToken,
    rpc_cancel: CancellationToken,
) -> Result<Roles> {
    let agent_info = Arc::new(settings::agent_info(config, data_dir, http_addr));
    let rpc_err = |e: super::rpc::RpcTransportError| AgentError::Rpc(e.to_string());
    if !config.server.enabled {
        if config.client.servers.is_empty() {
            return Err(AgentError::Unsupported(
                "A client-only agent needs the servers to talk to: set client { servers = [\"<server>:4647\"] }".into(),
            ));
        }
        let endpoint = RpcEndpoint::client(&config.region).map_err(rpc_err)?;
        let rpc = Arc::new(RemoteRpc::new(
            endpoint.clone(),
            config.region.clone(),
            config.client.servers.clone(),
        ));
        let cc = settings::client_config(config, data_dir, http_addr);
        let client = Client::start(cc, rpc.clone(), CancellationToken::new())
            .map_err(|e| AgentError::Client(e.to_string()))?;
        tracing::info!(servers = ?config.client.servers, "client-only agent: calling servers over RPC");
        return Ok(Roles {
            region: None,
            raft: None,
            router: http_forward::client_router(rpc, client.clone(), agent_info),
            client: Some(client),
            endpoint,
            rpc_server: None,
            mesh: None,
            discovery: None,
        });
    }
    let endpoint = RpcEndpoint::server(config.bind.rpc, &config.region).map_err(rpc_err)?;
    // `ports { rpc = 0 }` asked for a free port: advertise the one bound.
    let mut config = config.clone();
    if config.advertise.rpc.port() == 0
        && let Some(bound) = endpoint.local_addr()
    {
        config.advertise.rpc.set_port(bound.port());
    }
    let config = &config;
    // After the RPC bind, so that the mesh tells the others the RPC address really bound.
    let mesh = AgentMesh::start(config, http_addr)
        .await
        .map_err(AgentError::Mesh)?;
    let mut info = settings::agent_info(config, data_dir, http_addr);
    info.serf_addr = mesh.handle().local_addr();
    let agent_info = Arc::new(info);
    let transport = Arc::new(QuicRaftTransport::new(
        endpoint.clone(),
        config.region.clone(),
    ));
    let raft::RegionParts {
        region,
        raft,
        discovery,
    } = raft::start_region(
        config,
        data_dir,
        Some(transport),
        Some(mesh.handle()),
        region_cancel,
    )
    .await?;
    let client = if !config.client.enabled {
        None
    } else if config.dev {
        let cc = settings::client_config(config, data_dir, http_addr);
        let rpc = Arc::new(LocalRpc::new(region.clone()));
        Some(
            Client::start(cc, rpc, CancellationToken::new())
                .map_err(|e| AgentError::Client(e.to_string()))?,
        )
    } else {
        // Through this server's own RPC endpoint, so that a follower forwards the client's writes and
        // heartbeats to the leader like any other server would (its handshake waits for the RPC server
        // started below).
        let cc = settings::client_config(config, data_dir, http_addr);
        let mut servers = vec![config.advertise.rpc.to_string()];
        servers.extend(config.client.servers.iter().cloned());
        let rpc = Arc::new(RemoteRpc::new(
            endpoint.clone(),
            config.region.clone(),
            servers,
        ));
        Some(
            Client::start(cc, rpc, CancellationToken::new())
                .map_err(|e| AgentError::Client(e.to_string()))?,
        )
    };
    let router = api::router(ApiState {
        region: region.clone(),
        client: client.clone(),
        mesh: Some(mesh.handle().clone()),
        agent: agent_info,
    })
    .layer(axum::middleware::from_fn_with_state(
        LeaderForward {
            region: region.clone(),
            endpoint: endpoint.clone(),
        },
        forward_to_leader,
    ))
    // Outermost: a client request for an allocation of another node goes to that node.
    .layer(axum::middleware::from_fn_with_state(
        ClientApi {
            client: client.clone(),
            lookup: Lookup::Region(region.clone()),
            region: config.region.clone(),
        },
        api::node_forward::route,
    ));
    // Other regions' servers forward requests here over the mesh; they are replayed into this router.
    api::forward::install(mesh.handle(), router.clone());
    let rpc_server = RpcServer::start(
        endpoint.clone(),
        region.clone(),
        raft.clone(),
        router.clone(),
        rpc_cancel,
    );
    tracing::info!(rpc = ?endpoint.local_addr(), "rpc server listening");
    Ok(Roles {
        region: Some(region),
        raft,
        client,
        endpoint,
        rpc_server: Some(rpc_server),
        router,
        mesh: Some(mesh),
        discovery,
    })
}
