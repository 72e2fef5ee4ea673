//! Real agent processes with their own config and data dir for the cluster tests: start one, stop it with
//! SIGTERM or SIGKILL, start it again on the same data dir and ports, query its HTTP API. Processes are
//! killed and data dirs removed when the guards drop, also on test failure.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::thread;
use std::time::{Duration, Instant};

use serde_json::Value;

use super::dev_agent::PATIENCE;
use super::support::NOMAD;

pub use super::dev_agent::{free_tcp_port, free_udp_port};

/// One agent process (restartable) with its config file, data dir and log.
pub struct AgentProc {
    pub name: String,
    child: Option<Child>,
    pub http: u16,
    pub rpc: u16,
    pub dir: tempfile::TempDir,
    config: PathBuf,
    starts: usize,
}

impl AgentProc {
    /// Writes `body` (plus name, bind address, ports and data dir) as the agent's config and starts it.
    pub fn start(name: &str, body: &str) -> AgentProc {
        Self::start_on(name, free_udp_port(), body)
    }

    /// Like `start`, on a given RPC port (servers that must know each other's addresses up front).
    pub fn start_on(name: &str, rpc: u16, body: &str) -> AgentProc {
        let dir = tempfile::tempdir().expect("tempdir");
        let (http, serf) = (free_tcp_port(), free_udp_port());
        let data = dir.path().join("data");
        let config = format!(
            "name = \"{name}\"\nlog_level = \"INFO\"\nbind_addr = \"127.0.0.1\"\ndata_dir = \"{}\"\nports {{\n  http = {http}\n  rpc  = {rpc}\n  serf = {serf}\n}}\n{body}\n",
            data.display()
        );
        let path = dir.path().join(format!("{name}.hcl"));
        std::fs::write(&path, config).expect("write agent config");
        let mut agent = AgentProc {
            name: name.to_string(),
            child: None,
            http,
            rpc,
            dir,
            config: path,
            starts: 0,
        };
        agent.spawn();
        agent
    }

    fn spawn(&mut self) {
        self.starts += 1;
        let log_path = self.dir.path().join(format!("agent-{}.log", self.starts));
        let log = std::fs::File::create(&log_path).expect("agent log");
        let child = Command::new(NOMAD)
            .args(["agent", "-config"])
            .arg(&self.config)
            .stdout(Stdio::from(log.try_clone().expect("log handle")))
            .stderr(Stdio::from(log))
            .spawn()
            .expect("start nomad agent");
        self.child = Some(child);
    }

    /// Starts the agent again with the same config and data dir.
    pub fn restart(&mut self) {
        assert!(self.child.is_none(), "{} is still running", self.name);
        self.spawn();
    }

    pub fn address(&self) -> String {
        format!("http://127.0.0.1:{}", self.http)
    }

    pub fn rpc_addr(&self) -> String {
        format!("127.0.0.1:{}", self.rpc)
    }

    pub fn data_dir(&self) -> PathBuf {
        self.dir.path().join("data")
    }

    /// Runs the CLI against this agent.
    pub fn nomad(&self, args: &[&str]) -> Output {
        Command::new(NOMAD)
            .args(args)
            .env("NOMAD_ADDR", self.address())
            .env_remove("NOMAD_REGION")
            .env_remove("NOMAD_NAMESPACE")
            .current_dir(self.dir.path())
            .output()
            .expect("run nomad")
    }

    /// Writes a file into the agent's temp dir and returns its path.
    pub fn write(&self, name: &str, text: &str) -> PathBuf {
        let path = self.dir.path().join(name);
        std::fs::write(&path, text).expect("write file");
        path
    }

    /// GET `path` on this agent's API: the decoded JSON, or `None` on any failure.
    pub fn get(&self, path: &str) -> Option<Value> {
        let agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .timeout_global(Some(Duration::from_secs(10)))
            .build()
            .new_agent();
        let mut resp = agent.get(format!("{}{path}", self.address())).call().ok()?;
        if resp.status().as_u16() != 200 {
            return None;
        }
        let body = resp.body_mut().read_to_string().ok()?;
        serde_json::from_str(&body).ok()
    }

    /// GET `path`: status, the `X-Nomad-KnownLeader` header, and the body; `None` when unreachable.
    pub fn get_raw(&self, path: &str) -> Option<(u16, String, String)> {
        let agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .timeout_global(Some(Duration::from_secs(10)))
            .build()
            .new_agent();
        let mut resp = agent.get(format!("{}{path}", self.address())).call().ok()?;
        let known = resp
            .headers()
            .get("X-Nomad-KnownLeader")
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_string();
        let body = resp.body_mut().read_to_string().ok()?;
        Some((resp.status().as_u16(), known, body))
    }

