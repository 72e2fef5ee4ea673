//! `LocalRpc`: the client's [`ServerRpc`] served in-process by the region server of the same agent. This
//! is the seam a later issue replaces with RPC over QUIC; it translates calls and errors, nothing more.

use std::time::{Duration, Instant};

use nomad_region::server::{RegionError, RegionHandle};
use nomad_region::state::{StateError, StateSnapshot, Table};
use nomad_region::structs::{Allocation, Node};

use crate::client::{RpcError, RpcResult, ServerRpc};

/// Client-to-server calls against the local region server.
#[derive(Clone)]
pub struct LocalRpc {
    region: RegionHandle,
}

impl LocalRpc {
    pub fn new(region: RegionHandle) -> Self {
        LocalRpc { region }
    }
}

fn map_err(node_id: &str, e: RegionError) -> RpcError {
    match e {
        RegionError::NotFound(_) | RegionError::State(StateError::NodeNotFound(_)) => {
            RpcError::UnknownNode(node_id.to_string())
        }
        RegionError::ShuttingDown | RegionError::NoLeader => RpcError::Unavailable(e.to_string()),
        other => RpcError::Server(other.to_string()),
    }
}

fn ttl(nanos: i64) -> Duration {
    Duration::from_nanos(u64::try_from(nanos).unwrap_or(0))
}

/// The index that says whether `node_id`'s allocations changed: the newest modify index among them, or
/// the allocation table's index when it has none.
pub fn node_allocs_index(snap: &StateSnapshot, node_id: &str) -> (Vec<Allocation>, u64) {
    let allocs: Vec<Allocation> = snap
        .allocs_by_node(node_id)
        .iter()
        .map(|a| (**a).clone())
        .collect();
    let index = allocs
        .iter()
        .map(|a| a.modify_index)
        .max()
        .unwrap_or_else(|| snap.index(Table::Allocs));
    (allocs, index.max(1))
}

impl ServerRpc for LocalRpc {
    async fn register_node(&self, node: Node) -> RpcResult<Duration> {
        let id = node.id.clone();
        let resp = self
            .region
            .node_register(node)
            .await
            .map_err(|e| map_err(&id, e))?;
        Ok(ttl(resp.heartbeat_ttl))
    }

    async fn heartbeat(&self, node_id: String) -> RpcResult<Duration> {
        let nanos = self
            .region
            .node_heartbeat(&node_id)
            .await
            .map_err(|e| map_err(&node_id, e))?;
        Ok(ttl(nanos))
    }

    async fn allocs_for_node(
        &self,
        node_id: String,
        min_index: u64,
        wait: Duration,
    ) -> RpcResult<(Vec<Allocation>, u64)> {
        let deadline = Instant::now() + wait;
        let mut snap = self.region.snapshot();
        loop {
            let (allocs, index) = node_allocs_index(&snap, &node_id);
            let now = Instant::now();
            if index > min_index || now >= deadline {
                return Ok((allocs, index));
            }
            snap = self
                .region
                .wait_for_index(snap.latest_index(), deadline - now)
                .await;
        }
    }

    async fn update_allocs(&self, allocs: Vec<Allocation>) -> RpcResult<()> {
        self.region
            .alloc_client_update(allocs)
            .await
            .map(|_| ())
            .map_err(|e| map_err("", e))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use nomad_region::server::{RegionServer, ServerConfig};
    use tokio_util::sync::CancellationToken;

    fn node(id: &str) -> Node {
        Node {
            id: id.into(),
            secret_id: "s".into(),
            datacenter: "dc1".into(),
            name: "n".into(),
            status: "ready".into(),
            ..Default::default()
        }
    }

    #[tokio::test]
    async fn register_heartbeat_and_unknown_node() -> Result<(), RpcError> {
        let cancel = CancellationToken::new();
        let region = RegionServer::start(
            ServerConfig {
                num_schedulers: 1,
                ..ServerConfig::default()
            },
            cancel.clone(),
        );
        let rpc = LocalRpc::new(region.clone());
        let ttl = rpc.register_node(node("n1")).await?;
        assert!(ttl > Duration::ZERO);
        assert!(rpc.heartbeat("n1".into()).await? > Duration::ZERO);
        assert_eq!(
            rpc.heartbeat("ghost".into()).await,
            Err(RpcError::UnknownNode("ghost".into()))
        );
        // No allocations: the query answers with the table's index once the wait is over.
        let (allocs, index) = rpc
            .allocs_for_node("n1".into(), 0, Duration::from_millis(10))
            .await?;
        assert!(allocs.is_empty());
        assert!(index >= 1);
        let (_, again) = rpc
            .allocs_for_node("n1".into(), index, Duration::from_millis(20))
            .await?;
        assert_eq!(again, index, "nothing changed, so the index did not move");
        cancel.cancel();
        region.stopped().await;
        Ok(())
    }
}
