//! Agents as separate processes with data dirs: a durable single server that keeps its state across a
//! restart, client-only agents talking to a server over RPC, and what happens when one of them dies.

use std::path::Path;

use super::cluster_support::{AgentProc, ids, kill_orphans, pids_running, wait_for};
use super::dev_agent::both;

const SERVER: &str = "server {\n  enabled = true\n  bootstrap_expect = 1\n}\n";
const RAW_EXEC: &str = "plugin \"raw_exec\" {\n  config {\n    enabled = true\n  }\n}\n";

fn service_job(name: &str, count: u32, marker: &str) -> String {
    format!(
        r#"job "{name}" {{
  group "g" {{
    count = {count}

    task "t" {{
      driver = "raw_exec"

      config {{
        command = "/bin/sh"
        args    = ["-c", "sleep 600; true", "{marker}"]
      }}

      resources {{
        cpu    = 20
        memory = 16
      }}
    }}
  }}
}}
"#
    )
}

/// A job whose task prints `tick 0`, `tick 1`, ... five times a second.
fn ticking_job(name: &str, marker: &str) -> String {
    service_job(name, 1, marker).replace(
        "sleep 600; true",
        "i=0; while true; do echo tick $i; i=$((i+1)); sleep 0.2; done",
    )
}

/// The ticks in `alloc logs` of `alloc`, checked to be `0..n` without a gap.
fn ticks(server: &AgentProc, alloc: &str) -> usize {
    let out = server.nomad(&["alloc", "logs", alloc]);
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    let lines: Vec<&str> = text.lines().collect();
    for (i, l) in lines.iter().enumerate() {
        assert_eq!(*l, format!("tick {i}"), "no tick lost or repeated:\n{text}");
    }
    lines.len()
}

fn running_allocs(agent: &AgentProc, job: &str) -> usize {
    agent
        .get(&format!("/v1/job/{job}/allocations"))
        .and_then(|v| v.as_array().cloned())
        .map(|a| {
            a.iter()
                .filter(|x| x["ClientStatus"] == "running" && x["DesiredStatus"] == "run")
                .count()
        })
        .unwrap_or(0)
}

#[test]
fn durable_server_keeps_jobs_allocs_and_evals_across_restart() {
    let _orphans = Orphans(&["durable-web", "durable-api"]);
    let mut agent = AgentProc::start(
        "durable",
        &format!("{SERVER}client {{\n  enabled = true\n}}\n{RAW_EXEC}"),
    );
    wait_for("a ready node", &[&agent], || {
        let out = agent.nomad(&["node", "status"]);
        out.status.success() && String::from_utf8_lossy(&out.stdout).contains("ready")
    });
    assert!(
        agent.data_dir().join("server").join("raft").is_dir(),
        "the raft log lives under data_dir/server"
    );
    agent.write("web.nomad.hcl", &service_job("web", 2, "durable-web"));
    let run = agent.nomad(&["job", "run", "web.nomad.hcl"]);
    assert!(run.status.success(), "{}", both(&run));
    wait_for("two running allocations", &[&agent], || {
        running_allocs(&agent, "web") == 2
    });
    let jobs = agent.get("/v1/jobs").expect("jobs");
    let allocs = agent.get("/v1/allocations").expect("allocations");
    let evals = agent.get("/v1/evaluations").expect("evaluations");
    let (job_ids, alloc_ids, eval_ids) = (ids(&jobs, "ID"), ids(&allocs, "ID"), ids(&evals, "ID"));
    assert_eq!(job_ids, vec!["web".to_string()]);
    assert_eq!(alloc_ids.len(), 2);
    assert!(!eval_ids.is_empty());
    let pids = pids_running(Path::new("durable-web"));
    assert_eq!(pids.len(), 2);

    // SIGTERM: the agent stops, its tasks keep running (as Nomad's clients leave them).
    agent.terminate();
    assert_eq!(pids_running(Path::new("durable-web")), pids);
    agent.restart();
    wait_for(
        "the restarted server to lead and list the job",
        &[&agent],
        || {
            agent
                .get("/v1/status/leader")
                .is_some_and(|l| l.as_str().is_some_and(|s| !s.is_empty()))
                && agent
                    .get("/v1/jobs")
                    .is_some_and(|j| ids(&j, "ID") == job_ids)
        },
    );
    let after_allocs = agent.get("/v1/allocations").expect("allocations");
    let after_evals = agent.get("/v1/evaluations").expect("evaluations");
    for a in &alloc_ids {
        assert!(
            ids(&after_allocs, "ID").contains(a),
            "allocation {a} survived the restart\n{}",
            agent.log()
        );
    }
    for e in &eval_ids {
        assert!(
            ids(&after_evals, "ID").contains(e),
            "evaluation {e} survived the restart"
        );
    }
    // The restarted client re-attached to both tasks: same processes, same allocations, running.
    wait_for("both allocations running again", &[&agent], || {
        running_allocs(&agent, "web") == 2
    });
    assert_eq!(
        pids_running(Path::new("durable-web")),
        pids,
        "{}",
        agent.log()
    );
    // The restarted server leads again and takes writes.
    agent.write("api.nomad.hcl", &service_job("api", 1, "durable-api"));
    let run = agent.nomad(&["job", "run", "api.nomad.hcl"]);
    assert!(run.status.success(), "{}\n{}", both(&run), agent.log());
    wait_for("the new job running", &[&agent], || {
        running_allocs(&agent, "api") == 1
    });
    let stop = agent.nomad(&["job", "stop", "web"]);
    assert!(stop.status.success(), "{}", both(&stop));
    wait_for("the re-attached tasks stopped", &[&agent], || {
        pids_running(Path::new("durable-web")).is_empty()
    });
    agent.terminate();
}

