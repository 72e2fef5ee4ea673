//! The C1M-shaped run's world: three in-process region servers on loopback (each its own sled data dir,
//! Raft over QUIC between their RPC endpoints, the state store as state machine, the real eval broker,
//! scheduler workers and plan applier on the leader), simulated client nodes that register and
//! heartbeat through the leader's `RegionHandle` as the client RPC does, the bench's jobs, and process
//! figures (CPU, peak RSS, bytes written) from `/proc/self`.

use std::cmp::Reverse;
use std::collections::{BTreeMap, BinaryHeap};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, anyhow};
use nomad::agent::raft::raft_id;
use nomad::agent::rpc::raft_transport::QuicRaftTransport;
use nomad::agent::rpc::{RpcEndpoint, RpcServer};
use nomad_region::raft::{RaftMember, RaftNode, RaftNodeConfig, RaftOptions};
use nomad_region::scheduler::testing::{mock_job, mock_node};
use nomad_region::server::{RegionHandle, RegionServer, ServerConfig};
use nomad_region::structs::{Job, Node, Resources};
use tokio_util::sync::CancellationToken;

/// One region server: Raft member, region server over it, RPC endpoint serving both.
pub struct Server {
    /// The Raft member.
    pub node: RaftNode,
    /// The region server (leader duties run only while its member leads).
    pub region: RegionHandle,
    rpc: RpcServer,
    endpoint: RpcEndpoint,
    /// Its data dir (sled under `server/raft/`), removed on drop.
    pub dir: tempfile::TempDir,
}

/// The three servers.
pub struct Cluster {
    /// Servers in start order.
    pub servers: Vec<Server>,
    cancel: CancellationToken,
}

/// RPC endpoints, their addresses (same order), and the Raft group they form.
pub type LoopbackGroup = (Vec<RpcEndpoint>, Vec<String>, BTreeMap<u64, RaftMember>);

/// `n` RPC endpoints on free loopback ports, their addresses, and the Raft group they form (IDs derived
/// from the addresses, as the agent does).
pub fn loopback_endpoints(n: usize) -> Result<LoopbackGroup> {
    let mut endpoints = Vec::new();
    for _ in 0..n {
        endpoints.push(RpcEndpoint::server("127.0.0.1:0".parse()?, "global")?);
    }
    let addrs: Vec<String> = endpoints
        .iter()
        .map(|e| e.local_addr().map(|a| a.to_string()).context("no address"))
        .collect::<Result<_>>()?;
    let members = addrs
        .iter()
        .map(|a| (raft_id(a), RaftMember::new(a.clone())))
        .collect();
    Ok((endpoints, addrs, members))
}

