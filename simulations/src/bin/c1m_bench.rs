//! A C1M-shaped run on the real server path: three in-process servers on loopback (sled with fsync,
//! Raft over QUIC, the state store as state machine), `--nodes` simulated client nodes registered
//! through Raft and heartbeating, then `--jobs` jobs of `--count` allocations each submitted to the
//! leader, placed by its eval broker, scheduler workers and plan applier, and committed through Raft.
//! Measures the wall time from the first job submission until every allocation is in the leader's
//! state, plus node registration time, placement rate, Raft entries, bytes written, peak RSS and CPU.
//!
//! `cargo run --release -p nomad-sim --bin c1m-bench -- --nodes 10000 --jobs 1000 --count 1000`

use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Result, anyhow};
use clap::Parser;
use nomad_region::raft::RaftOptions;
use nomad_region::server::RegisterOptions;
use nomad_sim::c1m::{
    Cluster, bytes_written, cpu_secs, dir_bytes, heartbeat_nodes, placed, register_nodes, sim_job,
    status_kb,
};

#[derive(Parser)]
struct Args {
    /// Simulated client nodes.
    #[arg(long, default_value_t = 10_000)]
    nodes: usize,
    /// Jobs submitted.
    #[arg(long, default_value_t = 1_000)]
    jobs: usize,
    /// Allocations per job (its one group's `count`).
    #[arg(long, default_value_t = 1_000)]
    count: i32,
    /// `service` or `batch`.
    #[arg(long, default_value = "service")]
    job_type: String,
    /// Scheduler workers per server (Nomad's `num_schedulers`; default: cores).
    #[arg(long)]
    schedulers: Option<usize>,
    /// Node registrations in flight at once.
    #[arg(long, default_value_t = 256)]
    register_concurrency: usize,
    /// Job submissions in flight at once.
    #[arg(long, default_value_t = 16)]
    submit_concurrency: usize,
    /// Give up after this many seconds of placement.
    #[arg(long, default_value_t = 900)]
    timeout: u64,
    /// Raft heartbeat period in ms, election timeouts at 3-6 heartbeats (default: the agent's own
    /// timing, heartbeat 25 ms and election 80-120 ms; RPC timeouts have a 2 s floor either way).
    #[arg(long)]
    raft_heartbeat_ms: Option<u64>,
    /// Where the servers' data dirs go (default: the system temp dir).
    #[arg(long)]
    data_dir: Option<std::path::PathBuf>,
}

