//! A real `nomad agent -dev` for the benchmark binaries: started on free
//! loopback ports with its own data dir, driven over its HTTP API (submit a job,
//! wait for running allocations with blocking queries, purge), its RSS read from
//! `/proc`. Killed when dropped, however the benchmark ends.

use std::net::TcpListener;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use serde_json::Value;

/// A running dev agent and an HTTP client for it.
pub struct DevAgent {
    child: Child,
    /// `http://127.0.0.1:<port>`.
    pub base: String,
    client: ureq::Agent,
    _dir: tempfile::TempDir,
}

impl Drop for DevAgent {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn free_port() -> Result<u16> {
    Ok(TcpListener::bind("127.0.0.1:0")?.local_addr()?.port())
}

/// The value at the `p` quantile (0..=1) of an ascending slice.
pub fn percentile(sorted: &[f64], p: f64) -> f64 {
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}

impl DevAgent {
    /// Starts `nomad agent -dev` and waits until a leader is elected and the node
    /// is `ready`; returns the agent and how long that took from spawn.
    pub fn start(nomad: &str) -> Result<(DevAgent, Duration)> {
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
        let started = Instant::now();
        let child = Command::new(nomad)
            .args(["agent", "-dev", "-config"])
            .arg(&config)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .with_context(|| format!("starting {nomad}"))?;
        let agent = DevAgent {
            child,
            base: format!("http://127.0.0.1:{port}"),
            client: ureq::Agent::config_builder()
                .http_status_as_error(false)
                .build()
                .new_agent(),
            _dir: dir,
        };
        loop {
            if started.elapsed() > Duration::from_secs(30) {
                bail!("agent not ready after 30s");
            }
            let leader = agent
                .get("/v1/status/leader")
                .map(|(v, _)| v.as_str().is_some_and(|s| !s.is_empty()));
            let ready = agent.get("/v1/nodes").map(|(v, _)| {
                v.as_array()
                    .is_some_and(|n| n.iter().any(|n| n["Status"] == "ready"))
            });
            if matches!((leader, ready), (Ok(true), Ok(true))) {
                return Ok((agent, started.elapsed()));
            }
            std::thread::sleep(Duration::from_millis(2));
        }
    }

    /// `GET {base}{path}`: the JSON body and the `X-Nomad-Index` header.
    pub fn get(&self, path: &str) -> Result<(Value, u64)> {
        let resp = self.client.get(format!("{}{path}", self.base)).call()?;
        let index = resp
            .headers()
            .get("X-Nomad-Index")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse().ok())
            .unwrap_or(0);
        let text = resp.into_body().read_to_string()?;
        Ok((serde_json::from_str(&text).unwrap_or(Value::Null), index))
    }

    /// `PUT /v1/jobs` with `{"Job": ...}`.
    pub fn submit(&self, job: &Value) -> Result<()> {
        let resp = self
            .client
            .put(format!("{}/v1/jobs", self.base))
            .send_json(job)?;
        if resp.status().as_u16() != 200 {
            bail!("submit: {}", resp.into_body().read_to_string()?);
        }
        Ok(())
    }

    /// Waits with blocking queries until job `id` has `want` allocations with
    /// `ClientStatus = running`.
    pub fn wait_running(&self, id: &str, want: usize, timeout: Duration) -> Result<()> {
        let t0 = Instant::now();
        let mut index = 0;
        loop {
            let (allocs, next) =
                self.get(&format!("/v1/job/{id}/allocations?index={index}&wait=5s"))?;
            let running = allocs.as_array().map_or(0, |a| {
                a.iter().filter(|a| a["ClientStatus"] == "running").count()
            });
            if running >= want {
                return Ok(());
            }
            if t0.elapsed() > timeout {
                bail!("{id}: {running} of {want} allocations running after {timeout:?}");
            }
            index = next;
        }
    }

    /// Stops and purges job `id`.
    pub fn purge(&self, id: &str) -> Result<()> {
        self.client
            .delete(format!("{}/v1/job/{id}?purge=true", self.base))
            .call()?;
        Ok(())
    }

    /// Stops job `id` (kept, not purged) and waits until none of its allocations
    /// runs, so no task outlives the benchmark.
    pub fn stop_and_wait(&self, id: &str, timeout: Duration) -> Result<()> {
        self.client
            .delete(format!("{}/v1/job/{id}", self.base))
            .call()?;
        let t0 = Instant::now();
        loop {
            let (allocs, _) = self.get(&format!("/v1/job/{id}/allocations"))?;
            let running = allocs.as_array().map_or(0, |a| {
                a.iter().filter(|a| a["ClientStatus"] == "running").count()
            });
            if running == 0 {
                return Ok(());
            }
            if t0.elapsed() > timeout {
                bail!("{id}: {running} allocations still running {timeout:?} after stop");
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// Resident set size of the agent process itself (not its tasks), KiB.
    pub fn rss_kib(&self) -> Result<f64> {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.id()))?;
        status
            .lines()
            .find_map(|l| l.strip_prefix("VmRSS:"))
            .and_then(|v| v.split_whitespace().next()?.parse().ok())
            .context("no VmRSS in /proc/<agent>/status")
    }

    /// The agent's child processes (raw_exec's executors, exec's supervisors; the tasks are
    /// their children): how many, and their summed anonymous memory and proportional set
    /// size, KiB, from `smaps_rollup`. Not "private": pages of the binary that only they map
    /// count as private though the page cache holds them for everyone, and anonymous pages a
    /// fork shares with the agent count in full in each.
    pub fn children_kib(&self) -> Result<(usize, f64, f64)> {
        let agent = self.child.id().to_string();
        let (mut n, mut anon, mut pss) = (0, 0.0, 0.0);
        for entry in std::fs::read_dir("/proc")?.flatten() {
            let pid = entry.file_name().to_string_lossy().into_owned();
            if !pid.bytes().all(|b| b.is_ascii_digit()) {
                continue;
            }
            let Ok(stat) = std::fs::read_to_string(format!("/proc/{pid}/stat")) else {
                continue;
            };
            // Field 4 (ppid), after the parenthesised command name.
            let ppid = stat
                .rfind(')')
                .and_then(|i| stat[i + 1..].split_whitespace().nth(1).map(str::to_string));
            if ppid.as_deref() != Some(agent.as_str()) {
                continue;
            }
            let Ok(rollup) = std::fs::read_to_string(format!("/proc/{pid}/smaps_rollup")) else {
                continue;
            };
            let field = |name: &str| -> f64 {
                rollup
                    .lines()
                    .find_map(|l| l.strip_prefix(name))
                    .and_then(|v| v.split_whitespace().next()?.parse().ok())
                    .unwrap_or(0.0)
            };
            n += 1;
            anon += field("Anonymous:");
            pss += field("Pss:");
        }
        Ok((n, anon, pss))
    }
}
