//! Node registration and heartbeats: registers the node as `ready` (retrying until
//! a server accepts), then heartbeats at half the TTL the servers give, and
//! re-registers when the servers no longer know the node.

use std::sync::Arc;
use std::time::Duration;

use nomad_region::structs::{NODE_STATUS_READY, Node};
use tokio::sync::watch;
use tokio_util::sync::CancellationToken;

use super::rpc::{RpcError, ServerRpc};

/// Registers `node` until it succeeds; returns the TTL, or `None` when cancelled.
pub async fn register<R: ServerRpc>(
    rpc: &R,
    node: &Node,
    retry: Duration,
    cancel: &CancellationToken,
) -> Option<Duration> {
    let mut node = node.clone();
    node.status = NODE_STATUS_READY.into();
    loop {
        match rpc.register_node(node.clone()).await {
            Ok(ttl) => {
                tracing::info!(node_id = %node.id, "node registration complete");
                return Some(ttl);
            }
            Err(e) => tracing::warn!(error = %e, "error registering node; retrying"),
        }
        tokio::select! {
            _ = tokio::time::sleep(retry) => {}
            _ = cancel.cancelled() => return None,
        }
    }
}

/// Registers, signals `registered`, then heartbeats until `cancel`.
pub async fn run<R: ServerRpc>(
    rpc: Arc<R>,
    node: Node,
    retry: Duration,
    registered: watch::Sender<bool>,
    cancel: CancellationToken,
) {
    let Some(mut ttl) = register(rpc.as_ref(), &node, retry, &cancel).await else {
        return;
    };
    let _ = registered.send(true);
    loop {
        // Half the TTL leaves room for one lost heartbeat before the servers give up.
        let wait = (ttl / 2).max(Duration::from_millis(10));
        tokio::select! {
            _ = tokio::time::sleep(wait) => {}
            _ = cancel.cancelled() => return,
        }
        ttl = match rpc.heartbeat(node.id.clone()).await {
            Ok(t) => t,
            Err(RpcError::UnknownNode(_)) => {
                tracing::warn!("servers do not know this node; registering again");
                match register(rpc.as_ref(), &node, retry, &cancel).await {
                    Some(t) => t,
                    None => return,
                }
            }
            Err(e) => {
                tracing::warn!(error = %e, "heartbeat failed");
                retry * 2
            }
        };
    }
}