impl Cluster {
    /// Starts three servers, each with `num_schedulers` workers, data dirs under `base`.
    /// `options` are the Raft timings of every member.
    pub async fn start(
        num_schedulers: usize,
        base: &std::path::Path,
        options: RaftOptions,
    ) -> Result<Self> {
        let cancel = CancellationToken::new();
        let (endpoints, addrs, members) = loopback_endpoints(3)?;
        let mut servers = Vec::new();
        for (endpoint, addr) in endpoints.into_iter().zip(&addrs) {
            let dir = tempfile::tempdir_in(base)?;
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
                    num_schedulers,
                    rpc_addr: addr.clone(),
                    ..ServerConfig::default()
                },
                node.applier(),
                cancel.clone(),
            );
            let rpc = RpcServer::start(
                endpoint.clone(),
                region.clone(),
                Some(node.clone()),
                axum::Router::new(),
                cancel.clone(),
            );
            node.initialize(members.clone()).await?;
            servers.push(Server {
                node,
                region,
                rpc,
                endpoint,
                dir,
            });
        }
        Ok(Self { servers, cancel })
    }

    /// The server whose region server runs leader duties (waits up to 30 s).
    pub async fn leader(&self) -> Result<&Server> {
        let deadline = Instant::now() + Duration::from_secs(30);
        while Instant::now() < deadline {
            if let Some(s) = self
                .servers
                .iter()
                .find(|s| s.node.is_leader() && s.region.is_leader())
            {
                return Ok(s);
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        Err(anyhow!("no leader within 30 s"))
    }

    /// The shared cancellation signal (also stops the heartbeater).
    pub fn cancel_token(&self) -> CancellationToken {
        self.cancel.clone()
    }

    /// Stops everything in order: server tasks, RPC, Raft, endpoints.
    pub async fn shutdown(self) -> Result<()> {
        self.cancel.cancel();
        for s in &self.servers {
            s.region.stopped().await;
            s.rpc.stopped().await;
            s.node.shutdown().await?;
            s.endpoint.shutdown().await;
        }
        Ok(())
    }
}

/// Node `i` of the simulated fleet: a ready raw_exec client with 4000 MHz, 8192 MB, 100 GB.
pub fn sim_node(i: usize) -> Node {
    let id = format!("00000000-0000-4000-8000-{i:012}");
    let mut node = mock_node(&id);
    node.name = format!("sim-{i:05}");
    node.secret_id = format!("secret-{i}");
    node
}

/// Job `j`: one group of `count` raw_exec tasks of 20 MHz and 32 MB (so 1,000,000 fit on 10,000
/// of [`sim_node`]), `service` or `batch`.
pub fn sim_job(j: usize, count: i32, job_type: &str) -> Job {
    let mut job = mock_job(&format!("c1m-{j:04}"), count);
    job.job_type = job_type.to_string();
    for tg in &mut job.task_groups {
        for t in &mut tg.tasks {
            t.resources = Some(Resources {
                cpu: Some(20),
                memory_mb: Some(32),
                ..Default::default()
            });
        }
    }
    job
}

/// Registers nodes `0..n` through the leader with `concurrency` writers in flight.
pub async fn register_nodes(region: &RegionHandle, n: usize, concurrency: usize) -> Result<()> {
    let next = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let mut tasks = tokio::task::JoinSet::new();
    for _ in 0..concurrency.max(1) {
        let region = region.clone();
        let next = next.clone();
        tasks.spawn(async move {
            loop {
                let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                if i >= n {
                    return Ok::<(), anyhow::Error>(());
                }
                region
                    .node_register(sim_node(i))
                    .await
                    .with_context(|| format!("registering node {i}"))?;
            }
        });
    }
    while let Some(r) = tasks.join_next().await {
        r??;
    }
    Ok(())
}

/// Heartbeats every node at half its TTL, as a client does, until `cancel`; returns how many
/// heartbeats it sent. Heartbeats that change nothing are not Raft writes (as in Nomad).
pub async fn heartbeat_nodes(
    region: RegionHandle,
    n: usize,
    cancel: CancellationToken,
) -> Result<u64> {
    let mut due: BinaryHeap<Reverse<(Instant, usize)>> = BinaryHeap::new();
    let start = Instant::now();
    for i in 0..n {
        // Nodes registered first got the shortest TTLs (10 s + jitter): start early and spread.
        due.push(Reverse((
            start + Duration::from_millis((i as u64) % 4000),
            i,
        )));
    }
    let mut sent = 0u64;
    while let Some(Reverse((at, i))) = due.pop() {
        tokio::select! {
            _ = cancel.cancelled() => break,
            _ = tokio::time::sleep_until(at.into()) => {}
        }
        let ttl = region
            .node_heartbeat(&sim_node_id(i))
            .await
            .with_context(|| format!("heartbeat of node {i}"))?;
        sent += 1;
        let half = Duration::from_nanos(u64::try_from(ttl / 2).unwrap_or(0));
        due.push(Reverse((
            Instant::now() + half.max(Duration::from_secs(1)),
            i,
        )));
    }
    Ok(sent)
}

fn sim_node_id(i: usize) -> String {
    format!("00000000-0000-4000-8000-{i:012}")
}

/// Allocations of the bench's jobs in a server's state (starting + running, from the job
/// summaries), and how many of those jobs exist there.
pub fn placed(region: &RegionHandle, jobs: usize) -> (i64, usize) {
    let snap = region.snapshot();
    let mut total = 0;
    let mut present = 0;
    for j in 0..jobs {
        if let Some(s) = snap.job_summary("default", &format!("c1m-{j:04}")) {
            present += 1;
            total += s
                .summary
                .values()
                .map(|g| g.starting + g.running)
                .sum::<i64>();
        }
    }
    (total, present)
}

/// Process CPU seconds so far (user + system, all threads).
pub fn cpu_secs() -> f64 {
    let Ok(stat) = std::fs::read_to_string("/proc/self/stat") else {
        return 0.0;
    };
    let Some(rest) = stat.rsplit(')').next() else {
        return 0.0;
    };
    let f: Vec<&str> = rest.split_whitespace().collect();
    let ticks = |i: usize| f.get(i).and_then(|v| v.parse::<f64>().ok()).unwrap_or(0.0);
    // utime and stime are fields 14 and 15, at 11 and 12 after the command name; 100 ticks/s.
    (ticks(11) + ticks(12)) / 100.0
}

/// A `/proc/self/status` field in kB (`VmHWM`: peak RSS, `VmRSS`: current).
pub fn status_kb(field: &str) -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with(field))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|v| v.parse().ok())
        })
        .unwrap_or(0)
}

/// Bytes this process caused to be written to storage so far (`/proc/self/io` `write_bytes`).
pub fn bytes_written() -> u64 {
    std::fs::read_to_string("/proc/self/io")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("write_bytes:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|v| v.parse().ok())
        })
        .unwrap_or(0)
}

/// Total size of the files under `dir`.
pub fn dir_bytes(dir: &std::path::Path) -> u64 {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return 0;
    };
    entries
        .flatten()
        .map(|e| match e.metadata() {
            Ok(m) if m.is_dir() => dir_bytes(&e.path()),
            Ok(m) => m.len(),
            Err(_) => 0,
        })
        .sum()
}
