//! Leader failover on 3 real server agents on loopback (static `raft_peers`, sled with fsync, Raft over
//! QUIC): per trial, start three `nomad agent` servers, wait until they agree on a leader, SIGKILL it, and
//! time (a) until a survivor reports a new leader and (b) until a `PUT /v1/jobs` sent to that new leader
//! is acknowledged. Prints p50/p99 of both over `--trials`.
//!
//! `cargo build --release --bin nomad -p nomad --bin failover-bench -p nomad-sim &&
//!  target/release/failover-bench --nomad target/release/nomad --trials 50`

use std::net::{TcpListener, UdpSocket};
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
    /// Failovers to measure.
    #[arg(long, default_value_t = 50)]
    trials: usize,
}

/// Kills the agent when dropped, however the bench ends.
struct Agent {
    child: Child,
    http: String,
    rpc: String,
}

impl Drop for Agent {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn tcp_port() -> Result<u16> {
    Ok(TcpListener::bind("127.0.0.1:0")?.local_addr()?.port())
}

fn udp_port() -> Result<u16> {
    Ok(UdpSocket::bind("127.0.0.1:0")?.local_addr()?.port())
}

fn http() -> ureq::Agent {
    ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_global(Some(Duration::from_secs(2)))
        .build()
        .new_agent()
}

fn leader_of(client: &ureq::Agent, agent: &Agent) -> Option<String> {
    let resp = client
        .get(format!("{}/v1/status/leader", agent.http))
        .call()
        .ok()?;
    if resp.status().as_u16() != 200 {
        return None;
    }
    let v: Value = serde_json::from_str(&resp.into_body().read_to_string().ok()?).ok()?;
    v.as_str().filter(|s| !s.is_empty()).map(String::from)
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}

fn start_cluster(nomad: &str, dir: &std::path::Path) -> Result<Vec<Agent>> {
    let rpc: Vec<u16> = (0..3).map(|_| udp_port()).collect::<Result<_>>()?;
    let peers: Vec<String> = rpc.iter().map(|p| format!("\"127.0.0.1:{p}\"")).collect();
    let mut agents = Vec::new();
    for (i, port) in rpc.iter().enumerate() {
        let http = tcp_port()?;
        let data = dir.join(format!("s{i}"));
        let config = dir.join(format!("s{i}.hcl"));
        std::fs::write(
            &config,
            format!(
                "name = \"s{i}\"\nlog_level = \"WARN\"\nbind_addr = \"127.0.0.1\"\ndata_dir = \"{}\"\nports {{\n  http = {http}\n  rpc = {port}\n  serf = {}\n}}\nserver {{\n  enabled = true\n  bootstrap_expect = 3\n  raft_peers = [{}]\n}}\n",
                data.display(),
                udp_port()?,
                peers.join(", ")
            ),
        )?;
        let child = Command::new(nomad)
            .args(["agent", "-config"])
            .arg(&config)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .with_context(|| format!("starting {nomad}"))?;
        agents.push(Agent {
            child,
            http: format!("http://127.0.0.1:{http}"),
            rpc: format!("127.0.0.1:{port}"),
        });
    }
    Ok(agents)
}

fn job(id: &str) -> Value {
    json!({"Job": {"ID": id, "Type": "batch", "Datacenters": ["dc1"], "TaskGroups": [{
        "Name": "g", "Count": 1,
        "Tasks": [{"Name": "t", "Driver": "raw_exec", "Config": {"command": "/bin/true"},
                   "Resources": {"CPU": 10, "MemoryMB": 10}}]}]}})
}

fn main() -> Result<()> {
    let args = Args::parse();
    let client = http();
    let (mut elected, mut written) = (Vec::new(), Vec::new());
    for trial in 0..args.trials {
        let dir = tempfile::tempdir()?;
        let mut agents = start_cluster(&args.nomad, dir.path())?;
        let deadline = Instant::now() + Duration::from_secs(30);
        let leader = loop {
            if Instant::now() > deadline {
                bail!("trial {trial}: no agreed leader after 30 s");
            }
            let l: Vec<String> = agents
                .iter()
                .filter_map(|a| leader_of(&client, a))
                .collect();
            if l.len() == 3 && l.iter().all(|x| x == &l[0]) {
                break l[0].clone();
            }
            std::thread::sleep(Duration::from_millis(20));
        };
        // One committed write first, so the survivors hold a log beyond the bootstrap.
        let first = agents
            .iter()
            .find(|a| a.rpc == leader)
            .context("leader agent")?;
        let resp = client
            .put(format!("{}/v1/jobs", first.http))
            .send_json(job("warm"))?;
        if resp.status().as_u16() != 200 {
            bail!("trial {trial}: warm-up write refused");
        }
        let idx = agents
            .iter()
            .position(|a| a.rpc == leader)
            .context("leader index")?;
        let mut dead = agents.remove(idx);
        let killed = Instant::now();
        dead.child.kill()?;
        let new_leader = loop {
            if killed.elapsed() > Duration::from_secs(30) {
                bail!("trial {trial}: no new leader after 30 s");
            }
            if let Some(a) = agents
                .iter()
                .find(|a| leader_of(&client, a).is_some_and(|l| l != leader && l == a.rpc))
            {
                break a;
            }
            std::thread::sleep(Duration::from_millis(5));
        };
        elected.push(killed.elapsed().as_secs_f64() * 1000.0);
        loop {
            if killed.elapsed() > Duration::from_secs(30) {
                bail!("trial {trial}: no write acknowledged after 30 s");
            }
            let ok = client
                .put(format!("{}/v1/jobs", new_leader.http))
                .send_json(job(&format!("after-{trial}")))
                .map(|r| r.status().as_u16() == 200)
                .unwrap_or(false);
            if ok {
                break;
            }
            std::thread::sleep(Duration::from_millis(5));
        }
        written.push(killed.elapsed().as_secs_f64() * 1000.0);
    }
    elected.sort_by(|a, b| a.total_cmp(b));
    written.sort_by(|a, b| a.total_cmp(b));
    println!(
        "SIGKILL leader -> new leader reported: p50 {:.0} ms, p99 {:.0} ms over {} trials",
        percentile(&elected, 0.5),
        percentile(&elected, 0.99),
        elected.len()
    );
    println!(
        "SIGKILL leader -> first write acknowledged by the new leader: p50 {:.0} ms, p99 {:.0} ms over {} trials",
        percentile(&written, 0.5),
        percentile(&written, 0.99),
        written.len()
    );
    Ok(())
}
