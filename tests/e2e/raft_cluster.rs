//! Three servers forming one Raft group over the RPC port (static `raft_peers`) and two client-only
//! agents: a job spreads over both clients, writes sent to a follower reach the leader, `?stale` reads
//! are served by followers, and when the leader is SIGKILLed a new one is elected with every
//! acknowledged job kept and the running allocations left alone.

use super::cluster_support::{AgentProc, free_udp_port, ids, wait_for};
use super::dev_agent::both;

const RAW_EXEC: &str = "plugin \"raw_exec\" {\n  config {\n    enabled = true\n  }\n}\n";

fn batch_job(name: &str) -> String {
    format!(
        r#"{{"Job": {{"ID": "{name}", "Name": "{name}", "Type": "batch", "Datacenters": ["dc1"],
  "TaskGroups": [{{"Name": "g", "Count": 1, "Tasks": [{{"Name": "t", "Driver": "raw_exec",
    "Config": {{"command": "/bin/true"}}, "Resources": {{"CPU": 20, "MemoryMB": 16}}}}]}}]}}}}"#
    )
}

fn put_job(address: &str, body: &str) -> bool {
    let http = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_global(Some(std::time::Duration::from_secs(10)))
        .build()
        .new_agent();
    http.put(format!("{address}/v1/jobs"))
        .send(body)
        .map(|r| r.status().as_u16() == 200)
        .unwrap_or(false)
}

/// The argument that tells this run's task processes apart from any other run's on the machine.
fn marker() -> String {
    format!("raft-cluster-marker-{}", std::process::id())
}

fn spread_job() -> String {
    r#"job "web" {
  group "g" {
    count = 3

    task "t" {
      driver = "raw_exec"

      config {
        command = "/bin/sh"
        args    = ["-c", "sleep 600; true", "MARKER"]
      }

      resources {
        cpu    = 20
        memory = 16
      }
    }
  }
}
"#
    .replace("MARKER", &marker())
}

struct Orphans;

impl Drop for Orphans {
    fn drop(&mut self) {
        super::cluster_support::kill_orphans(&marker());
    }
}

