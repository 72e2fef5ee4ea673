//! RPC over real QUIC on loopback: a client fails over from a dead server to a live one, and a server
//! refuses a client of another region.

use std::net::SocketAddr;
use std::time::Duration;

use nomad_region::server::{RegionServer, ServerConfig};
use nomad_region::structs::Node;
use tokio_util::sync::CancellationToken;

use super::{RemoteRpc, RpcEndpoint, RpcServer};
use crate::client::{RpcError, ServerRpc};

type TestResult = Result<(), Box<dyn std::error::Error + Send + Sync>>;

fn node(id: &str) -> Node {
    Node {
        id: id.into(),
        secret_id: "s".into(),
        datacenter: "dc1".into(),
        name: id.into(),
        status: "ready".into(),
        ..Default::default()
    }
}

fn dead_addr() -> Result<String, std::io::Error> {
    // Bound then released: nothing answers there.
    let s = std::net::UdpSocket::bind("127.0.0.1:0")?;
    Ok(s.local_addr()?.to_string())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn client_fails_over_to_a_live_server_and_regions_are_checked() -> TestResult {
    let cancel = CancellationToken::new();
    let region = RegionServer::start(
        ServerConfig {
            num_schedulers: 1,
            ..ServerConfig::default()
        },
        cancel.clone(),
    );
    let bind: SocketAddr = "127.0.0.1:0".parse()?;
    let endpoint = RpcEndpoint::server(bind, "global")?;
    let live = endpoint.local_addr().ok_or("no address")?.to_string();
    let server = RpcServer::start(
        endpoint.clone(),
        region.clone(),
        None,
        axum::Router::new(),
        cancel.clone(),
    );

    let client_ep = RpcEndpoint::client("global")?;
    let rpc = RemoteRpc::new(
        client_ep.clone(),
        "global".into(),
        vec![dead_addr()?, live.clone()],
    );
    let ttl = rpc.register_node(node("n1")).await?;
    assert!(ttl > Duration::ZERO);
    assert!(rpc.heartbeat("n1".into()).await? > Duration::ZERO);
    assert_eq!(
        rpc.heartbeat("ghost".into()).await,
        Err(RpcError::UnknownNode("ghost".into()))
    );
    let (allocs, index) = rpc
        .allocs_for_node("n1".into(), 0, Duration::from_millis(50))
        .await?;
    assert!(allocs.is_empty());
    assert!(index >= 1);
    assert!(region.snapshot().node_by_id("n1").is_some());

    let west = RemoteRpc::new(client_ep.clone(), "west".into(), vec![live]);
    match west.register_node(node("w1")).await {
        Err(RpcError::Unavailable(m)) => {
            assert!(
                m.contains("server is in region \"global\", not \"west\""),
                "{m}"
            )
        }
        other => return Err(format!("expected a region refusal, got {other:?}").into()),
    }
    assert!(region.snapshot().node_by_id("w1").is_none());

    let nobody = RemoteRpc::new(client_ep.clone(), "global".into(), vec![dead_addr()?]);
    assert!(matches!(
        nobody.heartbeat("n1".into()).await,
        Err(RpcError::Unavailable(m)) if m.contains("cannot reach")
    ));

    cancel.cancel();
    server.stopped().await;
    region.stopped().await;
    client_ep.shutdown().await;
    endpoint.shutdown().await;
    Ok(())
}
