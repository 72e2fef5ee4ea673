//! Times the scheduler alone: one 1,000-allocation service job placed on 10,000
//! in-memory nodes (BENCHMARKS.md target: p50 <= 50 ms).
//!
//! `cargo run --release -p nomad-region --no-default-features --example scheduler_bench [runs]`

use std::time::Instant;

use nomad_region::scheduler::generic::compute;
use nomad_region::scheduler::testing::{Harness, mock_job, mock_node, register_eval};
use nomad_region::scheduler::{SchedulerContext, process_eval};

const NODES: usize = 10_000;
const COUNT: i32 = 1_000;

fn main() {
    let runs: usize = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(30);
    let mut base = Harness::default();
    for i in 0..NODES {
        base.state.upsert_node(mock_node(&format!("node-{i:05}")));
    }
    let mut times = Vec::with_capacity(runs);
    for run in 0..runs {
        let mut h = Harness {
            state: base.state.clone(),
            ..Default::default()
        };
        let job = (*h.state.upsert_job(mock_job("bench", COUNT))).clone();
        let eval = register_eval("bench-eval", &job);
        let snap = h.snapshot();
        let mut ctx = SchedulerContext::new(0, run as u64 + 1);
        let start = Instant::now();
        if let Err(e) = process_eval(&snap, &mut h, &eval, &mut ctx) {
            eprintln!("run {run}: {e}");
            std::process::exit(1);
        }
        times.push(start.elapsed());
        let placed = h.state.live_allocs().len();
        if placed != COUNT as usize {
            eprintln!("run {run}: placed {placed} of {COUNT}");
            std::process::exit(1);
        }
    }
    // The same work without the in-memory plan applier: scheduling alone.
    let mut compute_times = Vec::with_capacity(runs);
    let mut cpu_ms = 0.0;
    for run in 0..runs {
        let mut st = base.state.clone();
        let job = st.upsert_job(mock_job("bench", COUNT));
        let eval = register_eval("bench-eval", &job);
        let mut ctx = SchedulerContext::new(0, run as u64 + 1);
        let cpu0 = process_cpu_ms();
        let start = Instant::now();
        let c = compute(&st, &eval, Some(&job), &mut ctx);
        compute_times.push(start.elapsed());
        cpu_ms += process_cpu_ms() - cpu0;
        let placed: usize = c.plan.node_allocation.values().map(Vec::len).sum();
        assert_eq!(placed, COUNT as usize);
    }
    compute_times.sort();
    println!(
        "compute only (no plan apply): p50 {:.1} ms wall, mean {:.1} ms CPU",
        compute_times[compute_times.len() / 2].as_secs_f64() * 1e3,
        cpu_ms / runs as f64
    );
    times.sort();
    let pct = |p: f64| times[((times.len() as f64 * p).ceil() as usize).clamp(1, times.len()) - 1];
    println!(
        "scheduler: {COUNT} allocations on {NODES} nodes, {runs} runs: p50 {:.1} ms, p99 {:.1} ms, min {:.1} ms",
        pct(0.50).as_secs_f64() * 1e3,
        pct(0.99).as_secs_f64() * 1e3,
        times[0].as_secs_f64() * 1e3,
    );
}

/// CPU time of this process so far (Linux `/proc/self/stat`, 10 ms ticks; 0
/// elsewhere). On a loaded machine wall time overstates the scheduler's cost.
fn process_cpu_ms() -> f64 {
    let Ok(stat) = std::fs::read_to_string("/proc/self/stat") else {
        return 0.0;
    };
    let Some(rest) = stat.rsplit(')').next() else {
        return 0.0;
    };
    let f: Vec<&str> = rest.split_whitespace().collect();
    let ticks = |i: usize| f.get(i).and_then(|v| v.parse::<f64>().ok()).unwrap_or(0.0);
    // Fields 14 and 15 (utime, stime) are at 11 and 12 after the command name.
    (ticks(11) + ticks(12)) * 10.0
}