#[test]
fn three_servers_elect_a_new_leader_and_keep_every_acknowledged_job() {
    let _orphans = Orphans;
    let ports: Vec<u16> = (0..3).map(|_| free_udp_port()).collect();
    let peers: Vec<String> = ports.iter().map(|p| format!("\"127.0.0.1:{p}\"")).collect();
    let server_cfg = format!(
        "server {{\n  enabled = true\n  bootstrap_expect = 3\n  raft_peers = [{}]\n}}\n",
        peers.join(", ")
    );
    let mut servers: Vec<AgentProc> = ports
        .iter()
        .enumerate()
        .map(|(i, p)| AgentProc::start_on(&format!("server{}", i + 1), *p, &server_cfg))
        .collect();
    let all = |s: &[AgentProc]| -> Vec<String> { s.iter().filter_map(|a| a.leader()).collect() };
    {
        let refs: Vec<&AgentProc> = servers.iter().collect();
        wait_for("one leader all three servers agree on", &refs, || {
            let l = all(&servers);
            l.len() == 3 && l.iter().all(|x| x == &l[0])
        });
    }
    let leader_addr = servers[0].leader().expect("leader");
    let peers_seen = servers[1].get("/v1/status/peers").expect("peers");
    assert_eq!(peers_seen.as_array().map(Vec::len), Some(3), "{peers_seen}");
    let list = servers[2].nomad(&["operator", "raft", "list-peers"]);
    let text = String::from_utf8_lossy(&list.stdout).into_owned();
    assert!(list.status.success(), "{}", both(&list));
    assert_eq!(
        text.lines().filter(|l| l.contains(" leader ")).count(),
        1,
        "{text}"
    );
    assert_eq!(
        text.lines().filter(|l| l.contains(" follower ")).count(),
        2,
        "{text}"
    );

    let server_list: Vec<String> = ports.iter().map(|p| format!("\"127.0.0.1:{p}\"")).collect();
    let client_cfg = format!(
        "client {{\n  enabled = true\n  servers = [{}]\n}}\n{RAW_EXEC}",
        server_list.join(", ")
    );
    let c1 = AgentProc::start("client1", &client_cfg);
    let c2 = AgentProc::start("client2", &client_cfg);
    let leader_idx = servers
        .iter()
        .position(|s| s.rpc_addr() == leader_addr)
        .expect("the leader is one of the servers");
    let follower_idx = (leader_idx + 1) % 3;
    {
        let follower = &servers[follower_idx];
        wait_for(
            "both clients ready, read through a follower",
            &[follower, &c1, &c2],
            || {
                let out = follower.nomad(&["node", "status"]);
                String::from_utf8_lossy(&out.stdout)
                    .lines()
                    .filter(|l| l.contains("ready"))
                    .count()
                    == 2
            },
        );
        // A write sent to a follower is carried to the leader.
        follower.write("web.nomad.hcl", &spread_job());
        let run = follower.nomad(&["job", "run", "-detach", "web.nomad.hcl"]);
        assert!(run.status.success(), "{}", both(&run));
        wait_for(
            "three allocations running on both clients",
            &[follower, &c1, &c2],
            || {
                let allocs = follower
                    .get("/v1/job/web/allocations")
                    .and_then(|v| v.as_array().cloned())
                    .unwrap_or_default();
                let running: Vec<_> = allocs
                    .iter()
                    .filter(|a| a["ClientStatus"] == "running")
                    .collect();
                let nodes: std::collections::BTreeSet<String> = running
                    .iter()
                    .filter_map(|a| a["NodeID"].as_str().map(String::from))
                    .collect();
                running.len() == 3 && nodes.len() == 2
            },
        );
        // `?stale` is answered by the follower itself, knowing its leader.
        let (status, known, body) = follower.get_raw("/v1/jobs?stale").expect("stale read");
        assert_eq!((status, known.as_str()), (200, "true"), "{body}");
    }
    let web_allocs = ids(
        &servers[follower_idx]
            .get("/v1/job/web/allocations")
            .expect("allocs"),
        "ID",
    );
    let web_pids = super::cluster_support::pids_running(std::path::Path::new(&marker()));
    assert_eq!(web_pids.len(), 3, "one process per allocation");

    // A steady writer: 200 jobs, one every 20 ms, round robin over the three servers; the leader is
    // SIGKILLed while it writes. A job counts as acknowledged when the API answered 200.
    let addresses: Vec<String> = servers.iter().map(|s| s.address()).collect();
    let acked = std::sync::Arc::new(std::sync::Mutex::new(Vec::<String>::new()));
    let writer = {
        let acked = acked.clone();
        std::thread::spawn(move || {
            for i in 0..200 {
                let name = format!("steady-{i}");
                if put_job(&addresses[i % 3], &batch_job(&name)) {
                    acked.lock().unwrap_or_else(|p| p.into_inner()).push(name);
                }
                std::thread::sleep(std::time::Duration::from_millis(20));
            }
        })
    };
    wait_for(
        "the writer well under way",
        &servers.iter().collect::<Vec<_>>(),
        || acked.lock().unwrap_or_else(|p| p.into_inner()).len() >= 50,
    );
    servers[leader_idx].kill();
    let survivors: Vec<usize> = (0..3).filter(|i| *i != leader_idx).collect();
    {
        let refs: Vec<&AgentProc> = survivors.iter().map(|i| &servers[*i]).collect();
        wait_for("a new leader among the survivors", &refs, || {
            let l: Vec<String> = survivors
                .iter()
                .filter_map(|i| servers[*i].leader())
                .collect();
            l.len() == 2 && l[0] == l[1] && l[0] != leader_addr
        });
    }
    writer.join().expect("writer thread");
    let acknowledged = acked.lock().unwrap_or_else(|p| p.into_inner()).clone();
    assert!(
        acknowledged.len() > 100,
        "the survivors kept taking writes: {}\n{}",
        acknowledged.len(),
        survivors
            .iter()
            .map(|i| servers[*i].log())
            .collect::<Vec<_>>()
            .join("\n")
    );
    let survivor = &servers[survivors[0]];
    let jobs = ids(&survivor.get("/v1/jobs").expect("jobs"), "ID");
    for name in &acknowledged {
        assert!(
            jobs.contains(name),
            "acknowledged job {name} is kept: {jobs:?}"
        );
    }
    // Every acknowledged job gets its one allocation, and none gets two.
    wait_for(
        "one allocation for every acknowledged job",
        &[survivor],
        || {
            let allocs = survivor
                .get("/v1/allocations")
                .and_then(|v| v.as_array().cloned())
                .unwrap_or_default();
            acknowledged.iter().all(|name| {
                allocs
                    .iter()
                    .filter(|a| a["JobID"] == name.as_str())
                    .count()
                    == 1
            })
        },
    );
    let allocs = survivor.get("/v1/allocations").expect("allocations");
    for name in jobs.iter().filter(|j| j.starts_with("steady-")) {
        let n = allocs
            .as_array()
            .map(|a| a.iter().filter(|x| x["JobID"] == name.as_str()).count())
            .unwrap_or(0);
        assert!(n <= 1, "job {name} has {n} allocations");
    }
    // The running allocations were left alone by the failover.
    let after = survivor.get("/v1/job/web/allocations").expect("allocs");
    assert_eq!(
        ids(&after, "ID"),
        web_allocs,
        "no allocation replaced or duplicated"
    );
    let running = after
        .as_array()
        .map(|a| a.iter().filter(|x| x["ClientStatus"] == "running").count())
        .unwrap_or(0);
    assert_eq!(running, 3);
    // The killed server comes back and rejoins as a follower.
    servers[leader_idx].restart();
    {
        let refs: Vec<&AgentProc> = servers.iter().collect();
        wait_for(
            "the restarted server to follow the new leader",
            &refs,
            || {
                let l = all(&servers);
                l.len() == 3 && l.iter().all(|x| x == &l[0]) && l[0] != leader_addr
            },
        );
    }

    // Stop every server and start them again: state intact, a leader elected, and the clients'
    // tasks never noticed (same allocations, same processes, still running).
    for s in servers.iter_mut() {
        s.terminate();
    }
    for s in servers.iter_mut() {
        s.restart();
    }
    {
        let refs: Vec<&AgentProc> = servers.iter().collect();
        wait_for("a leader after restarting every server", &refs, || {
            let l = all(&servers);
            l.len() == 3 && l.iter().all(|x| x == &l[0])
        });
    }
    let jobs_after = ids(&servers[0].get("/v1/jobs").expect("jobs"), "ID");
    assert_eq!(
        jobs_after, jobs,
        "every job survived restarting all servers"
    );
    {
        let refs: Vec<&AgentProc> = servers.iter().collect();
        wait_for("the web allocations unchanged and running", &refs, || {
            servers[0].get("/v1/job/web/allocations").is_some_and(|a| {
                ids(&a, "ID") == web_allocs
                    && a.as_array().is_some_and(|v| {
                        v.iter().filter(|x| x["ClientStatus"] == "running").count() == 3
                    })
            })
        });
    }
    let marker = marker();
    let marker = std::path::Path::new(&marker);
    assert_eq!(
        super::cluster_support::pids_running(marker),
        web_pids,
        "the same processes: no task was restarted or started twice"
    );
}
