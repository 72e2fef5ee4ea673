//! Measures region forwarding with two real server agents (regions `east` and `west`) on loopback:
//!
//! * end to end, warm: `GET /v1/jobs?region=west` through east (HTTP -> mesh -> west's router) against the
//!   same `GET /v1/jobs` straight to west; the difference is what forwarding adds;
//! * the mesh leg alone, warm: one forwarding request (`Call`) from a long-lived mesh member to west;
//! * the mesh leg alone, cold: a fresh member (new QUIC endpoint) per request, so every request pays the
//!   QUIC handshake and the mesh hello.
//!
//! `cargo build --release -p nomad --bin nomad -p nomad-sim --bin forward-bench &&
//!  target/release/forward-bench --nomad target/release/nomad`

use std::net::{SocketAddr, TcpListener, UdpSocket};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use clap::Parser;
use nomad::api::forward::wire::{self, Call, ForwardReply, ForwardRequest};
use nomad_gossip::codec::Blob;
use nomad_gossip::{MemberMeta, Mesh, MeshHandle, MeshSettings};
use serde_json::{Value, json};
use tokio_util::sync::CancellationToken;

#[derive(Parser)]
struct Args {
    /// The `nomad` binary to run.
    #[arg(long, default_value = "target/release/nomad")]
    nomad: String,
    /// Requests per warm figure.
    #[arg(long, default_value_t = 5000)]
    runs: usize,
    /// Requests for the cold figure (each with a new QUIC connection).
    #[arg(long, default_value_t = 500)]
    cold_runs: usize,
}

/// Kills the agent when the bench ends, however it ends.
struct Agent {
    child: Child,
    http: u16,
    serf: u16,
    _dir: tempfile::TempDir,
}