/// Server config with heartbeat timing short enough for a test to watch a node go down.
const FAST_SERVER: &str = "server {\n  enabled = true\n  bootstrap_expect = 1\n  min_heartbeat_ttl = \"1s\"\n  heartbeat_grace = \"2s\"\n}\n";

fn client_of(servers: &[String], region: Option<&str>) -> String {
    let list: Vec<String> = servers.iter().map(|s| format!("\"{s}\"")).collect();
    let region = region
        .map(|r| format!("region = \"{r}\"\n"))
        .unwrap_or_default();
    format!(
        "{region}client {{\n  enabled = true\n  servers = [{}]\n}}\n{RAW_EXEC}",
        list.join(", ")
    )
}

fn allocs_of(agent: &AgentProc, job: &str) -> Vec<serde_json::Value> {
    agent
        .get(&format!("/v1/job/{job}/allocations"))
        .and_then(|v| v.as_array().cloned())
        .unwrap_or_default()
}

fn node_ids(agent: &AgentProc) -> Vec<(String, String, String)> {
    agent
        .get("/v1/nodes")
        .and_then(|v| v.as_array().cloned())
        .unwrap_or_default()
        .iter()
        .map(|n| {
            (
                n["Name"].as_str().unwrap_or_default().to_string(),
                n["ID"].as_str().unwrap_or_default().to_string(),
                n["Status"].as_str().unwrap_or_default().to_string(),
            )
        })
        .collect()
}

/// Kills the tasks carrying these markers that a stopped client left running, with their executors.
struct Orphans(&'static [&'static str]);

impl Drop for Orphans {
    fn drop(&mut self) {
        for marker in self.0 {
            kill_orphans(marker);
        }
    }
}

