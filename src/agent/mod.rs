//! The engine behind `nomad agent`: starts the parts in order (mesh on servers, region server, client,
//! HTTP API), prints the banner, waits for a signal, and stops them in reverse order (HTTP, client — every
//! task within its kill_timeout —, region server, mesh). `-dev` runs in a temporary data dir removed on
//! exit. With `leave_on_interrupt` / `leave_on_terminate` the server leaves the mesh before stopping.
//!
//! ```text
//!   bind HTTP listener -> AgentMesh::start (servers) -> RegionServer::start -> Client::start(LocalRpc)
//!     -> serve HTTP
//!   signal -> [mesh leave] -> stop HTTP -> client.shutdown() -> cancel region, await its tasks
//!     -> mesh shutdown -> remove temp dir
//! ```

pub mod banner;
pub mod local_rpc;
pub mod logging;
pub mod mesh;
pub mod settings;
pub mod signals;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use nomad_region::server::{RegionHandle, RegionServer};
use thiserror::Error;
use tokio::net::TcpListener;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

use crate::api::{self, ApiState};
use crate::client::{Client, ClientHandle};
use crate::config::AgentConfig;

pub use local_rpc::LocalRpc;
pub use mesh::AgentMesh;

/// How long in-flight HTTP requests (blocking queries, log follows) get to finish at shutdown.
const HTTP_DRAIN: Duration = Duration::from_secs(2);

#[derive(Debug, Error)]
pub enum AgentError {
    #[error("Failed to create data directory {}: {source}", path.display())]
    DataDir {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("Failed to start HTTP server on {addr}: {source}")]
    Bind {
        addr: SocketAddr,
        source: std::io::Error,
    },
    #[error("Failed to start client: {0}")]
    Client(String),
    /// The mesh could not start, `start_join` failed, or `retry_join` gave up.
    #[error("{0}")]
    Mesh(String),
    /// A combination this agent cannot run yet.
    #[error("{0}")]
    Unsupported(String),
}

pub type Result<T> = std::result::Result<T, AgentError>;

/// A running agent.
pub struct Agent {
    config: AgentConfig,
    region: RegionHandle,
    client: Option<ClientHandle>,
    http_addr: SocketAddr,
    http: JoinHandle<std::io::Result<()>>,
    http_cancel: CancellationToken,
    region_cancel: CancellationToken,
    /// The server mesh member; `None` on an agent that is not a server.
    mesh: Option<AgentMesh>,
    data_dir: PathBuf,
    /// Removed (recursively) when the agent is dropped after shutdown; `-dev` only.
    _temp_dir: Option<tempfile::TempDir>,
}

impl Agent {
    /// Starts every part of the agent. Must run inside a multi-threaded tokio runtime.
    pub async fn start(config: AgentConfig) -> Result<Agent> {
        if config.client.enabled && !config.server.enabled {
            return Err(AgentError::Unsupported(
                "A client-only agent needs RPC to remote servers, which this version does not have yet; run -dev or enable server and client together".into(),
            ));
        }
        let (data_dir, temp_dir) = prepare_data_dir(&config)?;
        // Bind first so the client and the banner know the real port (port 0 picks a free one).
        let listener = TcpListener::bind(config.bind.http)
            .await
            .map_err(|source| AgentError::Bind {
                addr: config.bind.http,
                source,
            })?;
        let bound = listener.local_addr().map_err(|source| AgentError::Bind {
            addr: config.bind.http,
            source,
        })?;
        let http_addr = if bound.ip().is_unspecified() {
            SocketAddr::new(config.advertise.http.ip(), bound.port())
        } else {
            bound
        };

        let mesh = if config.server.enabled {
            Some(
                AgentMesh::start(&config, http_addr)
                    .await
                    .map_err(AgentError::Mesh)?,
            )
        } else {
            None
        };

        let region_cancel = CancellationToken::new();
        let region = RegionServer::start(settings::server_config(&config), region_cancel.clone());

        let client = if config.client.enabled {
            let cc = settings::client_config(&config, &data_dir, http_addr);
            let rpc = Arc::new(LocalRpc::new(region.clone()));
            match Client::start(cc, rpc, CancellationToken::new()) {
                Ok(handle) => Some(handle),
                Err(e) => {
                    region_cancel.cancel();
                    if let Some(m) = mesh {
                        m.shutdown().await;
                    }
                    return Err(AgentError::Client(e.to_string()));
                }
            }
        } else {
            None
        };

        let mut info = settings::agent_info(&config, &data_dir, http_addr);
        if let Some(m) = &mesh {
            info.serf_addr = m.handle().local_addr();
        }
        let state = ApiState {
            region: region.clone(),
            client: client.clone(),
            mesh: mesh.as_ref().map(|m| m.handle().clone()),
            agent: Arc::new(info),
        };
        let router = api::router(state);
        if let Some(m) = &mesh {
            // Other regions' servers forward requests here; they are replayed into this router.
            api::forward::install(m.handle(), router.clone());
        }
        let http_cancel = CancellationToken::new();
        let http = tokio::spawn(api::serve(listener, router, http_cancel.clone()));
        tracing::info!(http = %http_addr, data_dir = %data_dir.display(), "agent started");
        Ok(Agent {
            config,
            region,
            client,
            http_addr,
            http,
            http_cancel,
            region_cancel,
            mesh,
            data_dir,
            _temp_dir: temp_dir,
        })
    }

