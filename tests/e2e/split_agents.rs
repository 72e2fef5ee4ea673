//! Split agents, Nomad's production shape: one server-only agent and one client-only agent (raw_exec).
//! The allocation endpoints that run on the node holding the allocation (`alloc logs` and `-f`, `alloc fs`,
//! `alloc status -stats`, `alloc signal`, `alloc exec`) answer through the server's HTTP address (which
//! proxies to the node's registered `HTTPAddr`) and through the client's own (which serves its allocation
//! itself); once the client is gone the server says there is no path to the node, at once.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::thread;
use std::time::{Duration, Instant};

use super::cluster_support::{AgentProc, kill_orphans, wait_for};
use super::dev_agent::{PATIENCE, both};
use super::support::NOMAD;

/// Heartbeats short enough for the test to watch the killed client's node go down.
const SERVER: &str = "server {\n  enabled = true\n  bootstrap_expect = 1\n  min_heartbeat_ttl = \"1s\"\n  heartbeat_grace = \"2s\"\n}\n";
const RAW_EXEC: &str = "plugin \"raw_exec\" {\n  config {\n    enabled = true\n  }\n}\n";
const MARKER: &str = "split-agents-marker";

/// A task that ticks on stdout, wrote a file, and answers SIGUSR1.
fn ticker_job() -> String {
    format!(
        r#"job "split" {{
  group "g" {{
    task "app" {{
      driver = "raw_exec"

      config {{
        command = "/bin/sh"
        args    = ["-c", "trap 'echo got-usr1' USR1; echo started > local/out.txt; i=0; while true; do i=$((i+1)); echo tick-$i; sleep 0.2; done", "{MARKER}"]
      }}

      resources {{
        cpu    = 20
        memory = 32
      }}
    }}
  }}
}}
"#
    )
}

/// Kills the task a killed client left running.
struct Orphans;

impl Drop for Orphans {
    fn drop(&mut self) {
        kill_orphans(MARKER);
    }
}

