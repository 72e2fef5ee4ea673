//! Scheduling behaviour on a real dev agent: batch completion, restart then reschedule of a failing task,
//! `missing drivers`, memory exhaustion that blocks and is placed once capacity frees up.

use super::dev_agent::{DevAgent, both, stdout};

fn job(
    name: &str,
    kind: &str,
    group_extra: &str,
    driver: &str,
    config: &str,
    memory: u64,
) -> String {
    format!(
        r#"job "{name}" {{
  type = "{kind}"

  group "g" {{
{group_extra}
    task "t" {{
      driver = "{driver}"

      config {{
{config}
      }}

      resources {{
        cpu    = 20
        memory = {memory}
      }}
    }}
  }}
}}
"#
    )
}

#[test]
fn batch_job_runs_to_complete() {
    let agent = DevAgent::start();
    agent.write(
        "b.nomad.hcl",
        &job(
            "b",
            "batch",
            "",
            "raw_exec",
            "        command = \"/bin/true\"",
            16,
        ),
    );
    let run = agent.nomad(&["job", "run", "b.nomad.hcl"]);
    assert!(run.status.success(), "{}", both(&run));
    agent.wait_for("the batch allocation to complete", || {
        let s = stdout(&agent.nomad(&["job", "status", "b"]));
        s.contains(" complete ")
            || s.lines()
                .any(|l| l.ends_with("complete") || l.contains("  complete  "))
    });
    agent.wait_for("the batch job to be dead", || {
        stdout(&agent.nomad(&["job", "status", "b"])).contains("Status        = dead")
    });
}

#[test]
fn failing_task_restarts_then_reschedules() {
    let agent = DevAgent::start();
    let policies = r#"    restart {
      attempts = 1
      interval = "1m"
      delay    = "1s"
      mode     = "fail"
    }

    reschedule {
      attempts  = 1
      interval  = "1h"
      delay     = "5s"
      unlimited = false
    }
"#;
    agent.write(
        "f.nomad.hcl",
        &job(
            "f",
            "service",
            policies,
            "raw_exec",
            "        command = \"/bin/false\"",
            16,
        ),
    );
    let run = agent.nomad(&["job", "run", "-detach", "f.nomad.hcl"]);
    assert!(run.status.success(), "{}", both(&run));
    // The first allocation restarts once, fails, and a replacement is placed.
    agent.wait_for("a failed allocation and its replacement", || {
        let s = stdout(&agent.nomad(&["job", "status", "f"]));
        let allocs: Vec<&str> = s
            .split("Allocations")
            .nth(1)
            .unwrap_or("")
            .lines()
            .skip(2)
            .collect();
        allocs.len() >= 2 && allocs.iter().any(|l| l.contains("failed"))
    });
    let s = stdout(&agent.nomad(&["job", "status", "f"]));
    let failed = s
        .split("Allocations")
        .nth(1)
        .unwrap_or("")
        .lines()
        .skip(2)
        .find(|l| l.contains("failed"))
        .and_then(|l| l.split_whitespace().next())
        .unwrap_or("")
        .to_owned();
    let alloc = stdout(&agent.nomad(&["alloc", "status", &failed]));
    assert!(
        alloc.contains("Restarting"),
        "the task was restarted before failing: {alloc}"
    );
    assert!(alloc.contains("Not Restarting"), "{alloc}");
}

#[test]
fn docker_job_without_docker_reports_missing_drivers() {
    let agent =
        DevAgent::start_with("client {\n  options = { \"driver.denylist\" = \"docker\" }\n}\n");
    agent.write(
        "d.nomad.hcl",
        &job(
            "d",
            "service",
            "",
            "docker",
            "        image = \"redis:7\"",
            64,
        ),
    );
    let run = agent.nomad(&["job", "run", "d.nomad.hcl"]);
    assert_eq!(
        run.status.code(),
        Some(2),
        "placement failure exits 2: {}",
        both(&run)
    );
    assert!(
        stdout(&run).contains("Constraint \"missing drivers\": 1 nodes excluded by filter"),
        "{}",
        both(&run)
    );
}

#[test]
fn exhausted_memory_blocks_until_capacity_frees() {
    let agent = DevAgent::start();
    // Ask for most of the node's memory twice: the second job cannot fit until the first stops.
    let list = stdout(&agent.nomad(&["node", "status"]));
    let node_id = list
        .lines()
        .nth(1)
        .and_then(|l| l.split_whitespace().next())
        .unwrap_or("")
        .to_owned();
    let node = stdout(&agent.nomad(&["node", "status", "-json", &node_id]));
    let total: u64 = serde_json::from_str::<serde_json::Value>(&node)
        .ok()
        .and_then(|v| v.pointer("/NodeResources/Memory/MemoryMB")?.as_u64())
        .unwrap_or(0);
    assert!(total > 0, "node memory fingerprinted: {node}");
    let big = total * 6 / 10;
    let cmd = "        command = \"/bin/sh\"\n        args    = [\"-c\", \"sleep 600\"]";
    agent.write(
        "m1.nomad.hcl",
        &job("m1", "service", "", "raw_exec", cmd, big),
    );
    agent.write(
        "m2.nomad.hcl",
        &job("m2", "service", "", "raw_exec", cmd, big),
    );
    let first = agent.nomad(&["job", "run", "m1.nomad.hcl"]);
    assert!(first.status.success(), "{}", both(&first));
    let second = agent.nomad(&["job", "run", "m2.nomad.hcl"]);
    assert_eq!(second.status.code(), Some(2), "{}", both(&second));
    let text = stdout(&second);
    assert!(
        text.contains("Dimension \"memory\" exhausted on 1 nodes"),
        "{text}"
    );
    assert!(text.contains("waiting for additional capacity"), "{text}");
    let stop = agent.nomad(&["job", "stop", "m1"]);
    assert!(stop.status.success(), "{}", both(&stop));
    agent.wait_for("the blocked job to be placed", || {
        stdout(&agent.nomad(&["job", "status", "m2"])).contains("running")
    });
    // Tasks outlive a killed agent: stop this one so no `sleep` (and its cgroup) leaks.
    let stop = agent.nomad(&["job", "stop", "m2"]);
    assert!(stop.status.success(), "{}", both(&stop));
    agent.wait_for("the second job to be dead (stopped)", || {
        stdout(&agent.nomad(&["status", "m2"])).contains("dead (stopped)")
    });
}
