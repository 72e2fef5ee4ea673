//! Per-allocation memory overhead on the client: RSS of a real `nomad agent -dev`
//! process (the agent only, not its tasks) before and after it runs `--allocs`
//! raw_exec allocations of `/bin/sleep 600` (one job, `count = --allocs`), divided
//! by the number of allocations, plus what the process between agent and task costs
//! (raw_exec's executor, exec's supervisor: its anonymous memory, and its proportional set
//! size, which splits the pages it shares with the agent or its peers among them; the
//! total counts that one). Both readings are taken after the agent settled. `--driver exec` runs the same
//! job under the exec driver (root and cgroups needed).
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
    /// The task driver: raw_exec or exec.
    #[arg(long, default_value = "raw_exec")]
    driver: String,
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
        "Tasks": [{"Name": "t", "Driver": args.driver,
                   "Config": {"command": "/bin/sleep", "args": ["600"]},
                   "Resources": {"CPU": 10, "MemoryMB": 10}}]}]}});
    agent.submit(&job)?;
    agent.wait_running("sleepers", args.allocs, Duration::from_secs(300))?;
    std::thread::sleep(settle);
    let after = agent.rss_kib()?;
    let (children, anon, pss) = agent.children_kib()?;
    println!("agent RSS before: {:.1} MiB", before / 1024.0);
    println!(
        "agent RSS with {} running {} allocations: {:.1} MiB",
        args.allocs,
        args.driver,
        after / 1024.0
    );
    println!(
        "per allocation: {:.1} KiB ({:.3} MiB)",
        (after - before) / args.allocs as f64,
        (after - before) / args.allocs as f64 / 1024.0
    );
    println!(
        "processes between agent and task: {children}, anonymous {:.1} KiB each, proportional {:.1} KiB each",
        anon / children.max(1) as f64,
        pss / children.max(1) as f64
    );
    println!(
        "per allocation, agent growth + their proportional set size: {:.1} KiB ({:.3} MiB)",
        (after - before + pss) / args.allocs as f64,
        (after - before + pss) / args.allocs as f64 / 1024.0
    );
    agent.stop_and_wait("sleepers", Duration::from_secs(120))?;
    Ok(())
}
