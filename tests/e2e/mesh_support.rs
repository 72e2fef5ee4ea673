//! Server-only `nomad agent` processes for the mesh tests: each runs with its own data dir, config and
//! log on free loopback ports (HTTP, RPC, serf), LAN gossip timing, and can be killed, terminated and
//! restarted on the same ports. Processes are killed and directories removed when the guard drops.

use std::path::PathBuf;
use std::process::{Child, Command, Output, Stdio};
use std::thread;
use std::time::{Duration, Instant};

use serde_json::Value;

use super::dev_agent::{free_tcp_port, free_udp_port};
use super::support::NOMAD;

/// A guard against hangs, not a timing check: LAN timing detects a failure in seconds.
pub const PATIENCE: Duration = Duration::from_secs(45);

pub struct ServerAgent {
    child: Option<Child>,
    /// Node name; the member name is `<name>.global`.
    pub name: String,
    pub http: u16,
    pub rpc: u16,
    pub serf: u16,
    dir: tempfile::TempDir,
    configs: Vec<PathBuf>,
    starts: u32,
}

impl ServerAgent {
    /// Starts `nomad agent` as a server named `name` in region `global`, with `extra` agent HCL in a
    /// second config file (merged over the first, block by block), and waits for its HTTP API.
    pub fn start(name: &str, extra: &str) -> ServerAgent {
        let mut agent = Self::prepare(name, extra);
        agent.spawn(&[]);
        agent
    }

    /// Writes the configs and picks the ports without starting anything.
    pub fn prepare(name: &str, extra: &str) -> ServerAgent {
        let dir = tempfile::tempdir().expect("tempdir");
        let (http, rpc, serf) = (free_tcp_port(), free_udp_port(), free_udp_port());
        let base = format!(
            "name = \"{name}\"\nregion = \"global\"\ndata_dir = \"{}\"\nbind_addr = \"127.0.0.1\"\n\
             ports {{\n  http = {http}\n  rpc = {rpc}\n  serf = {serf}\n}}\n\
             server {{\n  enabled = true\n  num_schedulers = 1\n  gossip_profile = \"lan\"\n}}\n",
            dir.path().join("data").display()
        );
        let base_path = dir.path().join("base.hcl");
        std::fs::write(&base_path, base).expect("write config");
        let extra_path = dir.path().join("extra.hcl");
        std::fs::write(&extra_path, extra).expect("write config");
        ServerAgent {
            child: None,
            name: name.to_owned(),
            http,
            rpc,
            serf,
            dir,
            configs: vec![base_path, extra_path],
            starts: 0,
        }
    }

    /// The mesh member name.
    pub fn member(&self) -> String {
        format!("{}.global", self.name)
    }

    /// `127.0.0.1:<serf port>`, for `server join`.
    pub fn serf_addr(&self) -> String {
        format!("127.0.0.1:{}", self.serf)
    }

    fn command(&mut self, args: &[&str]) -> Command {
        self.starts += 1;
        let log_path = self.dir.path().join(format!("agent-{}.log", self.starts));
        let log = std::fs::File::create(&log_path).expect("agent log");
        let mut cmd = Command::new(NOMAD);
        cmd.arg("agent");
        for c in &self.configs {
            cmd.arg("-config").arg(c);
        }
        cmd.args(args)
            .stdin(Stdio::null())
            .stdout(Stdio::from(log.try_clone().expect("log handle")))
            .stderr(Stdio::from(log));
        cmd
    }

    /// Runs the agent with `args` until it exits on its own; returns the exit code.
    pub fn run_to_exit(&mut self, args: &[&str]) -> Option<i32> {
        let mut child = self.command(args).spawn().expect("start nomad agent");
        let start = Instant::now();
        loop {
            if let Ok(Some(status)) = child.try_wait() {
                return status.code();
            }
            if start.elapsed() > PATIENCE {
                let _ = child.kill();
                let _ = child.wait();
                panic!("{} did not exit\n{}", self.name, self.log());
            }
            thread::sleep(Duration::from_millis(100));
        }
    }

    /// (Re)starts the process with the same config and ports plus `args`; waits for HTTP.
    pub fn spawn(&mut self, args: &[&str]) {
        assert!(self.child.is_none(), "{} is already running", self.name);
        let child = self.command(args).spawn().expect("start nomad agent");
        self.child = Some(child);
        let start = Instant::now();
        while self.get("/v1/agent/members").is_none() {
            if let Some(status) = self
                .child
                .as_mut()
                .and_then(|c| c.try_wait().ok().flatten())
            {
                panic!("{} exited with {status}\n{}", self.name, self.log());
            }
            assert!(
                start.elapsed() < PATIENCE,
                "{} did not start\n{}",
                self.name,
                self.log()
            );
            thread::sleep(Duration::from_millis(100));
        }
    }