#[tokio::main]
async fn main() -> Result<()> {
    let args = Args::parse();
    // Server warnings (refused plans, nacked evaluations) go to stderr; RUST_LOG overrides.
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn")),
        )
        .with_writer(std::io::stderr)
        .init();
    if args.job_type != "service" && args.job_type != "batch" {
        return Err(anyhow!("--job-type must be service or batch"));
    }
    let schedulers = args.schedulers.unwrap_or_else(|| {
        std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(2)
    });
    let base = args.data_dir.clone().unwrap_or_else(std::env::temp_dir);
    let options = match args.raft_heartbeat_ms {
        Some(ms) => {
            let hb = Duration::from_millis(ms.max(10));
            RaftOptions {
                heartbeat_interval: hb,
                election_timeout_min: hb * 3,
                election_timeout_max: hb * 6,
                ..RaftOptions::default()
            }
        }
        None => RaftOptions::default(),
    };
    let cluster = Cluster::start(schedulers, &base, options).await?;
    let leader = cluster.leader().await?;
    let region = leader.region.clone();
    println!(
        "3 servers up, leader {}, {schedulers} scheduler workers",
        leader.node.member().rpc_addr
    );

    let (cpu0, t0) = (cpu_secs(), Instant::now());
    register_nodes(&region, args.nodes, args.register_concurrency).await?;
    let reg_secs = t0.elapsed().as_secs_f64();
    let reg_cpu = cpu_secs() - cpu0;
    println!(
        "registered {} nodes through Raft in {reg_secs:.2} s ({:.0}/s, {reg_cpu:.1} s CPU)",
        args.nodes,
        args.nodes as f64 / reg_secs
    );
    let cancel = cluster.cancel_token();
    let heartbeats = tokio::spawn(heartbeat_nodes(region.clone(), args.nodes, cancel.clone()));

    let index0 = region.snapshot().latest_index();
    let (written0, cpu0) = (bytes_written(), cpu_secs());
    let start = Instant::now();
    let submit = {
        let region = region.clone();
        let (jobs, count, job_type) = (args.jobs, args.count, args.job_type.clone());
        let per = args.submit_concurrency.max(1);
        tokio::spawn(async move {
            let next = Arc::new(std::sync::atomic::AtomicUsize::new(0));
            let mut tasks = tokio::task::JoinSet::new();
            for _ in 0..per {
                let (region, next, job_type) = (region.clone(), next.clone(), job_type.clone());
                tasks.spawn(async move {
                    loop {
                        let j = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                        if j >= jobs {
                            return Ok::<(), anyhow::Error>(());
                        }
                        region
                            .job_register(sim_job(j, count, &job_type), RegisterOptions::default())
                            .await?;
                    }
                });
            }
            while let Some(r) = tasks.join_next().await {
                r??;
            }
            Ok::<Duration, anyhow::Error>(start.elapsed())
        })
    };

    let want = args.jobs as i64 * i64::from(args.count);
    let deadline = start + Duration::from_secs(args.timeout);
    let mut last_report = Instant::now();
    let done = loop {
        let (n, _) = placed(&region, args.jobs);
        if n >= want {
            break start.elapsed();
        }
        if Instant::now() > deadline {
            cancel.cancel();
            return Err(anyhow!("timed out with {n} of {want} allocations placed"));
        }
        if last_report.elapsed() >= Duration::from_secs(5) {
            last_report = Instant::now();
            let stats = region.broker_stats();
            println!(
                "  {:6.1} s: {n} placed ({:.0}/s), index {}, broker ready {} unacked {} waiting {} blocked {}, RSS {} MB, CPU {:.1} s",
                start.elapsed().as_secs_f64(),
                n as f64 / start.elapsed().as_secs_f64(),
                region.snapshot().latest_index(),
                stats.ready,
                stats.unacked,
                stats.waiting,
                stats.blocked,
                status_kb("VmRSS:") / 1024,
                cpu_secs() - cpu0
            );
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    let cpu = cpu_secs() - cpu0;
    let written = bytes_written() - written0;
    let submitted = submit.await??;
    let index1 = region.snapshot().latest_index();
    let secs = done.as_secs_f64();
    println!(
        "placed and committed {want} allocations ({} jobs x {}, {}) on {} nodes in {secs:.2} s wall",
        args.jobs, args.count, args.job_type, args.nodes
    );
    println!(
        "  all {} jobs acknowledged after {:.2} s; placement rate {:.0} allocs/s",
        args.jobs,
        submitted.as_secs_f64(),
        want as f64 / secs
    );
    println!(
        "  CPU {cpu:.1} s ({:.2} cores of 2) while placing; {} Raft entries ({:.1} MB written to disk by the 3 servers)",
        cpu / secs,
        index1 - index0,
        written as f64 / 1e6
    );
    // Followers apply what the leader committed.
    for s in &cluster.servers {
        let t = Instant::now();
        loop {
            let (n, _) = placed(&s.region, args.jobs);
            if n >= want || t.elapsed() > Duration::from_secs(120) {
                println!(
                    "  server {}: {n} allocations in its state (+{:.2} s), sled dir {:.1} MB",
                    s.node.member().rpc_addr,
                    t.elapsed().as_secs_f64(),
                    dir_bytes(s.dir.path()) as f64 / 1e6
                );
                break;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
    let snap = region.snapshot();
    let allocs = snap.allocs();
    let on_nodes: std::collections::HashSet<&str> =
        allocs.iter().map(|a| a.node_id.as_str()).collect();
    println!(
        "  leader state: {} allocations on {} nodes; {} evaluations; peak RSS {} MB (all 3 servers, one process)",
        allocs.len(),
        on_nodes.len(),
        snap.evals().len(),
        status_kb("VmHWM:") / 1024
    );
    drop((allocs, snap));
    cancel.cancel();
    let beats = heartbeats.await??;
    println!("  {beats} heartbeats sent");
    cluster.shutdown().await?;
    Ok(())
}
