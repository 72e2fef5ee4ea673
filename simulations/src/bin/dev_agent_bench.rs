//! Measures a real `nomad agent -dev` the way a user meets it: start -> leader and node ready, idle RSS,
//! and submit -> task running for raw_exec jobs (p50/p99 over `--runs`). Prints one line per figure.
//!
//! `cargo build --release && cargo run --release -p nomad-sim --bin dev-agent-bench -- --nomad target/release/nomad`

use std::time::{Duration, Instant};

use anyhow::Result;
use clap::Parser;
use nomad_sim::dev_agent::{DevAgent, percentile};
use serde_json::json;

#[derive(Parser)]
struct Args {
    /// The `nomad` binary to measure.
    #[arg(long, default_value = "target/release/nomad")]
    nomad: String,
    /// How many jobs to submit for the submit -> running figure.
    #[arg(long, default_value_t = 200)]
    runs: usize,
}

fn main() -> Result<()> {
    let args = Args::parse();
    let (agent, ready_in) = DevAgent::start(&args.nomad)?;
    println!(
        "agent start -> leader and node ready: {:.1} ms",
        ready_in.as_secs_f64() * 1000.0
    );

    std::thread::sleep(Duration::from_secs(2));
    println!(
        "idle RSS of the dev agent: {:.1} MiB",
        agent.rss_kib()? / 1024.0
    );

    let mut samples = Vec::with_capacity(args.runs);
    for i in 0..args.runs {
        let id = format!("bench-{i}");
        let job = json!({"Job": {"ID": id, "Type": "service", "Datacenters": ["dc1"], "TaskGroups": [{
            "Name": "g", "Count": 1,
            "Tasks": [{"Name": "t", "Driver": "raw_exec",
                       "Config": {"command": "/bin/sleep", "args": ["600"]},
                       "Resources": {"CPU": 10, "MemoryMB": 10}}]}]}});
        let t0 = Instant::now();
        agent.submit(&job)?;
        agent.wait_running(&id, 1, Duration::from_secs(30))?;
        samples.push(t0.elapsed().as_secs_f64() * 1000.0);
        // Free the node for the next run.
        agent.purge(&id)?;
    }
    samples.sort_by(f64::total_cmp);
    println!(
        "submit -> running (raw_exec, {} runs): p50 {:.1} ms, p99 {:.1} ms",
        samples.len(),
        percentile(&samples, 0.5),
        percentile(&samples, 0.99)
    );
    Ok(())
}
