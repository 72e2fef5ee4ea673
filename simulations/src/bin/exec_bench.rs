//! Measures `alloc exec` carried across regions with two real server+client agents (regions `east` and
//! `west`, raw_exec) on loopback, a sleeper allocation running in west:
//!
//! * a whole short session, `echo hi`: websocket handshake, the command, its output and exit code, straight
//!   to west against through east with `?region=west` (east opens a mesh stream to west, west opens the
//!   websocket on its own router);
//! * one round trip in an open `cat` session: a stdin frame in, the stdout frame back, on a socket straight
//!   to west against one through east; the difference is what the mesh stream relay adds per frame.
//!
//! `cargo build --release -p nomad --bin nomad -p nomad-sim --bin exec-bench &&
//!  target/release/exec-bench --nomad target/release/nomad`

use std::net::{TcpListener, TcpStream, UdpSocket};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use clap::Parser;
use nomad::api_client::exec_frames::{
    ExecStreamingInput, ExecStreamingIoOperation, ExecStreamingOutput,
};
use serde_json::{Value, json};
use tungstenite::stream::MaybeTlsStream;
use tungstenite::{Message, WebSocket};

#[derive(Parser)]
struct Args {
    /// The `nomad` binary to run.
    #[arg(long, default_value = "target/release/nomad")]
    nomad: String,
    /// Whole `echo hi` sessions per path.
    #[arg(long, default_value_t = 200)]
    sessions: usize,
    /// Stdin -> stdout round trips per path.
    #[arg(long, default_value_t = 3000)]
    round_trips: usize,
}

/// Kills the agent (and, through SIGTERM first, its tasks) when the bench ends, however it ends.
struct Agent {
    child: Child,
    http: u16,
    serf: u16,
    _dir: tempfile::TempDir,
}