    /// The process ID, while it runs.
    pub fn pid(&self) -> Option<u32> {
        self.child.as_ref().map(Child::id)
    }

    /// True while the process runs.
    pub fn running(&mut self) -> bool {
        self.child
            .as_mut()
            .is_some_and(|c| matches!(c.try_wait(), Ok(None)))
    }

    /// SIGKILL: no leave, the others must detect the failure.
    pub fn kill(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }

    /// SIGTERM, then waits for the exit; returns the exit code.
    pub fn terminate(&mut self) -> Option<i32> {
        self.signal("-TERM")
    }

    /// Sends `signal` (`-TERM`, `-INT`), then waits for the exit; returns the exit code.
    pub fn signal(&mut self, signal: &str) -> Option<i32> {
        let mut child = self.child.take().expect("agent is running");
        let _ = Command::new("kill")
            .args([signal, &child.id().to_string()])
            .status();
        let start = Instant::now();
        loop {
            if let Ok(Some(status)) = child.try_wait() {
                return status.code();
            }
            if start.elapsed() > PATIENCE {
                let _ = child.kill();
                panic!("{} did not exit after {signal}\n{}", self.name, self.log());
            }
            thread::sleep(Duration::from_millis(100));
        }
    }

    /// Runs the CLI against this agent.
    pub fn nomad(&self, args: &[&str]) -> Output {
        Command::new(NOMAD)
            .args(args)
            .env("NOMAD_ADDR", format!("http://127.0.0.1:{}", self.http))
            .env_remove("NOMAD_REGION")
            .current_dir(self.dir.path())
            .output()
            .expect("run nomad")
    }

    /// `GET path` as JSON, or `None` when the agent does not answer 200.
    pub fn get(&self, path: &str) -> Option<Value> {
        let url = format!("http://127.0.0.1:{}{path}", self.http);
        let agent = ureq::Agent::config_builder()
            .timeout_global(Some(Duration::from_secs(5)))
            .build()
            .new_agent();
        let mut resp = agent.get(&url).call().ok()?;
        resp.body_mut().read_json().ok()
    }

    /// `name -> status` from `/v1/agent/members` (empty when the agent does not answer).
    pub fn statuses(&self) -> Vec<(String, String)> {
        let Some(v) = self.get("/v1/agent/members") else {
            return Vec::new();
        };
        v["Members"]
            .as_array()
            .map(|ms| {
                ms.iter()
                    .map(|m| {
                        (
                            m["Name"].as_str().unwrap_or("").to_owned(),
                            m["Status"].as_str().unwrap_or("").to_owned(),
                        )
                    })
                    .collect()
            })
            .unwrap_or_default()
    }

    /// The status this agent shows for `member`, if it lists it.
    pub fn status_of(&self, member: &str) -> Option<String> {
        self.statuses()
            .into_iter()
            .find(|(n, _)| n == member)
            .map(|(_, s)| s)
    }

    /// Every log this agent wrote (one file per start).
    pub fn log(&self) -> String {
        (1..=self.starts)
            .map(|i| {
                let text = std::fs::read_to_string(self.dir.path().join(format!("agent-{i}.log")))
                    .unwrap_or_default();
                format!("--- {} log #{i} ---\n{text}", self.name)
            })
            .collect::<Vec<_>>()
            .join("\n")
    }
}

impl Drop for ServerAgent {
    fn drop(&mut self) {
        self.kill();
    }
}

/// Polls `check` until it holds; panics with every agent's log after `PATIENCE`.
pub fn wait_for(agents: &[&ServerAgent], what: &str, mut check: impl FnMut() -> bool) {
    let start = Instant::now();
    while start.elapsed() < PATIENCE {
        if check() {
            return;
        }
        thread::sleep(Duration::from_millis(200));
    }
    let logs: Vec<String> = agents.iter().map(|a| a.log()).collect();
    panic!("timed out waiting for {what}\n{}", logs.join("\n"));
}

pub fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Both streams, for failure messages.
pub fn both(out: &Output) -> String {
    format!(
        "exit {:?}\n--- stdout ---\n{}\n--- stderr ---\n{}",
        out.status.code(),
        stdout(out),
        String::from_utf8_lossy(&out.stderr)
    )
}

/// `nomad server join` from `from` to `to`; panics unless it reports one server joined.
pub fn join(from: &ServerAgent, to: &ServerAgent) {
    let out = from.nomad(&["server", "join", &to.serf_addr()]);
    assert!(
        out.status.success() && stdout(&out).contains("Joined 1 servers successfully"),
        "{}",
        both(&out)
    );
}

/// True when `agent` lists exactly `members`, all alive.
pub fn sees_alive(agent: &ServerAgent, members: &[String]) -> bool {
    let mut got = agent.statuses();
    got.sort();
    let mut want: Vec<(String, String)> = members
        .iter()
        .map(|m| (m.clone(), "alive".to_owned()))
        .collect();
    want.sort();
    got == want
}
