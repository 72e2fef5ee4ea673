//! `RpcServer`: answers RPC calls on a server agent's RPC port. Each connection is served by its own
//! task, each call (bi stream) by another; the region is checked first, so a client of another region is
//! told so instead of being registered. A follower forwards writes and heartbeats to the leader (whose
//! heartbeat timers decide when a node is down) and answers blocking queries from its own state.

use std::net::SocketAddr;
use std::time::Duration;

use nomad_region::raft::RaftNode;
use nomad_region::server::RegionHandle;
use quinn::{Connection, RecvStream, SendStream};
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use super::endpoint::RpcEndpoint;
use super::wire::{self, Envelope, Reply, Request, WireError};
use crate::agent::LocalRpc;
use crate::client::{RpcError, ServerRpc};

/// Longest blocking query a caller may ask for (Nomad caps `wait` at 10 minutes).
const MAX_WAIT: Duration = Duration::from_secs(600);
/// Deadline of a call forwarded to the leader (blocking queries are never forwarded).
const FORWARD_TIMEOUT: Duration = Duration::from_secs(30);

/// What answers calls.
#[derive(Clone)]
struct Ctx {
    region: RegionHandle,
    local: LocalRpc,
    raft: Option<RaftNode>,
    endpoint: RpcEndpoint,
    self_addr: String,
    /// This server's `/v1` router, for HTTP requests carried from client-only agents.
    router: axum::Router,
}

/// The running RPC server; stops with its cancellation token.
pub struct RpcServer {
    tasks: TaskTracker,
}

impl RpcServer {
    /// Serves calls arriving on `endpoint` until `cancel` fires.
    pub fn start(
        endpoint: RpcEndpoint,
        region: RegionHandle,
        raft: Option<RaftNode>,
        router: axum::Router,
        cancel: CancellationToken,
    ) -> RpcServer {
        let ctx = Ctx {
            local: LocalRpc::new(region.clone()),
            self_addr: region.config().rpc_addr.clone(),
            region,
            raft,
            endpoint,
            router,
        };
        let tasks = TaskTracker::new();
        tasks.spawn(accept_loop(ctx, tasks.clone(), cancel));
        RpcServer { tasks }
    }

    /// Waits until the accept loop and every call in flight ended (after cancellation).
    pub async fn stopped(&self) {
        self.tasks.close();
        self.tasks.wait().await;
    }
}

async fn accept_loop(ctx: Ctx, tasks: TaskTracker, cancel: CancellationToken) {
    loop {
        let incoming = tokio::select! {
            _ = cancel.cancelled() => break,
            i = ctx.endpoint.quinn().accept() => match i { Some(i) => i, None => break },
        };
        let (ctx2, tasks2, cancel2) = (ctx.clone(), tasks.clone(), cancel.clone());
        tasks.spawn(async move {
            match incoming.await {
                Ok(conn) => serve_connection(ctx2, conn, tasks2, cancel2).await,
                Err(e) => tracing::debug!(error = %e, "rpc handshake failed"),
            }
        });
    }
}

async fn serve_connection(
    ctx: Ctx,
    conn: Connection,
    tasks: TaskTracker,
    cancel: CancellationToken,
) {
    let peer = conn.remote_address();
    loop {
        let (send, recv) = tokio::select! {
            _ = cancel.cancelled() => return,
            s = conn.accept_bi() => match s { Ok(s) => s, Err(_) => return },
        };
        let ctx = ctx.clone();
        let cancel = cancel.clone();
        tasks.spawn(async move {
            tokio::select! {
                _ = cancel.cancelled() => {}
                r = serve_call(&ctx, send, recv) => if let Err(e) = r {
                    tracing::debug!(%peer, error = %e, "rpc call failed");
                },
            }
        });
    }
}

async fn serve_call(
    ctx: &Ctx,
    mut send: SendStream,
    mut recv: RecvStream,
) -> Result<(), wire::FrameError> {
    let envelope: Envelope = wire::read_msg(&mut recv).await?;
    let reply = dispatch(ctx, envelope).await;
    wire::write_msg(&mut send, &reply).await?;
    send.finish()?;
    // Let the reply reach the caller before the stream is dropped.
    let _ = send.stopped().await;
    Ok(())
}

fn to_wire(e: RpcError) -> WireError {
    match e {
        RpcError::UnknownNode(n) => WireError::UnknownNode(n),
        RpcError::Unavailable(m) => WireError::Unavailable(m),
        RpcError::Server(m) => WireError::Server(m),
    }
}

async fn dispatch(ctx: &Ctx, envelope: Envelope) -> Reply {
    let own_region = &ctx.region.config().region;
    if &envelope.region != own_region {
        return Reply::Error(WireError::WrongRegion {
            server: own_region.clone(),
            client: envelope.region,
        });
    }
    let forward = matches!(
        envelope.request,
        Request::RegisterNode(_) | Request::Heartbeat { .. } | Request::UpdateAllocs(_)
    );
    if forward
        && !ctx.region.is_leader()
        && let Some(leader) = ctx.region.leader_addr()
        && leader != ctx.self_addr
        && let Ok(addr) = leader.parse::<SocketAddr>()
    {
        return match ctx.endpoint.call(addr, &envelope, FORWARD_TIMEOUT).await {
            Ok(reply) => reply,
            Err(e) => Reply::Error(WireError::Unavailable(format!(
                "forwarding to the leader: {e}"
            ))),
        };
    }
    let out = match envelope.request {
        Request::RegisterNode(node) => ctx
            .local
            .register_node(*node)
            .await
            .map(|ttl| Reply::Ttl(nanos(ttl))),
        Request::Heartbeat { node_id } => ctx
            .local
            .heartbeat(node_id)
            .await
            .map(|ttl| Reply::Ttl(nanos(ttl))),
        Request::AllocsForNode {
            node_id,
            min_index,
            wait_ms,
        } => {
            let wait = Duration::from_millis(wait_ms).min(MAX_WAIT);
            ctx.local
                .allocs_for_node(node_id, min_index, wait)
                .await
                .map(|(a, i)| Reply::Allocs(a, i))
        }
        Request::UpdateAllocs(allocs) => {
            ctx.local.update_allocs(allocs).await.map(|()| Reply::Done)
        }
        Request::Http(call) => {
            return Reply::Http(super::http_forward::serve(ctx.router.clone(), call).await);
        }
        Request::Raft(bytes) => {
            return match &ctx.raft {
                Some(node) => match node.handle_rpc(&bytes).await {
                    Ok(reply) => Reply::Raft(reply),
                    Err(e) => Reply::Error(WireError::Server(e.to_string())),
                },
                None => Reply::Error(WireError::Unsupported("raft".into())),
            };
        }
    };
    out.unwrap_or_else(|e| Reply::Error(to_wire(e)))
}

fn nanos(d: Duration) -> u64 {
    u64::try_from(d.as_nanos()).unwrap_or(u64::MAX)
}