    /// The address the HTTP API listens on.
    pub fn http_addr(&self) -> SocketAddr {
        self.http_addr
    }

    /// The data directory in use (a temporary one under `-dev`).
    pub fn data_dir(&self) -> &std::path::Path {
        &self.data_dir
    }

    /// The region server.
    pub fn region(&self) -> &RegionHandle {
        &self.region
    }

    /// The server mesh member, when this agent is a server.
    pub fn mesh(&self) -> Option<&nomad_gossip::MeshHandle> {
        self.mesh.as_ref().map(AgentMesh::handle)
    }

    /// True when `signal` (as [`signals::shutdown_signal`] names it) should make this server leave the
    /// mesh before stopping: `leave_on_interrupt` for Ctrl-C, `leave_on_terminate` for SIGTERM.
    pub fn leaves_on(&self, signal: &str) -> bool {
        match signal {
            "interrupt" => self.config.leave_on_interrupt,
            "terminated" => self.config.leave_on_terminate,
            _ => false,
        }
    }

    /// Leaves the mesh gracefully (others see `left`); a no-op on an agent that is not a server.
    pub async fn leave(&self) {
        if let Some(mesh) = &self.mesh {
            mesh.leave().await;
        }
    }

    /// Resolves when `retry_join` gave up after `retry_max` attempts; never on other agents.
    pub async fn join_gave_up(&self) {
        match &self.mesh {
            Some(mesh) => mesh.gave_up().await,
            None => std::future::pending().await,
        }
    }

    /// The client, when this agent runs one.
    pub fn client(&self) -> Option<&ClientHandle> {
        self.client.as_ref()
    }

    /// The startup banner for this agent.
    pub fn banner(&self) -> String {
        banner::banner(
            &self.config,
            self.http_addr,
            self.client.as_ref().map(|c| c.node_id()),
            settings::VERSION,
        )
    }

    /// Stops everything in reverse start order and waits for it. The temporary `-dev` data dir is removed
    /// when this returns.
    pub async fn shutdown(self) {
        self.http_cancel.cancel();
        let mut http = self.http;
        match tokio::time::timeout(HTTP_DRAIN, &mut http).await {
            Ok(Ok(Err(e))) => tracing::warn!(error = %e, "HTTP server failed"),
            Ok(_) => {}
            Err(_) => {
                // Long polls and log follows would hold the server open for minutes: cut them.
                http.abort();
                let _ = http.await;
            }
        }
        if let Some(client) = &self.client {
            tracing::info!("stopping client: stopping every task");
            client.shutdown().await;
        }
        self.region_cancel.cancel();
        self.region.stopped().await;
        if let Some(mesh) = self.mesh {
            mesh.shutdown().await;
        }
        tracing::info!("agent stopped");
    }
}

/// The configured data dir (created if missing), or a fresh temporary one under `-dev`.
fn prepare_data_dir(config: &AgentConfig) -> Result<(PathBuf, Option<tempfile::TempDir>)> {
    match &config.data_dir {
        Some(dir) => {
            std::fs::create_dir_all(dir).map_err(|source| AgentError::DataDir {
                path: dir.clone(),
                source,
            })?;
            Ok((dir.clone(), None))
        }
        None => {
            let temp = tempfile::Builder::new()
                .prefix("nomad-dev-")
                .tempdir()
                .map_err(|source| AgentError::DataDir {
                    path: std::env::temp_dir(),
                    source,
                })?;
            Ok((temp.path().to_path_buf(), Some(temp)))
        }
    }
}

/// Runs an agent until `stop` resolves (normally [`signals::shutdown_signal`]), printing Nomad's banner
/// and shutdown lines to stdout.
pub async fn run_until<F>(config: AgentConfig, stop: F) -> Result<()>
where
    F: std::future::Future<Output = &'static str>,
{
    print!("{}", banner::preamble(&config.files));
    for w in &config.warnings {
        tracing::warn!("{w}");
    }
    let started = Agent::start(config).await;
    let agent = match started {
        Ok(agent) => agent,
        Err(e) => {
            logging::release();
            return Err(e);
        }
    };
    println!("{}", agent.banner());
    logging::release();
    let signal = tokio::select! {
        signal = stop => signal,
        () = agent.join_gave_up() => {
            agent.shutdown().await;
            return Err(AgentError::Mesh("Failed to join the mesh: max join retry exhausted".into()));
        }
    };
    println!("==> Caught signal: {signal}");
    // A second signal while tasks are being stopped means "now".
    tokio::spawn(async {
        let _ = signals::shutdown_signal().await;
        println!("==> Second signal received, exiting immediately");
        std::process::exit(1);
    });
    println!("==> Gracefully shutting down agent...");
    if agent.leaves_on(signal) {
        agent.leave().await;
    }
    agent.shutdown().await;
    Ok(())
}

#[cfg(test)]
mod tests;
