//! Region agents for the federation tests: `nomad agent`s running server and client (with raw_exec) on
//! free loopback ports, one per region or several forming the region's Raft group, built on
//! `mesh_support::ServerAgent`. Dropping one stops it with
//! SIGTERM first, so its client stops the tasks it started (SIGKILL alone would orphan them).
//! Also a tiny UDP relay standing in for a NAT in front of a server's serf port, and the job files and
//! waits the federation tests share.

use std::collections::HashMap;
use std::net::{SocketAddr, UdpSocket};
use std::ops::{Deref, DerefMut};
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::Duration;

use serde_json::Value;

use super::mesh_support::{ServerAgent, both, wait_for};

/// A server+client agent of one region.
pub struct RegionAgent {
    agent: ServerAgent,
    pub region: String,
}

impl RegionAgent {
    /// Starts the agent of `region` (node name `<region>-1`), with `extra` HCL.
    pub fn start(region: &str, extra: &str) -> RegionAgent {
        Self::start_server(region, 1, 1, extra)
    }

    /// Starts server `n` of `region` (node name `<region>-<n>`), one of `expect` that form its Raft
    /// group once the mesh shows them all (`bootstrap_expect`), with `extra` HCL.
    pub fn start_server(region: &str, n: u32, expect: u32, extra: &str) -> RegionAgent {
        let config = format!(
            "region = \"{region}\"\nserver {{\n  bootstrap_expect = {expect}\n}}\nclient {{\n  enabled = true\n}}\n\
             plugin \"raw_exec\" {{\n  config {{\n    enabled = true\n  }}\n}}\n{extra}"
        );
        RegionAgent {
            agent: ServerAgent::start(&format!("{region}-{n}"), &config),
            region: region.to_owned(),
        }
    }

    /// The mesh member name, `<node>.<region>`.
    pub fn member(&self) -> String {
        format!("{}.{}", self.agent.name, self.region)
    }

    /// `GET` or `PUT` (JSON `body`) `path`: status and body text (the body of an error is Nomad's plain text).
    pub fn request(&self, method: &str, path: &str, body: Option<&str>) -> (u16, String) {
        let url = format!("http://127.0.0.1:{}{path}", self.agent.http);
        let agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .timeout_global(Some(Duration::from_secs(20)))
            .build()
            .new_agent();
        let resp = match (method, body) {
            ("PUT", Some(b)) => agent
                .put(&url)
                .header("Content-Type", "application/json")
                .send(b),
            _ => agent.get(&url).call(),
        };
        match resp {
            Ok(mut r) => (
                r.status().as_u16(),
                r.body_mut().read_to_string().unwrap_or_default(),
            ),
            Err(e) => (0, e.to_string()),
        }
    }

    /// `GET path` with a long timeout (blocking queries): status, `X-Nomad-Index` and body.
    pub fn get_indexed(&self, path: &str) -> (u16, u64, String) {
        get_indexed_at(&format!("http://127.0.0.1:{}{path}", self.agent.http))
    }

    /// `GET path` as JSON when it answers 200.
    pub fn json(&self, path: &str) -> Option<Value> {
        match self.request("GET", path, None) {
            (200, body) => serde_json::from_str(&body).ok(),
            _ => None,
        }
    }

    /// The allocations this region's own server knows of `job` (no forwarding): `(id, client status)`.
    pub fn local_allocs(&self, job: &str) -> Vec<(String, String)> {
        self.json("/v1/allocations")
            .and_then(|v| v.as_array().cloned())
            .unwrap_or_default()
            .iter()
            .filter(|a| a["JobID"] == job)
            .map(|a| {
                (
                    a["ID"].as_str().unwrap_or("").to_owned(),
                    a["ClientStatus"].as_str().unwrap_or("").to_owned(),
                )
            })
            .collect()
    }

    /// True when this region's node is registered and ready.
    pub fn node_ready(&self) -> bool {
        self.json("/v1/nodes")
            .and_then(|v| v.as_array().cloned())
            .is_some_and(|ns| ns.iter().any(|n| n["Status"] == "ready"))
    }
}

/// `GET url` with a long timeout (blocking queries): status, `X-Nomad-Index` and body.
pub fn get_indexed_at(url: &str) -> (u16, u64, String) {
    let agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_global(Some(Duration::from_secs(120)))
        .build()
        .new_agent();
    match agent.get(url).call() {
        Ok(mut r) => {
            let index = r
                .headers()
                .get("X-Nomad-Index")
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.parse().ok())
                .unwrap_or(0);
            let body = r.body_mut().read_to_string().unwrap_or_default();
            (r.status().as_u16(), index, body)
        }
        Err(e) => (0, 0, e.to_string()),
    }
}

