//! Agents as separate processes with data dirs: a durable single server that keeps its state across a
//! restart, client-only agents talking to a server over RPC, and what happens when one of them dies.

use super::cluster_support::{AgentProc, ids, wait_for};
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

    agent.terminate();
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
    // The restarted server leads again and takes writes.
    agent.write("api.nomad.hcl", &service_job("api", 1, "durable-api"));
    let run = agent.nomad(&["job", "run", "api.nomad.hcl"]);
    assert!(run.status.success(), "{}\n{}", both(&run), agent.log());
    wait_for("the new job running", &[&agent], || {
        running_allocs(&agent, "api") == 1
    });
    agent.terminate();
}
