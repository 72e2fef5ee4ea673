//! Raft commit on 3 servers on loopback, the way the agent runs it: openraft with its log in sled (every
//! append flushed to disk before it counts), Raft messages over QUIC on each server's RPC endpoint, the
//! state store as the state machine; writes go through the leader's `RaftApplier`, which batches
//! concurrent writes into shared log entries. Measures one writer's commit latency (p50/p99) and the commit rate
//! of `--writers` concurrent writers, each write a small `NodeRegister` command applied on the leader.
//!
//! `cargo run --release -p nomad-sim --bin raft-bench -- --writes 2000 --writers 256` (add `--unbatched`
//! for one log entry per write, as before batching).

use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Result, anyhow};
use clap::Parser;
use nomad::agent::raft::raft_id;
use nomad::agent::rpc::raft_transport::QuicRaftTransport;
use nomad::agent::rpc::{RpcEndpoint, RpcServer};
use nomad_region::raft::{
    CommandBatch, Raft, RaftApplier, RaftMember, RaftNode, RaftNodeConfig, RaftOptions,
};
use nomad_region::server::{RegionServer, ServerConfig};
use nomad_region::state::Command;
use nomad_region::structs::Node;
use tokio_util::sync::CancellationToken;

#[derive(Parser)]
struct Args {
    /// Sequential writes for the latency figure.
    #[arg(long, default_value_t = 2000)]
    writes: usize,
    /// Concurrent writers for the throughput figure.
    #[arg(long, default_value_t = 256)]
    writers: usize,
    /// Writes per concurrent writer.
    #[arg(long, default_value_t = 40)]
    per_writer: usize,
    /// Propose every write as its own log entry (`Raft::client_write`), bypassing the applier's
    /// batching: the behaviour before batching, for comparison on the same build.
    #[arg(long)]
    unbatched: bool,
    /// Most writes per log entry (`RaftOptions::write_batch_max`).
    #[arg(long, default_value_t = RaftOptions::default().write_batch_max)]
    batch_max: usize,
    /// Log entries in flight (`RaftOptions::writes_in_flight`).
    #[arg(long, default_value_t = RaftOptions::default().writes_in_flight)]
    in_flight: usize,
}

/// Commits one write through the applier (batched) or straight through openraft (unbatched).
async fn write(applier: &RaftApplier, raft: &Raft, unbatched: bool, cmd: Command) -> Result<()> {
    if unbatched {
        raft.client_write(CommandBatch::try_from(cmd)?).await?;
    } else {
        applier.write(cmd).await?;
    }
    Ok(())
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}

fn command(i: usize) -> Command {
    Command::NodeRegister {
        node: Node {
            id: format!("bench-{i}"),
            secret_id: "s".into(),
            name: format!("bench-{i}"),
            datacenter: "dc1".into(),
            status: "ready".into(),
            ..Default::default()
        },
        evals: Vec::new(),
    }
}

struct Server {
    node: RaftNode,
    rpc: RpcServer,
    endpoint: RpcEndpoint,
    _dir: tempfile::TempDir,
}

async fn start_servers(cancel: &CancellationToken, options: RaftOptions) -> Result<Vec<Server>> {
    let (endpoints, addrs, members) = nomad_sim::c1m::loopback_endpoints(3)?;
    let mut servers = Vec::new();
    for (endpoint, addr) in endpoints.into_iter().zip(&addrs) {
        let dir = tempfile::tempdir()?;
        let node = RaftNode::start(
            RaftNodeConfig {
                id: raft_id(addr),
                member: RaftMember::new(addr.clone()),
                data_dir: Some(dir.path().to_path_buf()),
                options: options.clone(),
            },
            Arc::new(QuicRaftTransport::new(endpoint.clone(), "global".into())),
        )
        .await?;
        let region = RegionServer::start_with_applier(
            ServerConfig {
                num_schedulers: 1,
                rpc_addr: addr.clone(),
                ..ServerConfig::default()
            },
            node.applier(),
            cancel.clone(),
        );
        let rpc = RpcServer::start(
            endpoint.clone(),
            region,
            Some(node.clone()),
            axum::Router::new(),
            cancel.clone(),
        );
        node.initialize(members.clone()).await?;
        servers.push(Server {
            node,
            rpc,
            endpoint,
            _dir: dir,
        });
    }
    Ok(servers)
}

async fn leader(servers: &[Server]) -> Result<(&RaftNode, Arc<RaftApplier>)> {
    let deadline = Instant::now() + Duration::from_secs(30);
    while Instant::now() < deadline {
        if let Some(s) = servers.iter().find(|s| s.node.is_leader()) {
            return Ok((&s.node, s.node.applier()));
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    Err(anyhow!("no leader within 30 s"))
}

#[tokio::main]
async fn main() -> Result<()> {
    let args = Args::parse();
    let cancel = CancellationToken::new();
    let options = RaftOptions {
        write_batch_max: args.batch_max,
        writes_in_flight: args.in_flight,
        ..RaftOptions::default()
    };
    let servers = start_servers(&cancel, options).await?;
    let (leader_node, applier) = leader(&servers).await?;
    let last_log = || {
        leader_node
            .raft()
            .metrics()
            .borrow()
            .last_log_index
            .unwrap_or(0)
    };
    // Warm up connections and the log.
    let raft = leader_node.raft().clone();
    let unbatched = args.unbatched;
    for i in 0..100 {
        write(&applier, &raft, unbatched, command(i)).await?;
    }

    let mut latencies = Vec::with_capacity(args.writes);
    for i in 0..args.writes {
        let t = Instant::now();
        write(&applier, &raft, unbatched, command(1_000 + i)).await?;
        latencies.push(t.elapsed().as_secs_f64() * 1000.0);
    }
    latencies.sort_by(|a, b| a.total_cmp(b));
    println!(
        "raft commit, 3 servers, 1 writer: p50 {:.2} ms, p99 {:.2} ms over {} writes",
        percentile(&latencies, 0.50),
        percentile(&latencies, 0.99),
        args.writes
    );

    let log_before = last_log();
    let start = Instant::now();
    let mut tasks = tokio::task::JoinSet::new();
    for w in 0..args.writers {
        let applier = applier.clone();
        let raft = raft.clone();
        let per = args.per_writer;
        tasks.spawn(async move {
            for k in 0..per {
                write(&applier, &raft, unbatched, command(1_000_000 + w * per + k)).await?;
            }
            Ok::<(), anyhow::Error>(())
        });
    }
    while let Some(r) = tasks.join_next().await {
        r??;
    }
    let total = args.writers * args.per_writer;
    let secs = start.elapsed().as_secs_f64();
    // Log entries (each one leader flush and one AppendEntries per follower) the writes took.
    let entries = last_log().saturating_sub(log_before).max(1);
    println!(
        "raft commit, 3 servers, {} concurrent writers: {:.0} commits/s ({total} commits in {secs:.2} s, \
         {entries} log entries, {:.1} commits per entry)",
        args.writers,
        total as f64 / secs,
        total as f64 / entries as f64
    );

    cancel.cancel();
    for s in &servers {
        s.rpc.stopped().await;
        s.node.shutdown().await?;
        s.endpoint.shutdown().await;
    }
    Ok(())
}
