//! `federation-sim`: 50 regions x 5 servers in one simulated mesh, a partition (two servers of one
//! region, all of another) and a heal; prints detection, forwarding failover and recovery times.
//!
//! ```text
//! federation-sim --regions 50 --servers 5 --seed 1 [--lan]
//! ```

use std::time::Duration;

use anyhow::Result;
use clap::Parser;
use nomad_sim::federation::{FederationSimConfig, Forwarding, run};

#[derive(Parser, Debug)]
#[command(
    name = "federation-sim",
    about = "Simulated multi-region federation: partition and heal"
)]
struct Args {
    #[arg(long, default_value_t = 50)]
    regions: usize,
    #[arg(long, default_value_t = 5)]
    servers: usize,
    /// One-way latency in milliseconds.
    #[arg(long, default_value_t = 10)]
    latency: u64,
    /// Extra random latency in milliseconds.
    #[arg(long, default_value_t = 5)]
    jitter: u64,
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// LAN timing instead of Nomad's WAN default for servers.
    #[arg(long)]
    lan: bool,
    /// Partition length in simulated seconds.
    #[arg(long, default_value_t = 60)]
    partition: u64,
}

fn secs(d: Option<Duration>) -> String {
    d.map_or("never".to_owned(), |d| format!("{:.2} s", d.as_secs_f64()))
}

fn line(what: &str, f: &Forwarding) {
    println!(
        "{what}: {} requests, {} answered, {} retried; p50 {:.3} s, p99 {:.3} s, max {:.3} s; last slow one at {}",
        f.requests,
        f.ok,
        f.retried,
        f.p50.as_secs_f64(),
        f.p99.as_secs_f64(),
        f.max.as_secs_f64(),
        secs(f.last_slow)
    );
}

fn main() -> Result<()> {
    let a = Args::parse();
    let cfg = FederationSimConfig {
        regions: a.regions,
        servers: a.servers,
        latency: Duration::from_millis(a.latency),
        jitter: Duration::from_millis(a.jitter),
        seed: a.seed,
        wan: !a.lan,
        partition: Duration::from_secs(a.partition),
        ..FederationSimConfig::default()
    };
    let started = std::time::Instant::now();
    let r = run(&cfg)?;
    println!(
        "{} servers ({} regions x {}), {} timing, seed {}",
        r.members,
        a.regions,
        a.servers,
        if a.lan { "LAN" } else { "WAN" },
        a.seed
    );
    println!("converged after start: {}", secs(r.converge));
    println!(
        "detection, 2 of a region's servers cut off: {}",
        secs(r.detect_split)
    );
    println!("detection, a whole region cut off: {}", secs(r.detect_lost));
    line("forwarding to the split region", &r.forward_split);
    line("forwarding to the lost region", &r.forward_lost);
    println!(
        "after heal, every server lists every server alive: {}",
        secs(r.heal_converge)
    );
    println!(
        "after heal, forwarding answers first try from every origin: {}",
        secs(r.heal_forwarding)
    );
    println!("wall time: {:.1} s", started.elapsed().as_secs_f64());
    Ok(())
}
