//! A real `nomad agent -dev` on free loopback ports for the end-to-end tests, and a way to run the CLI
//! against it. The agent and its data dir are removed when the guard drops, also on test failure.

use std::net::{TcpListener, UdpSocket};
use std::path::PathBuf;
use std::process::{Child, Command, Output, Stdio};
use std::thread;
use std::time::{Duration, Instant};

use super::support::NOMAD;

/// How long to wait for a condition before failing the test: a guard against hangs, not a timing check.
pub const PATIENCE: Duration = Duration::from_secs(60);

pub struct DevAgent {
    child: Child,
    pub address: String,
    pub dir: tempfile::TempDir,
}

pub fn free_tcp_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("free tcp port")
}

pub fn free_udp_port() -> u16 {
    UdpSocket::bind("127.0.0.1:0")
        .and_then(|s| s.local_addr())
        .map(|a| a.port())
        .expect("free udp port")
}

impl DevAgent {
    /// Starts `nomad agent -dev` with HTTP, RPC and serf on free loopback ports and waits for a ready node.
    pub fn start() -> DevAgent {
        Self::start_with("")
    }

    /// Like `start`, with extra agent HCL appended to the generated config.
    pub fn start_with(extra_config: &str) -> DevAgent {
        let dir = tempfile::tempdir().expect("tempdir");
        let http = free_tcp_port();
        let config = format!(
            "bind_addr = \"127.0.0.1\"\nports {{\n  http = {http}\n  rpc  = {}\n  serf = {}\n}}\n{extra_config}\n",
            free_udp_port(),
            free_udp_port()
        );
        let config_path = dir.path().join("agent.hcl");
        std::fs::write(&config_path, config).expect("write agent config");
        let log = std::fs::File::create(dir.path().join("agent.log")).expect("agent log");
        let child = Command::new(NOMAD)
            .args(["agent", "-dev", "-config"])
            .arg(&config_path)
            .stdout(Stdio::from(log.try_clone().expect("log handle")))
            .stderr(Stdio::from(log))
            .spawn()
            .expect("start nomad agent -dev");
        let agent = DevAgent {
            child,
            address: format!("http://127.0.0.1:{http}"),
            dir,
        };
        agent.wait_for("a ready node", || {
            let out = agent.nomad(&["node", "status"]);
            out.status.success() && stdout(&out).contains("ready")
        });
        agent
    }

    /// Runs the CLI against this agent, in the agent's temp dir.
    pub fn nomad(&self, args: &[&str]) -> Output {
        Command::new(NOMAD)
            .args(args)
            .env("NOMAD_ADDR", &self.address)
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

    /// Polls `check` until it holds; panics with the agent's log after `PATIENCE`.
    pub fn wait_for(&self, what: &str, mut check: impl FnMut() -> bool) {
        let start = Instant::now();
        while start.elapsed() < PATIENCE {
            if check() {
                return;
            }
            thread::sleep(Duration::from_millis(200));
        }
        panic!(
            "timed out waiting for {what}\n--- agent log ---\n{}",
            self.log()
        );
    }

    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("agent.log")).unwrap_or_default()
    }

    /// Sends SIGTERM and waits for the agent to exit; returns its exit status.
    pub fn terminate(mut self) -> std::process::ExitStatus {
        let pid = self.child.id().to_string();
        let _ = Command::new("kill").args(["-TERM", &pid]).status();
        let start = Instant::now();
        loop {
            if let Ok(Some(status)) = self.child.try_wait() {
                return status;
            }
            if start.elapsed() > PATIENCE {
                let _ = self.child.kill();
                panic!("agent did not exit after SIGTERM\n{}", self.log());
            }
            thread::sleep(Duration::from_millis(100));
        }
    }
}

impl Drop for DevAgent {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

pub fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// Both streams, for failure messages.
pub fn both(out: &Output) -> String {
    format!(
        "exit {:?}\n--- stdout ---\n{}\n--- stderr ---\n{}",
        out.status.code(),
        stdout(out),
        stderr(out)
    )
}