#[test]
fn clients_over_rpc_run_a_spread_job_and_a_dead_client_is_replaced() {
    let _orphans = Orphans(&["cluster-spread-marker"]);
    let server = AgentProc::start("server1", FAST_SERVER);
    let servers = vec![server.rpc_addr()];
    let c1 = AgentProc::start("client1", &client_of(&servers, None));
    let c2 = AgentProc::start("client2", &client_of(&servers, None));
    let mut c1 = c1;
    wait_for("both clients ready", &[&server, &c1, &c2], || {
        let out = server.nomad(&["node", "status"]);
        let text = String::from_utf8_lossy(&out.stdout).into_owned();
        out.status.success()
            && text.lines().filter(|l| l.contains("ready")).count() == 2
            && text.contains("client1")
            && text.contains("client2")
    });
    // The client-only agent's API answers by carrying the request to the server.
    let via_client = c1.nomad(&["node", "status"]);
    assert!(via_client.status.success(), "{}", both(&via_client));
    assert!(String::from_utf8_lossy(&via_client.stdout).contains("client2"));

    server.write(
        "spread.nomad.hcl",
        &service_job("spread", 3, "cluster-spread-marker"),
    );
    let run = server.nomad(&["job", "run", "spread.nomad.hcl"]);
    assert!(run.status.success(), "{}", both(&run));
    let nodes = node_ids(&server);
    let id_of = |name: &str| {
        nodes
            .iter()
            .find(|n| n.0 == name)
            .map(|n| n.1.clone())
            .unwrap_or_default()
    };
    let (n1, n2) = (id_of("client1"), id_of("client2"));
    wait_for(
        "three running allocations on both clients",
        &[&server, &c1, &c2],
        || {
            let allocs = allocs_of(&server, "spread");
            let running: Vec<&serde_json::Value> = allocs
                .iter()
                .filter(|a| a["ClientStatus"] == "running")
                .collect();
            running.len() == 3
                && running.iter().any(|a| a["NodeID"] == n1.as_str())
                && running.iter().any(|a| a["NodeID"] == n2.as_str())
        },
    );
    let on_c1: Vec<String> = allocs_of(&server, "spread")
        .iter()
        .filter(|a| a["NodeID"] == n1.as_str())
        .filter_map(|a| a["ID"].as_str().map(String::from))
        .collect();

    c1.kill();
    wait_for(
        "client1 down, its allocations lost and replaced on client2",
        &[&server, &c2],
        || {
            let down = node_ids(&server)
                .iter()
                .any(|n| n.0 == "client1" && n.2 == "down");
            let allocs = allocs_of(&server, "spread");
            let lost = on_c1.iter().all(|id| {
                allocs
                    .iter()
                    .any(|a| a["ID"] == id.as_str() && a["ClientStatus"] == "lost")
            });
            let running_on_c2 = allocs
                .iter()
                .filter(|a| a["ClientStatus"] == "running" && a["NodeID"] == n2.as_str())
                .count();
            down && lost && running_on_c2 == 3
        },
    );
}

#[test]
fn a_client_pointed_at_the_wrong_region_or_no_server_keeps_retrying() {
    let server = AgentProc::start(
        "server-east",
        "region = \"east\"\nserver {\n  enabled = true\n  bootstrap_expect = 1\n}\n",
    );
    // The wrong region: the server answers, and refuses.
    let west = AgentProc::start(
        "client-west",
        &client_of(&[server.rpc_addr()], Some("west")),
    );
    // Not a server: the server's HTTP port has nothing on UDP; its serf port does not speak RPC.
    let nowhere = AgentProc::start(
        "client-nowhere",
        &client_of(
            &[format!(
                "127.0.0.1:{}",
                super::cluster_support::free_udp_port()
            )],
            Some("east"),
        ),
    );
    wait_for(
        "both clients to log their retries",
        &[&west, &nowhere],
        || {
            let wl = west.log();
            let nl = nowhere.log();
            wl.matches("error registering node; retrying").count() >= 2
                && wl.contains("server is in region \"east\", not \"west\"")
                && nl.matches("error registering node; retrying").count() >= 2
                && nl.contains("cannot reach 127.0.0.1:")
        },
    );
    assert!(
        node_ids(&server).is_empty(),
        "a client of another region is not registered"
    );
}

/// A durable server and a client-only agent of it, its node ready.
fn server_and_ready_client() -> (AgentProc, AgentProc) {
    let server = AgentProc::start("server1", SERVER);
    let client = AgentProc::start("client1", &client_of(&[server.rpc_addr()], None));
    wait_for("a ready node", &[&server, &client], || {
        node_ids(&server).iter().any(|n| n.2 == "ready")
    });
    (server, client)
}