fn stdout(out: &std::process::Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// The highest `tick-N` in `text`.
fn last_tick(text: &str) -> u64 {
    text.lines()
        .filter_map(|l| l.trim().strip_prefix("tick-")?.parse().ok())
        .max()
        .unwrap_or(0)
}

/// `alloc logs -f` through `agent` keeps printing lines written after it began.
fn follow_streams(agent: &AgentProc, id: &str) {
    let printed = last_tick(&stdout(&agent.nomad(&["alloc", "logs", id])));
    let mut follow = Command::new(NOMAD)
        .args(["alloc", "logs", "-f", id])
        .env("NOMAD_ADDR", agent.address())
        .env_remove("NOMAD_REGION")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("follow logs");
    let (tx, rx) = mpsc::channel();
    let lines = BufReader::new(follow.stdout.take().expect("stdout"));
    thread::spawn(move || {
        for line in lines.lines().map_while(Result::ok) {
            if tx.send(line).is_err() {
                return;
            }
        }
    });
    let started = Instant::now();
    let mut last = 0;
    while last < printed + 5 && started.elapsed() < PATIENCE {
        if let Ok(line) = rx.recv_timeout(Duration::from_secs(1)) {
            last = last.max(last_tick(&line));
        }
    }
    let _ = follow.kill();
    let _ = follow.wait();
    assert!(
        last >= printed + 5,
        "the follow through {} stopped at tick-{last}; tick-{printed} was written before it began",
        agent.name
    );
}

/// Every node-side endpoint, asked of `agent`.
fn operate_through(agent: &AgentProc, others: &[&AgentProc], id: &str) {
    let all: Vec<&AgentProc> = std::iter::once(agent)
        .chain(others.iter().copied())
        .collect();
    let logs = agent.nomad(&["alloc", "logs", id]);
    assert!(logs.status.success(), "{}", both(&logs));
    assert!(stdout(&logs).contains("tick-"), "{}", both(&logs));

    let root = agent.nomad(&["alloc", "fs", id]);
    assert!(root.status.success(), "{}", both(&root));
    let text = stdout(&root);
    assert!(
        text.contains(" alloc/\n") && text.contains(" app/"),
        "{text}"
    );
    let cat = agent.nomad(&["alloc", "fs", id, "app/local/out.txt"]);
    assert_eq!(stdout(&cat), "started\n", "{}", both(&cat));

    let stats = agent.nomad(&["alloc", "status", "-stats", id]);
    assert!(stats.status.success(), "{}", both(&stats));
    let text = stdout(&stats);
    assert!(
        text.contains("CPU Stats") && text.contains("Memory Stats") && text.contains("RSS"),
        "{text}"
    );
    let raw = agent
        .get(&format!("/v1/client/allocation/{id}/stats"))
        .expect("stats JSON");
    let rss = raw["Tasks"]["app"]["ResourceUsage"]["MemoryStats"]["RSS"]
        .as_u64()
        .unwrap_or(0);
    assert!(rss > 0, "no memory usage in {raw}");

    let before = stdout(&agent.nomad(&["alloc", "logs", id]))
        .matches("got-usr1")
        .count();
    let sig = agent.nomad(&["alloc", "signal", "-s", "SIGUSR1", id, "app"]);
    assert!(sig.status.success(), "{}", both(&sig));
    wait_for("the trap's output after the signal", &all, || {
        stdout(&agent.nomad(&["alloc", "logs", id]))
            .matches("got-usr1")
            .count()
            > before
    });

    let hi = agent.nomad(&["alloc", "exec", id, "echo", "hi"]);
    assert!(hi.status.success(), "{}", both(&hi));
    assert_eq!(stdout(&hi), "hi\n", "{}", both(&hi));

    follow_streams(agent, id);
}

#[test]
fn server_and_client_agents_answer_for_the_nodes_allocations() {
    let _orphans = Orphans;
    let server = AgentProc::start("split-server", SERVER);
    let client_config = |pool: &str| {
        format!(
            "client {{\n  enabled = true\n  node_pool = \"{pool}\"\n  servers = [\"{}\"]\n}}\n{RAW_EXEC}",
            server.rpc_addr()
        )
    };
    let mut client = AgentProc::start("split-client", &client_config("default"));
    // Another client, in a pool the job does not use: it runs nothing of it and must ask the node that does.
    let other = AgentProc::start("split-other", &client_config("spare"));
    wait_for(
        "both client nodes ready",
        &[&server, &client, &other],
        || {
            let out = server.nomad(&["node", "status"]);
            out.status.success()
                && stdout(&out).lines().filter(|l| l.contains("ready")).count() == 2
        },
    );
    server.write("split.nomad.hcl", &ticker_job());
    let run = server.nomad(&["job", "run", "-detach", "split.nomad.hcl"]);
    assert!(run.status.success(), "{}", both(&run));
    let mut id = String::new();
    wait_for("a running allocation", &[&server, &client], || {
        let allocs = server.get("/v1/job/split/allocations").unwrap_or_default();
        match allocs.as_array().map(Vec::as_slice) {
            Some([a]) if a["ClientStatus"] == "running" => {
                id = a["ID"].as_str().unwrap_or_default().to_string();
                true
            }
            _ => false,
        }
    });
    wait_for("the task's first ticks", &[&server, &client], || {
        last_tick(&stdout(&client.nomad(&["alloc", "logs", &id]))) > 2
    });

    operate_through(&server, &[&client], &id);
    operate_through(&client, &[&server], &id);
    operate_through(&other, &[&server, &client], &id);
    // A short prefix resolves on both too.
    let short = &id[..8];
    let cat = client.nomad(&["alloc", "fs", short, "app/local/out.txt"]);
    assert_eq!(stdout(&cat), "started\n", "{}", both(&cat));

    // The node's agent is gone but not yet marked down: a clear error at once, no hang.
    client.kill();
    let begun = Instant::now();
    let out = server.nomad(&["alloc", "logs", &id]);
    assert!(!out.status.success(), "{}", both(&out));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("no path to node"), "{}", both(&out));
    assert!(
        begun.elapsed() < Duration::from_secs(10),
        "took {:?}",
        begun.elapsed()
    );
    // Once the node is down, Nomad's words.
    let node = server
        .get(&format!("/v1/allocation/{id}"))
        .and_then(|a| a["NodeID"].as_str().map(String::from))
        .expect("the allocation's node");
    wait_for("the killed client's node down", &[&server], || {
        server
            .get(&format!("/v1/node/{node}"))
            .is_some_and(|n| n["Status"] == "down")
    });
    let (status, _, body) = other
        .get_raw(&format!("/v1/client/allocation/{id}/stats"))
        .expect("the other client answers");
    assert_eq!(
        (status, body.trim()),
        (500, format!("node {node} is down").as_str())
    );
    let out = other.nomad(&["alloc", "fs", &id]);
    assert!(!out.status.success(), "{}", both(&out));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains(&format!("node {node} is down")),
        "{}",
        both(&out)
    );
}