impl Drop for Agent {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn free_tcp() -> Result<u16> {
    Ok(TcpListener::bind("127.0.0.1:0")?.local_addr()?.port())
}

fn free_udp() -> Result<u16> {
    Ok(UdpSocket::bind("127.0.0.1:0")?.local_addr()?.port())
}

fn start(nomad: &str, region: &str) -> Result<Agent> {
    let dir = tempfile::tempdir()?;
    let (http, rpc, serf) = (free_tcp()?, free_udp()?, free_udp()?);
    let config = dir.path().join("agent.hcl");
    std::fs::write(
        &config,
        format!(
            "name = \"{region}-1\"\nregion = \"{region}\"\nlog_level = \"WARN\"\nbind_addr = \"127.0.0.1\"\n\
             data_dir = \"{}\"\nports {{\n  http = {http}\n  rpc = {rpc}\n  serf = {serf}\n}}\n\
             server {{\n  enabled = true\n  bootstrap_expect = 1\n  gossip_profile = \"lan\"\n}}\n",
            dir.path().join("data").display()
        ),
    )?;
    let child = Command::new(nomad)
        .args(["agent", "-config"])
        .arg(&config)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .with_context(|| format!("starting {nomad}"))?;
    let agent = Agent {
        child,
        http,
        serf,
        _dir: dir,
    };
    let began = Instant::now();
    while get(&http_client(), &agent.url("/v1/agent/members")).is_err() {
        if began.elapsed() > Duration::from_secs(30) {
            bail!("{region} did not start");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    Ok(agent)
}

impl Agent {
    fn url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}{path}", self.http)
    }
}

fn http_client() -> ureq::Agent {
    ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_global(Some(Duration::from_secs(10)))
        .build()
        .new_agent()
}

fn get(agent: &ureq::Agent, url: &str) -> Result<Value> {
    let resp = agent.get(url).call()?;
    let status = resp.status().as_u16();
    let text = resp.into_body().read_to_string()?;
    if status != 200 {
        bail!("{url}: {status} {text}");
    }
    Ok(serde_json::from_str(&text)?)
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}

/// p50, p99 and max of `samples` (ms), sorted in place.
fn summary(samples: &mut [f64]) -> (f64, f64, f64) {
    samples.sort_by(f64::total_cmp);
    (
        percentile(samples, 0.5),
        percentile(samples, 0.99),
        samples[samples.len() - 1],
    )
}

fn time_http(agent: &ureq::Agent, url: &str, runs: usize) -> Result<Vec<f64>> {
    let mut out = Vec::with_capacity(runs);
    for _ in 0..runs {
        let t0 = Instant::now();
        let v = get(agent, url)?;
        out.push(t0.elapsed().as_secs_f64() * 1000.0);
        if v.as_array().map(Vec::len) != Some(5) {
            bail!("{url}: expected the 5 jobs, got {v}");
        }
    }
    Ok(out)
}

fn call_bytes() -> Result<bytes::Bytes> {
    let call = ForwardRequest::Call(Call {
        method: "GET".into(),
        uri: "/v1/jobs?region=west".into(),
        headers: Vec::new(),
        body: Blob(Vec::new()),
        stream: false,
        origin: "bench".into(),
    });
    Ok(wire::encode(&call)?.into())
}

fn bench_member(i: usize) -> Result<MeshHandle> {
    let meta = MemberMeta::new(
        &format!("bench-{i}"),
        "east",
        "dc1",
        "127.0.0.1:1".parse()?,
        "127.0.0.1:1".parse()?,
    );
    let settings = MeshSettings::new(meta, "127.0.0.1:0".parse()?);
    Ok(Mesh::start(settings, CancellationToken::new())?)
}

async fn mesh_request(mesh: &MeshHandle, west: SocketAddr, msg: bytes::Bytes) -> Result<f64> {
    let t0 = Instant::now();
    let reply = mesh.request(west, msg, Duration::from_secs(5)).await?;
    let took = t0.elapsed().as_secs_f64() * 1000.0;
    match wire::decode::<ForwardReply>(&reply)? {
        ForwardReply::Response { status: 200, .. } => Ok(took),
        other => bail!("unexpected reply {other:?}"),
    }
}

fn print(what: &str, samples: &mut [f64]) -> (f64, f64) {
    let (p50, p99, max) = summary(samples);
    println!(
        "{what} ({} runs): p50 {p50:.3} ms, p99 {p99:.3} ms, max {max:.3} ms",
        samples.len()
    );
    (p50, p99)
}

fn main() -> Result<()> {
    let args = Args::parse();
    let east = start(&args.nomad, "east")?;
    let west = start(&args.nomad, "west")?;
    let http = http_client();
    let resp = http
        .put(west.url(&format!("/v1/agent/join?address=127.0.0.1:{}", east.serf)))
        .send_empty()?;
    if resp.status().as_u16() != 200 {
        bail!("join failed: {}", resp.into_body().read_to_string()?);
    }
    let began = Instant::now();
    while get(&http, &east.url("/v1/regions?region=west")).is_err() {
        if began.elapsed() > Duration::from_secs(30) {
            bail!("east cannot reach west");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    for i in 0..5 {
        let job = json!({"Job": {"ID": format!("job-{i}"), "Type": "service", "Datacenters": ["dc1"],
            "TaskGroups": [{"Name": "g", "Count": 1, "Tasks": [{"Name": "t", "Driver": "raw_exec",
            "Config": {"command": "/bin/sleep", "args": ["600"]}, "Resources": {"CPU": 10, "MemoryMB": 10}}]}]}});
        let resp = http.put(west.url("/v1/jobs")).send_json(&job)?;
        if resp.status().as_u16() != 200 {
            bail!("register: {}", resp.into_body().read_to_string()?);
        }
    }

    let direct_url = west.url("/v1/jobs");
    let forwarded_url = east.url("/v1/jobs?region=west");
    // Warm up both paths (HTTP keep-alive, the east -> west QUIC connection, allocator).
    time_http(&http, &direct_url, 500)?;
    time_http(&http, &forwarded_url, 500)?;
    let mut direct = Vec::with_capacity(args.runs);
    let mut forwarded = Vec::with_capacity(args.runs);
    // Interleaved so both see the same machine load.
    for _ in 0..args.runs {
        direct.extend(time_http(&http, &direct_url, 1)?);
        forwarded.extend(time_http(&http, &forwarded_url, 1)?);
    }
    let (d50, d99) = print("direct GET /v1/jobs to west", &mut direct);
    let (f50, f99) = print(
        "forwarded GET /v1/jobs?region=west via east",
        &mut forwarded,
    );
    println!(
        "extra latency of forwarding, warm: p50 {:.3} ms, p99 {:.3} ms",
        f50 - d50,
        f99 - d99
    );

    let rt = tokio::runtime::Runtime::new()?;
    let west_serf: SocketAddr = format!("127.0.0.1:{}", west.serf).parse()?;
    let msg = call_bytes()?;
    rt.block_on(async {
        let mesh = bench_member(0)?;
        let mut warm = Vec::with_capacity(args.runs);
        for i in 0..args.runs + 500 {
            let took = mesh_request(&mesh, west_serf, msg.clone()).await?;
            if i >= 500 {
                warm.push(took);
            }
        }
        mesh.shutdown().await;
        print(
            "mesh leg (Call -> west's router -> reply), warm connection",
            &mut warm,
        );

        let mut cold = Vec::with_capacity(args.cold_runs);
        for i in 0..args.cold_runs {
            let mesh = bench_member(i + 1)?;
            cold.push(mesh_request(&mesh, west_serf, msg.clone()).await?);
            mesh.shutdown().await;
        }
        print(
            "mesh leg, cold (new QUIC connection + hello per request)",
            &mut cold,
        );
        anyhow::Ok(())
    })?;
    Ok(())
}
