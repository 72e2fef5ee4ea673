//! Measures a real `nomad agent -dev` the way a user meets it: start -> leader and node ready, idle RSS,
//! and submit -> task running for raw_exec jobs (p50/p99 over `--runs`). Prints one line per figure.
//!
//! `cargo build --release && cargo run --release -p nomad-sim --bin dev-agent-bench -- --nomad target/release/nomad`

use std::net::TcpListener;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use clap::Parser;
use serde_json::{Value, json};

#[derive(Parser)]
struct Args {
    /// The `nomad` binary to measure.
    #[arg(long, default_value = "target/release/nomad")]
    nomad: String,
    /// How many jobs to submit for the submit -> running figure.
    #[arg(long, default_value_t = 200)]
    runs: usize,
}

/// Kills the agent when the bench ends, however it ends.
struct Agent(Child);

impl Drop for Agent {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn free_port() -> Result<u16> {
    Ok(TcpListener::bind("127.0.0.1:0")?.local_addr()?.port())
}

fn http() -> ureq::Agent {
    ureq::Agent::config_builder()
        .http_status_as_error(false)
        .build()
        .new_agent()
}

fn get(agent: &ureq::Agent, url: &str) -> Result<(Value, u64)> {
    let resp = agent.get(url).call()?;
    let index = resp
        .headers()
        .get("X-Nomad-Index")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse().ok())
        .unwrap_or(0);
    let text = resp.into_body().read_to_string()?;
    Ok((serde_json::from_str(&text).unwrap_or(Value::Null), index))
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}

fn main() -> Result<()> {
    let args = Args::parse();
    let dir = tempfile::tempdir()?;
    let port = free_port()?;
    let config = dir.path().join("agent.hcl");
    std::fs::write(
        &config,
        format!(
            "bind_addr = \"127.0.0.1\"\nlog_level = \"WARN\"\nports {{\n  http = {port}\n  rpc = {}\n  serf = {}\n}}\n",
            free_port()?,
            free_port()?
        ),
    )?;
    let base = format!("http://127.0.0.1:{port}");
    let client = http();

    let started = Instant::now();
    let child = Command::new(&args.nomad)
        .args(["agent", "-dev", "-config"])
        .arg(&config)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .with_context(|| format!("starting {}", args.nomad))?;
    let agent = Agent(child);
    loop {
        if started.elapsed() > Duration::from_secs(30) {
            bail!("agent not ready after 30s");
        }
        let leader = get(&client, &format!("{base}/v1/status/leader"))
            .map(|(v, _)| v.as_str().is_some_and(|s| !s.is_empty()));
        let ready = get(&client, &format!("{base}/v1/nodes")).map(|(v, _)| {
            v.as_array()
                .is_some_and(|n| n.iter().any(|n| n["Status"] == "ready"))
        });
        if matches!((leader, ready), (Ok(true), Ok(true))) {
            break;
        }
        std::thread::sleep(Duration::from_millis(2));
    }
    println!(
        "agent start -> leader and node ready: {:.1} ms",
        started.elapsed().as_secs_f64() * 1000.0
    );

    std::thread::sleep(Duration::from_secs(2));
    let status = std::fs::read_to_string(format!("/proc/{}/status", agent.0.id()))?;
    let rss_kb: f64 = status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.split_whitespace().next()?.parse().ok())
        .unwrap_or(0.0);
    println!("idle RSS of the dev agent: {:.1} MiB", rss_kb / 1024.0);

    let mut samples = Vec::with_capacity(args.runs);
    for i in 0..args.runs {
        let id = format!("bench-{i}");
        let job = json!({"Job": {"ID": id, "Type": "service", "Datacenters": ["dc1"], "TaskGroups": [{
            "Name": "g", "Count": 1,
            "Tasks": [{"Name": "t", "Driver": "raw_exec",
                       "Config": {"command": "/bin/sleep", "args": ["600"]},
                       "Resources": {"CPU": 10, "MemoryMB": 10}}]}]}});
        let t0 = Instant::now();
        let resp = client.put(format!("{base}/v1/jobs")).send_json(&job)?;
        if resp.status().as_u16() != 200 {
            bail!("submit {id}: {}", resp.into_body().read_to_string()?);
        }
        let mut index = 0;
        loop {
            let (allocs, next) = get(
                &client,
                &format!("{base}/v1/job/{id}/allocations?index={index}&wait=5s"),
            )?;
            if allocs
                .as_array()
                .is_some_and(|a| a.iter().any(|a| a["ClientStatus"] == "running"))
            {
                break;
            }
            if t0.elapsed() > Duration::from_secs(30) {
                bail!("{id} not running after 30s");
            }
            index = next;
        }
        samples.push(t0.elapsed().as_secs_f64() * 1000.0);
        // Free the node for the next run.
        let _ = client
            .delete(format!("{base}/v1/job/{id}?purge=true"))
            .call()?;
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