impl RegionAgent {
    /// Freezes (`-STOP`) or thaws (`-CONT`) the agent: a frozen region answers nothing, as if cut off
    /// from the network, and keeps all its state.
    pub fn freeze(&self, frozen: bool) {
        let pid = self.agent.pid().expect("agent is running").to_string();
        let signal = if frozen { "-STOP" } else { "-CONT" };
        let status = std::process::Command::new("kill")
            .args([signal, &pid])
            .status()
            .expect("kill");
        assert!(status.success(), "kill {signal} {pid}");
    }
}

impl Deref for RegionAgent {
    type Target = ServerAgent;
    fn deref(&self) -> &ServerAgent {
        &self.agent
    }
}

impl DerefMut for RegionAgent {
    fn deref_mut(&mut self) -> &mut ServerAgent {
        &mut self.agent
    }
}

impl Drop for RegionAgent {
    fn drop(&mut self) {
        if self.agent.running() {
            // A frozen agent cannot act on SIGTERM.
            self.freeze(false);
            self.agent.terminate();
        }
    }
}

/// Relays UDP datagrams from `listen` to `target` and back, one upstream socket per sender, like a NAT
/// port forward. Stops when dropped.
pub struct UdpRelay {
    stop: Arc<AtomicBool>,
}

impl UdpRelay {
    /// Relays what arrives on `front` (bound by the caller, so its port can be configured first).
    pub fn start(front: UdpSocket, target: SocketAddr) -> UdpRelay {
        front
            .set_read_timeout(Some(Duration::from_millis(100)))
            .expect("relay timeout");
        let stop = Arc::new(AtomicBool::new(false));
        let flag = stop.clone();
        thread::spawn(move || {
            let upstreams: Mutex<HashMap<SocketAddr, UdpSocket>> = Mutex::new(HashMap::new());
            let mut buf = vec![0u8; 65536];
            while !flag.load(Ordering::Relaxed) {
                let Ok((n, from)) = front.recv_from(&mut buf) else {
                    continue;
                };
                let mut ups = upstreams.lock().unwrap_or_else(|p| p.into_inner());
                let up = ups.entry(from).or_insert_with(|| {
                    let up = UdpSocket::bind("127.0.0.1:0").expect("upstream socket");
                    up.connect(target).expect("connect upstream");
                    up.set_read_timeout(Some(Duration::from_millis(100)))
                        .expect("upstream timeout");
                    let (back, front, flag) = (
                        up.try_clone().expect("upstream clone"),
                        front.try_clone().expect("front clone"),
                        flag.clone(),
                    );
                    thread::spawn(move || {
                        let mut buf = vec![0u8; 65536];
                        while !flag.load(Ordering::Relaxed) {
                            if let Ok(n) = back.recv(&mut buf) {
                                let _ = front.send_to(&buf[..n], from);
                            }
                        }
                    });
                    up
                });
                let _ = up.send(&buf[..n]);
            }
        });
        UdpRelay { stop }
    }
}

impl Drop for UdpRelay {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
    }
}

/// The bound for a request to a lost region (a functional requirement, not a benchmark).
pub const FAST_FAILURE: Duration = Duration::from_secs(5);

pub fn batch_job(dir: &Path, name: &str, region: Option<&str>, text: &str) -> String {
    let region = region
        .map(|r| format!("  region = \"{r}\"\n"))
        .unwrap_or_default();
    let hcl = format!(
        "job \"{name}\" {{\n{region}  type = \"batch\"\n  datacenters = [\"dc1\"]\n  group \"g\" {{\n    task \"t\" {{\n      driver = \"raw_exec\"\n      config {{\n        command = \"/bin/sh\"\n        args = [\"-c\", \"echo {text}\"]\n      }}\n      resources {{\n        cpu = 50\n        memory = 32\n      }}\n    }}\n  }}\n}}\n"
    );
    let path = dir.join(format!("{name}.nomad.hcl"));
    std::fs::write(&path, hcl).expect("write job");
    path.display().to_string()
}

pub fn names(v: &serde_json::Value) -> Vec<String> {
    v.as_array()
        .map(|a| {
            a.iter()
                .filter_map(|x| x.as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default()
}

/// Waits until `region` ran `job` to completion and returns the allocation's ID.
pub fn completed_in(agents: &[&ServerAgent], region: &RegionAgent, job: &str) -> String {
    let mut id = String::new();
    wait_for(
        agents,
        &format!("{job} to complete in {}", region.region),
        || match region.local_allocs(job).as_slice() {
            [(alloc, status)] if status == "complete" => {
                id = alloc.clone();
                true
            }
            _ => false,
        },
    );
    id
}

/// `nomad job run` through `via`, aimed at `args` (e.g. `-region west`).
pub fn run_job(via: &RegionAgent, args: &[&str], file: &str) {
    let mut all = vec!["job", "run"];
    all.extend_from_slice(args);
    all.push(file);
    let out = via.nomad(&all);
    assert!(out.status.success(), "job run {args:?}: {}", both(&out));
}
