//! `mesh-sim`: runs the deterministic mesh simulation and prints CSV.
//!
//! ```text
//! mesh-sim --members 1000 --loss 0.05 --latency 2 --seed 1 --duration 600
//! mesh-sim --members 10000 --seeded --duration 0
//! ```

use std::time::Duration;

use anyhow::Result;
use clap::Parser;
use nomad_sim::mesh::{MeshSimConfig, csv_header, csv_row, run, summary};

#[derive(Parser, Debug)]
#[command(
    name = "mesh-sim",
    about = "Deterministic simulation of the server mesh"
)]
struct Args {
    /// Members started before the measurements.
    #[arg(long, default_value_t = 100)]
    members: usize,
    /// Probability (0..1) that a datagram is lost.
    #[arg(long, default_value_t = 0.0)]
    loss: f64,
    /// One-way latency in milliseconds.
    #[arg(long, default_value_t = 1)]
    latency: u64,
    /// Extra random latency in milliseconds (0..=jitter).
    #[arg(long, default_value_t = 0)]
    jitter: u64,
    /// Seed; the same seed reproduces the same run.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Steady window in simulated seconds.
    #[arg(long, default_value_t = 60)]
    duration: u64,
    /// Runs with seeds seed, seed+1, ...
    #[arg(long, default_value_t = 1)]
    runs: u64,
    /// Nomad's WAN timing instead of LAN.
    #[arg(long)]
    wan: bool,
    /// Milliseconds between two members starting.
    #[arg(long, default_value_t = 10)]
    join_spacing: u64,
    /// Start from a converged mesh (every member told every member's record
    /// and liveness at once) instead of the staggered mass start; the
    /// join, update and failure are still measured through the protocol,
    /// convergence of the start is not. For big meshes, whose mass start
    /// takes minutes of simulated time.
    #[arg(long)]
    seeded: bool,
}

fn main() -> Result<()> {
    let args = Args::parse();
    println!("{}", csv_header());
    for k in 0..args.runs.max(1) {
        let cfg = MeshSimConfig {
            members: args.members,
            loss: args.loss,
            latency: Duration::from_millis(args.latency),
            jitter: Duration::from_millis(args.jitter),
            seed: args.seed.wrapping_add(k),
            duration: Duration::from_secs(args.duration),
            wan: args.wan,
            join_spacing: Duration::from_millis(args.join_spacing),
            seeded: args.seeded,
        };
        let report = run(&cfg)?;
        println!("{}", csv_row(&cfg, &report));
        eprintln!("{}\n", summary(&cfg, &report));
    }
    Ok(())
}