    /// The leader this agent reports, if any.
    pub fn leader(&self) -> Option<String> {
        self.get("/v1/status/leader")
            .and_then(|v| v.as_str().map(String::from))
            .filter(|s| !s.is_empty())
    }

    /// Every log this agent wrote, oldest start first.
    pub fn log(&self) -> String {
        (1..=self.starts)
            .map(|i| {
                let p = self.dir.path().join(format!("agent-{i}.log"));
                format!(
                    "--- {} start {i} ---\n{}",
                    self.name,
                    std::fs::read_to_string(p).unwrap_or_default()
                )
            })
            .collect::<Vec<_>>()
            .join("\n")
    }

    /// Sends SIGTERM and waits for the agent to exit.
    pub fn terminate(&mut self) {
        let Some(mut child) = self.child.take() else {
            return;
        };
        let pid = child.id().to_string();
        let _ = Command::new("kill").args(["-TERM", &pid]).status();
        let start = Instant::now();
        loop {
            if let Ok(Some(_)) = child.try_wait() {
                eprintln!("{} stopped {:?} after SIGTERM", self.name, start.elapsed());
                return;
            }
            if start.elapsed() > PATIENCE {
                let _ = child.kill();
                let _ = child.wait();
                panic!("{} did not exit after SIGTERM\n{}", self.name, self.log());
            }
            thread::sleep(Duration::from_millis(100));
        }
    }

    /// SIGKILL: the agent gets no chance to clean up (its tasks keep running).
    pub fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

impl Drop for AgentProc {
    fn drop(&mut self) {
        self.kill();
    }
}

/// Polls `check` until it holds; panics with the agents' logs after `PATIENCE`.
pub fn wait_for(what: &str, agents: &[&AgentProc], mut check: impl FnMut() -> bool) {
    let start = Instant::now();
    while start.elapsed() < PATIENCE {
        if check() {
            // Shown with --nocapture: where a slow run spent its time.
            eprintln!("waited {:?} for {what}", start.elapsed());
            return;
        }
        thread::sleep(Duration::from_millis(200));
    }
    let logs: Vec<String> = agents.iter().map(|a| a.log()).collect();
    panic!("timed out waiting for {what}\n{}", logs.join("\n"));
}

/// Sorted values of `field` in a JSON array.
pub fn ids(list: &Value, field: &str) -> Vec<String> {
    let mut out: Vec<String> = list
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|v| v[field].as_str().map(String::from))
                .collect()
        })
        .unwrap_or_default();
    out.sort();
    out
}

/// SIGKILLs the process groups of the processes whose arguments include `marker`: tasks a killed
/// client left running. A raw_exec task shares its executor's group (the executor leads it), so the
/// group to kill is read from `/proc`, not assumed to be the task's own.
pub fn kill_orphans(marker: &str) {
    for pid in pids_running(Path::new(marker)) {
        let group = std::fs::read_to_string(format!("/proc/{pid}/stat"))
            .ok()
            .and_then(|stat| {
                // `pid (comm) state ppid pgrp ...`; comm may hold spaces, so split after it.
                let rest = &stat[stat.rfind(')')? + 1..];
                rest.split_whitespace().nth(2)?.parse::<u32>().ok()
            });
        let mut targets = vec![pid.to_string()];
        if let Some(g) = group.filter(|g| *g > 1) {
            targets.push(format!("-{g}"));
        }
        let _ = std::process::Command::new("kill")
            .arg("-KILL")
            .arg("--")
            .args(&targets)
            .status();
    }
}

/// PIDs of the processes with `marker` as one of their arguments (the tests' tasks carry a unique marker,
/// so that they can be counted on the host).
pub fn pids_running(marker: &Path) -> Vec<u32> {
    let mut pids = Vec::new();
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return pids;
    };
    let marker = marker.to_string_lossy().into_owned();
    for e in entries.flatten() {
        let Some(pid) = e.file_name().to_str().and_then(|s| s.parse::<u32>().ok()) else {
            continue;
        };
        let Ok(cmd) = std::fs::read(e.path().join("cmdline")) else {
            continue;
        };
        let args: Vec<String> = cmd
            .split(|b| *b == 0)
            .map(|a| String::from_utf8_lossy(a).into_owned())
            .collect();
        if args.iter().any(|a| a == &marker) {
            pids.push(pid);
        }
    }
    pids
}