impl Drop for Agent {
    fn drop(&mut self) {
        // SIGTERM lets the client stop the sleeper; SIGKILL after a grace period.
        let _ = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status();
        let began = Instant::now();
        while began.elapsed() < Duration::from_secs(10) {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Stops the sleeper when the bench ends, however it ends (before the agents go: a stopped agent
/// leaves its tasks running, for a restart to re-attach them).
struct StopJob {
    allocations: String,
    job: String,
}

impl Drop for StopJob {
    fn drop(&mut self) {
        let _ = ureq::delete(&self.job).call();
        let _ = wait("the sleeper to stop", || {
            get(&self.allocations).is_ok_and(|v| {
                v.as_array()
                    .is_some_and(|a| a.iter().all(|a| a["ClientStatus"] != "running"))
            })
        });
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
             server {{\n  enabled = true\n  bootstrap_expect = 1\n  gossip_profile = \"lan\"\n}}\n\
             client {{\n  enabled = true\n}}\nplugin \"raw_exec\" {{\n  config {{\n    enabled = true\n  }}\n}}\n",
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
    wait("the agent to answer", || {
        get(&agent.url("/v1/agent/members")).is_ok()
    })?;
    Ok(agent)
}

impl Agent {
    fn url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}{path}", self.http)
    }

    fn ws(&self, path: &str) -> String {
        format!("ws://127.0.0.1:{}{path}", self.http)
    }
}

fn wait(what: &str, mut check: impl FnMut() -> bool) -> Result<()> {
    let began = Instant::now();
    while !check() {
        if began.elapsed() > Duration::from_secs(60) {
            bail!("timed out waiting for {what}");
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    Ok(())
}

fn get(url: &str) -> Result<Value> {
    let agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_global(Some(Duration::from_secs(10)))
        .build()
        .new_agent();
    let resp = agent.get(url).call()?;
    let status = resp.status().as_u16();
    let text = resp.into_body().read_to_string()?;
    if status != 200 {
        bail!("{url}: {status} {text}");
    }
    Ok(serde_json::from_str(&text)?)
}

type Socket = WebSocket<MaybeTlsStream<TcpStream>>;

fn exec_path(alloc: &str, command: &str, region: Option<&str>) -> String {
    let region = region.map(|r| format!("&region={r}")).unwrap_or_default();
    format!("/v1/client/allocation/{alloc}/exec?task=t&command={command}&tty=false{region}")
}

fn send(socket: &mut Socket, input: &ExecStreamingInput) -> Result<()> {
    socket.send(Message::Text(serde_json::to_string(input)?.into()))?;
    Ok(())
}

/// The next output frame.
fn next_frame(socket: &mut Socket) -> Result<ExecStreamingOutput> {
    loop {
        match socket.read()? {
            Message::Text(t) => return Ok(serde_json::from_str(t.as_str())?),
            Message::Close(f) => bail!("closed: {f:?}"),
            _ => {}
        }
    }
}

/// One whole `echo hi` session at `url`, in ms.
fn session(url: &str) -> Result<f64> {
    let t0 = Instant::now();
    let (mut socket, _) = tungstenite::connect(url)?;
    let close = ExecStreamingInput {
        stdin: Some(ExecStreamingIoOperation::close()),
        ..Default::default()
    };
    send(&mut socket, &close)?;
    let mut out = Vec::new();
    loop {
        let f = next_frame(&mut socket)?;
        if let Some(op) = &f.stdout {
            out.extend(op.bytes().map_err(anyhow::Error::msg)?);
        }
        if f.exited {
            break;
        }
    }
    let took = t0.elapsed().as_secs_f64() * 1000.0;
    if out != b"hi\n" {
        bail!("unexpected output {:?}", String::from_utf8_lossy(&out));
    }
    Ok(took)
}

/// One stdin line through `cat` and back, in ms.
fn round_trip(socket: &mut Socket, i: usize) -> Result<f64> {
    let line = format!("line-{i}\n");
    let input = ExecStreamingInput {
        stdin: Some(ExecStreamingIoOperation::data(line.as_bytes())),
        ..Default::default()
    };
    let t0 = Instant::now();
    send(socket, &input)?;
    let mut got = Vec::new();
    while got.len() < line.len() {
        if let Some(op) = next_frame(socket)?.stdout {
            got.extend(op.bytes().map_err(anyhow::Error::msg)?);
        }
    }
    let took = t0.elapsed().as_secs_f64() * 1000.0;
    if got != line.as_bytes() {
        bail!("unexpected echo {:?}", String::from_utf8_lossy(&got));
    }
    Ok(took)
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}

fn print(what: &str, samples: &mut [f64]) -> (f64, f64) {
    samples.sort_by(f64::total_cmp);
    let (p50, p99) = (percentile(samples, 0.5), percentile(samples, 0.99));
    println!(
        "{what} ({} runs): p50 {p50:.3} ms, p99 {p99:.3} ms, max {:.3} ms",
        samples.len(),
        samples[samples.len() - 1]
    );
    (p50, p99)
}

fn main() -> Result<()> {
    let args = Args::parse();
    let east = start(&args.nomad, "east")?;
    let west = start(&args.nomad, "west")?;
    let join = ureq::put(west.url(&format!("/v1/agent/join?address=127.0.0.1:{}", east.serf)))
        .send_empty()?;
    if join.status().as_u16() != 200 {
        bail!("join failed");
    }
    wait("east to reach west", || {
        get(&east.url("/v1/regions?region=west")).is_ok()
    })?;
    wait("a ready node in west", || {
        get(&west.url("/v1/nodes")).is_ok_and(|v| {
            v.as_array()
                .is_some_and(|ns| ns.iter().any(|n| n["Status"] == "ready"))
        })
    })?;
    let job = json!({"Job": {"ID": "sleeper", "Type": "service", "Datacenters": ["dc1"],
        "TaskGroups": [{"Name": "g", "Count": 1, "Tasks": [{"Name": "t", "Driver": "raw_exec",
        "Config": {"command": "/bin/sh", "args": ["-c", "while true; do sleep 1; done"]},
        "Resources": {"CPU": 10, "MemoryMB": 10}}]}]}});
    let _stop = StopJob {
        allocations: west.url("/v1/job/sleeper/allocations"),
        job: west.url("/v1/job/sleeper"),
    };
    let resp = ureq::put(west.url("/v1/jobs")).send_json(&job)?;
    if resp.status().as_u16() != 200 {
        bail!("register: {}", resp.into_body().read_to_string()?);
    }
    let mut alloc = String::new();
    wait("the sleeper running in west", || {
        let found = get(&west.url("/v1/job/sleeper/allocations"))
            .ok()
            .and_then(|v| {
                v.as_array()?
                    .iter()
                    .find(|a| a["ClientStatus"] == "running")
                    .and_then(|a| a["ID"].as_str().map(str::to_owned))
            });
        found.map(|id| alloc = id).is_some()
    })?;

    let echo = "%5B%22echo%22%2C%22hi%22%5D";
    let direct = west.ws(&exec_path(&alloc, echo, None));
    let forwarded = east.ws(&exec_path(&alloc, echo, Some("west")));
    // Warm up both paths, then interleave so both see the same machine load.
    for _ in 0..10 {
        session(&direct)?;
        session(&forwarded)?;
    }
    let (mut d, mut f) = (Vec::new(), Vec::new());
    for _ in 0..args.sessions {
        d.push(session(&direct)?);
        f.push(session(&forwarded)?);
    }
    let (d50, d99) = print("echo hi session, straight to west", &mut d);
    let (f50, f99) = print("echo hi session, via east (?region=west)", &mut f);
    println!(
        "extra latency of a forwarded session: p50 {:.3} ms, p99 {:.3} ms",
        f50 - d50,
        f99 - d99
    );

    let cat = "%5B%22cat%22%5D";
    let (mut direct, _) = tungstenite::connect(west.ws(&exec_path(&alloc, cat, None)))?;
    let (mut forwarded, _) = tungstenite::connect(east.ws(&exec_path(&alloc, cat, Some("west"))))?;
    for i in 0..100 {
        round_trip(&mut direct, i)?;
        round_trip(&mut forwarded, i)?;
    }
    let (mut d, mut f) = (Vec::new(), Vec::new());
    for i in 0..args.round_trips {
        d.push(round_trip(&mut direct, i)?);
        f.push(round_trip(&mut forwarded, i)?);
    }
    let (d50, d99) = print("stdin -> stdout round trip, straight to west", &mut d);
    let (f50, f99) = print("stdin -> stdout round trip, via east", &mut f);
    println!(
        "extra latency per round trip through the mesh stream: p50 {:.3} ms, p99 {:.3} ms",
        f50 - d50,
        f99 - d99
    );
    for mut s in [direct, forwarded] {
        let _ = s.close(None);
    }
    Ok(())
}