#[test]
fn a_restarted_client_reattaches_to_its_running_raw_exec_task() {
    let marker = "cluster-reattach-marker";
    let _orphans = Orphans(&["cluster-reattach-marker"]);
    let (server, mut client) = server_and_ready_client();
    server.write("keep.nomad.hcl", &ticking_job("keep", marker));
    let run = server.nomad(&["job", "run", "keep.nomad.hcl"]);
    assert!(run.status.success(), "{}", both(&run));
    wait_for("the task running", &[&server, &client], || {
        running_allocs(&server, "keep") == 1 && pids_running(Path::new(marker)).len() == 1
    });
    let pid = pids_running(Path::new(marker));
    let alloc_ids = ids(
        &server.get("/v1/job/keep/allocations").expect("allocs"),
        "ID",
    );
    assert!(
        client
            .data_dir()
            .join("client")
            .join("raw_exec")
            .join(&alloc_ids[0])
            .join("t.json")
            .is_file(),
        "the task is recorded under data_dir/client"
    );

    wait_for("the first ticks logged", &[&server, &client], || {
        ticks(&server, &alloc_ids[0]) >= 2
    });

    // SIGKILL: the task outlives its client, which comes back well within the heartbeat TTL.
    client.kill();
    // The task goes on printing while no client reads (into the FIFO its executor holds open).
    std::thread::sleep(std::time::Duration::from_secs(1));
    assert_eq!(
        pids_running(Path::new(marker)),
        pid,
        "the task outlived its client"
    );
    client.restart();
    wait_for(
        "the restarted client to re-attach",
        &[&server, &client],
        || {
            client
                .log()
                .contains("re-attached to running raw_exec task")
        },
    );
    assert_eq!(
        pids_running(Path::new(marker)),
        pid,
        "the same process, no duplicate\n{}",
        client.log()
    );
    wait_for(
        "the allocation still running, not replaced",
        &[&server, &client],
        || {
            let allocs = server.get("/v1/job/keep/allocations").expect("allocs");
            ids(&allocs, "ID") == alloc_ids && running_allocs(&server, "keep") == 1
        },
    );
    // What it printed while no client ran, and after, reaches its log: none of it lost.
    let before = ticks(&server, &alloc_ids[0]);
    wait_for("ticks after the restart", &[&server, &client], || {
        ticks(&server, &alloc_ids[0]) >= before + 5
    });
    // Stopping the job stops the re-attached process.
    let stop = server.nomad(&["job", "stop", "keep"]);
    assert!(stop.status.success(), "{}", both(&stop));
    wait_for("the re-attached task stopped", &[&server, &client], || {
        pids_running(Path::new(marker)).is_empty()
    });
}

#[test]
fn a_task_that_ends_after_its_client_restarted_reports_its_own_exit_code() {
    let marker = "cluster-exitcode-marker";
    let _orphans = Orphans(&["cluster-exitcode-marker"]);
    let (server, mut client) = server_and_ready_client();
    // A batch task that exits 3 once told to (by a file), never restarted.
    let go = client.data_dir().join("go");
    let job = service_job("ends", 1, marker)
        .replace(
            "sleep 600; true",
            &format!("while [ ! -e {} ]; do sleep 0.1; done; exit 3", go.display()),
        )
        .replace(
            "job \"ends\" {",
            "job \"ends\" {\n  type = \"batch\"\n  reschedule {\n    attempts  = 0\n    unlimited = false\n  }",
        )
        .replace(
            "    task \"t\" {",
            "    restart {\n      attempts = 0\n      mode     = \"fail\"\n    }\n\n    task \"t\" {",
        );
    server.write("ends.nomad.hcl", &job);
    let run = server.nomad(&["job", "run", "-detach", "ends.nomad.hcl"]);
    assert!(run.status.success(), "{}", both(&run));
    wait_for("the task running", &[&server, &client], || {
        pids_running(Path::new(marker)).len() == 1
    });
    client.kill();
    client.restart();
    wait_for(
        "the restarted client to re-attach",
        &[&server, &client],
        || {
            client
                .log()
                .contains("re-attached to running raw_exec task")
        },
    );
    std::fs::write(&go, "").unwrap();
    // The client is not the task's parent now; its executor kept the status.
    wait_for(
        "the allocation failed with exit code 3",
        &[&server, &client],
        || {
            let Some(alloc) = allocs_of(&server, "ends").first().cloned() else {
                return false;
            };
            let events = alloc["TaskStates"]["t"]["Events"]
                .as_array()
                .cloned()
                .unwrap_or_default();
            alloc["ClientStatus"] == "failed"
                && events
                    .iter()
                    .any(|e| e["Type"] == "Terminated" && e["ExitCode"] == 3)
        },
    );
}
