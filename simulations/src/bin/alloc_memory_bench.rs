//! Per-allocation memory overhead on the client: RSS of a real `nomad agent -dev`
//! process (the agent only, not its tasks) before and after it runs `--allocs`
//! raw_exec allocations of `/bin/sleep 600` (one job, `count = --allocs`), divided
//! by the number of allocations, plus what each task's executor process costs (its
//! unique set size, and its proportional one). Both readings are taken after the agent settled.
//!
//! `cargo build --release --bin nomad -p nomad --bin alloc-memory-bench -p nomad-sim &&
//!  target/release/alloc-memory-bench --nomad target/release/nomad --allocs 100`

use std::time::Duration;

use anyhow::Result;
use clap::Parser;
use nomad_sim::dev_agent::DevAgent;
use serde_json::json;

#[derive(Parser)]
struct Args {
    /// The `nomad` binary to measure.
    #[arg(long, default_value = "target/release/nomad")]
    nomad: String,
    /// How many allocations to place.
    #[arg(long, default_value_t = 100)]
    allocs: usize,
    /// Seconds to let the agent settle before each reading.
    #[arg(long, default_value_t = 5)]
    settle: u64,
}

fn main() -> Result<()> {
    let args = Args::parse();
    let (agent, _) = DevAgent::start(&args.nomad)?;
    let settle = Duration::from_secs(args.settle);
    std::thread::sleep(settle);
    let before = agent.rss_kib()?;
    let job = json!({"Job": {"ID": "sleepers", "Type": "service", "Datacenters": ["dc1"], "TaskGroups": [{
        "Name": "g", "Count": args.allocs,
        "Tasks": [{"Name": "t", "Driver": "raw_exec",
                   "Config": {"command": "/bin/sleep", "args": ["600"]},
                   "Resources": {"CPU": 10, "MemoryMB": 10}}]}]}});
    agent.submit(&job)?;
    agent.wait_running("sleepers", args.allocs, Duration::from_secs(300))?;
    std::thread::sleep(settle);
    let after = agent.rss_kib()?;
    let (executors, uss, pss) = agent.executors_kib()?;
    println!("agent RSS before: {:.1} MiB", before / 1024.0);
    println!(
        "agent RSS with {} running raw_exec allocations: {:.1} MiB",
        args.allocs,
        after / 1024.0
    );
    println!(
        "per allocation: {:.1} KiB ({:.3} MiB)",
        (after - before) / args.allocs as f64,
        (after - before) / args.allocs as f64 / 1024.0
    );
    println!(
        "executors: {executors}, unique {:.1} KiB each, proportional {:.1} KiB each",
        uss / executors.max(1) as f64,
        pss / executors.max(1) as f64
    );
    println!(
        "per allocation, agent growth + executor unique: {:.1} KiB ({:.3} MiB)",
        (after - before + uss) / args.allocs as f64,
        (after - before + uss) / args.allocs as f64 / 1024.0
    );
    agent.stop_and_wait("sleepers", Duration::from_secs(120))?;
    Ok(())
}
