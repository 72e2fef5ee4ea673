//! Submit -> running for a docker task through a real `nomad agent -dev`, against a
//! plain `docker run -d` of the same image until `docker inspect` says it runs, in the
//! same run and interleaved (the order alternates per round), so a noisy machine
//! weighs on both alike. Prints p50/p99 of each over `--runs` rounds, after one
//! uncounted warm-up round.
//!
//! The image is the e2e tests' local `redis:7` stand-in (busybox `nc` serving 6379;
//! no registry is needed): built from `tests/docker_images/redis` when absent.
//!
//! `cargo build --release --bin nomad -p nomad --bin docker-bench -p nomad-sim &&
//!  target/release/docker-bench --nomad target/release/nomad --runs 50`

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use clap::Parser;
use nomad_sim::dev_agent::{DevAgent, percentile};
use serde_json::json;

#[derive(Parser)]
struct Args {
    /// The `nomad` binary to measure.
    #[arg(long, default_value = "target/release/nomad")]
    nomad: String,
    /// Counted rounds (each: one Nomad job and one plain `docker run`).
    #[arg(long, default_value_t = 50)]
    runs: usize,
    /// Image both sides run with its default command.
    #[arg(long, default_value = "nomad-test-redis:latest")]
    image: String,
}

/// Runs `docker <args>` and returns its trimmed stdout.
fn docker(args: &[&str]) -> Result<String> {
    let out = Command::new("docker")
        .args(args)
        .output()
        .context("run docker")?;
    if !out.status.success() {
        bail!(
            "docker {}: {}",
            args.join(" "),
            String::from_utf8_lossy(&out.stderr).trim()
        );
    }
    Ok(String::from_utf8_lossy(&out.stdout).trim().to_owned())
}

/// Builds the stand-in image unless it exists.
fn ensure_image(image: &str) -> Result<()> {
    if docker(&["image", "inspect", "-f", "{{.Id}}", image]).is_ok() {
        return Ok(());
    }
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/docker_images/redis");
    let ctx = tempfile::tempdir()?;
    std::fs::copy(src.join("Dockerfile"), ctx.path().join("Dockerfile"))?;
    std::fs::copy("/bin/busybox", ctx.path().join("busybox"))
        .context("copy /bin/busybox (apt-get install busybox-static)")?;
    let ok = Command::new("docker")
        .args(["build", "-q", "-t", image, "."])
        .current_dir(ctx.path())
        .env("DOCKER_BUILDKIT", "0")
        .status()?
        .success();
    if !ok {
        bail!("docker build of {image} failed");
    }
    Ok(())
}

/// Containers (any state) carrying `label=value`.
fn labelled(label: &str) -> Result<usize> {
    Ok(
        docker(&["ps", "-aq", "--filter", &format!("label={label}")])?
            .lines()
            .count(),
    )
}

/// One Nomad round: submit, wait for running, purge, wait for the container to go.
fn nomad_round(agent: &DevAgent, id: &str, image: &str) -> Result<f64> {
    let job = json!({"Job": {"ID": id, "Type": "service", "Datacenters": ["dc1"], "TaskGroups": [{
        "Name": "g", "Count": 1,
        "Tasks": [{"Name": "t", "Driver": "docker", "Config": {"image": image},
                   "Resources": {"CPU": 100, "MemoryMB": 32}}]}]}});
    let t0 = Instant::now();
    agent.submit(&job)?;
    agent.wait_running(id, 1, Duration::from_secs(60))?;
    let ms = t0.elapsed().as_secs_f64() * 1000.0;
    agent.purge(id)?;
    let label = format!("com.hashicorp.nomad.job_name={id}");
    let gone_by = Instant::now() + Duration::from_secs(60);
    while labelled(&label)? > 0 {
        if Instant::now() > gone_by {
            bail!("{id}'s container not removed after purge");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    Ok(ms)
}

/// One plain round: `docker run -d`, poll `docker inspect` until running, remove.
fn docker_round(name: &str, image: &str) -> Result<f64> {
    let t0 = Instant::now();
    let id = docker(&["run", "-d", "--name", name, image])?;
    loop {
        if docker(&["inspect", "-f", "{{.State.Running}}", &id])? == "true" {
            break;
        }
        if t0.elapsed() > Duration::from_secs(60) {
            bail!("{name} not running after 60s");
        }
    }
    let ms = t0.elapsed().as_secs_f64() * 1000.0;
    docker(&["rm", "-f", &id])?;
    Ok(ms)
}

fn main() -> Result<()> {
    let args = Args::parse();
    docker(&["version", "--format", "{{.Server.Version}}"]).context("no Docker Engine")?;
    ensure_image(&args.image)?;
    let (agent, _) = DevAgent::start(&args.nomad)?;
    let (nodes, _) = agent.get("/v1/nodes")?;
    let node = nodes[0]["ID"].as_str().unwrap_or_default().to_owned();
    let (detail, _) = agent.get(&format!("/v1/node/{node}"))?;
    if detail["Drivers"]["docker"]["Healthy"] != true {
        bail!(
            "the dev agent's docker driver is not healthy: {}",
            detail["Drivers"]["docker"]
        );
    }
    let tag = std::process::id();
    let (mut via_nomad, mut plain) = (Vec::new(), Vec::new());
    for round in 0..=args.runs {
        let (id, name) = (
            format!("dbench-{tag}-{round}"),
            format!("plain-{tag}-{round}"),
        );
        let (n, d) = if round % 2 == 0 {
            let n = nomad_round(&agent, &id, &args.image)?;
            (n, docker_round(&name, &args.image)?)
        } else {
            let d = docker_round(&name, &args.image)?;
            (nomad_round(&agent, &id, &args.image)?, d)
        };
        // Round 0 warms up the image and the engine; it is not counted.
        if round > 0 {
            via_nomad.push(n);
            plain.push(d);
        }
    }
    for s in [&mut via_nomad, &mut plain] {
        s.sort_by(f64::total_cmp);
    }
    let line = |what: &str, s: &[f64]| {
        println!(
            "{what} ({} runs): p50 {:.1} ms, p99 {:.1} ms, min {:.1} ms",
            s.len(),
            percentile(s, 0.5),
            percentile(s, 0.99),
            s[0]
        );
    };
    line(
        "submit -> running, docker task via nomad agent -dev",
        &via_nomad,
    );
    line("plain `docker run -d` -> State.Running", &plain);
    println!(
        "nomad minus plain docker, p50: {:.1} ms",
        percentile(&via_nomad, 0.5) - percentile(&plain, 0.5)
    );
    Ok(())
}
