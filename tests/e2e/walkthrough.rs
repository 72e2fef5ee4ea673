//! Nomad's getting-started guide, command for command, against a real `nomad agent -dev` with a raw_exec
//! job: run, status, alloc status, alloc logs, scale with plan + check-index, change the command, stop.

use super::dev_agent::{DevAgent, both, stdout};

fn web_job(count: u32, greeting: &str) -> String {
    format!(
        r#"job "web" {{
  datacenters = ["dc1"]

  group "app" {{
    count = {count}

    task "server" {{
      driver = "raw_exec"

      config {{
        command = "/bin/sh"
        args    = ["-c", "echo {greeting} from $NOMAD_ALLOC_ID; while true; do sleep 1; done"]
      }}

      resources {{
        cpu    = 50
        memory = 32
      }}
    }}
  }}
}}
"#
    )
}

/// The IDs of allocations in `job status` output whose status column says `status`.
fn allocs_with_status(status_out: &str, status: &str) -> Vec<String> {
    status_out
        .split("Allocations")
        .nth(1)
        .unwrap_or("")
        .lines()
        .skip(2)
        .filter(|l| l.split_whitespace().nth(5) == Some(status))
        .filter_map(|l| l.split_whitespace().next().map(str::to_owned))
        .collect()
}

/// `Job Modify Index: N` from `job plan` output.
fn modify_index(plan_out: &str) -> String {
    plan_out
        .lines()
        .find_map(|l| l.strip_prefix("Job Modify Index: "))
        .map(str::to_owned)
        .unwrap_or_default()
}

#[test]
fn getting_started_walkthrough() {
    let agent = DevAgent::start();

    let nodes = agent.nomad(&["node", "status"]);
    let node_text = stdout(&nodes);
    let node_lines: Vec<&str> = node_text.lines().skip(1).collect();
    assert_eq!(node_lines.len(), 1, "one node expected: {}", both(&nodes));
    assert!(node_lines[0].contains("ready"), "{}", both(&nodes));

    // Run the job and watch its evaluation.
    agent.write("web.nomad.hcl", &web_job(1, "hello"));
    let run = agent.nomad(&["job", "run", "web.nomad.hcl"]);
    assert!(run.status.success(), "{}", both(&run));
    let text = stdout(&run);
    assert!(text.contains("Monitoring evaluation"), "{text}");
    assert!(text.contains("finished with status \"complete\""), "{text}");

    agent.wait_for("1 running allocation", || {
        allocs_with_status(&stdout(&agent.nomad(&["status", "web"])), "running").len() == 1
    });
    let status = stdout(&agent.nomad(&["status", "web"]));
    assert!(status.contains("Status        = running"), "{status}");
    let first = allocs_with_status(&status, "running");

    let alloc = agent.nomad(&["alloc", "status", &first[0]]);
    let alloc_text = stdout(&alloc);
    assert!(
        alloc_text.contains("Task \"server\" is \"running\""),
        "{}",
        both(&alloc)
    );
    assert!(alloc_text.contains("Started"), "{alloc_text}");
    assert!(alloc_text.contains("Received"), "{alloc_text}");

    agent.wait_for("the task's output in alloc logs", || {
        stdout(&agent.nomad(&["alloc", "logs", &first[0]])).contains("hello from")
    });

    // Scale 1 -> 3: plan says 2 create and prints the index to check.
    agent.write("web.nomad.hcl", &web_job(3, "hello"));
    let plan = agent.nomad(&["job", "plan", "web.nomad.hcl"]);
    assert_eq!(
        plan.status.code(),
        Some(1),
        "plan with changes exits 1: {}",
        both(&plan)
    );
    let plan_text = stdout(&plan);
    assert!(plan_text.contains("(2 create"), "{plan_text}");
    assert!(
        plan_text.contains("nomad job run -check-index"),
        "{plan_text}"
    );
    let index = modify_index(&plan_text);
    assert!(!index.is_empty(), "{plan_text}");

    let scaled = agent.nomad(&["job", "run", "-check-index", &index, "web.nomad.hcl"]);
    assert!(scaled.status.success(), "{}", both(&scaled));
    agent.wait_for("3 running allocations", || {
        allocs_with_status(&stdout(&agent.nomad(&["status", "web"])), "running").len() == 3
    });

    let stale = agent.nomad(&["job", "run", "-check-index", &index, "web.nomad.hcl"]);
    assert_eq!(
        stale.status.code(),
        Some(1),
        "a stale index is refused: {}",
        both(&stale)
    );
    assert!(
        String::from_utf8_lossy(&stale.stderr).contains("index"),
        "{}",
        both(&stale)
    );

    // Change the command: every allocation is replaced.
    let before = allocs_with_status(&stdout(&agent.nomad(&["status", "web"])), "running");
    agent.write("web.nomad.hcl", &web_job(3, "goodbye"));
    let plan = agent.nomad(&["job", "plan", "web.nomad.hcl"]);
    let plan_text = stdout(&plan);
    assert!(
        plan_text.contains("create/destroy update"),
        "{}",
        both(&plan)
    );
    let run = agent.nomad(&["job", "run", "web.nomad.hcl"]);
    assert!(run.status.success(), "{}", both(&run));
    agent.wait_for("3 new running allocations", || {
        let now = allocs_with_status(&stdout(&agent.nomad(&["status", "web"])), "running");
        now.len() == 3 && now.iter().all(|id| !before.contains(id))
    });

    // Stop: the job is dead (stopped).
    let stop = agent.nomad(&["job", "stop", "web"]);
    assert!(stop.status.success(), "{}", both(&stop));
    agent.wait_for("the job to be dead (stopped)", || {
        stdout(&agent.nomad(&["status", "web"])).contains("dead (stopped)")
    });

    let code = agent.terminate();
    assert!(code.success(), "agent exits 0 on SIGTERM: {code:?}");
}
