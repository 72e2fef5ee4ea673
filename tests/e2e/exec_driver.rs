//! An `exec` job through a real `nomad agent -dev`: it runs isolated (its own PID
//! namespace, as `nobody`), its output reaches `nomad alloc logs`, `alloc exec` runs
//! inside it, and `job stop`
//! leaves no cgroup behind; a task past its memory limit is OOM-killed and its
//! event says so. Needs root and cgroups: missing in CI (`CI=true`) fails
//! loudly, elsewhere the test says loudly that it did not run.

use std::path::Path;

use super::dev_agent::{DevAgent, both, stdout};

const JOB: &str = r#"job "iso" {
  datacenters = ["dc1"]

  group "g" {
    task "box" {
      driver = "exec"

      config {
        command = "/bin/busybox"
        args    = ["sh", "-c", "echo hello from $NOMAD_ALLOC_ID; echo uid=$(id -u) pid=$$ dir=$NOMAD_TASK_DIR; while true; do sleep 1; done"]
      }

      resources {
        cpu    = 100
        memory = 64
      }
    }
  }
}
"#;

fn root_with_cgroups() -> bool {
    // SAFETY: geteuid has no preconditions.
    let root = unsafe { libc::geteuid() } == 0;
    let cgroups = Path::new("/sys/fs/cgroup/memory").is_dir()
        || std::fs::read_to_string("/sys/fs/cgroup/cgroup.controllers")
            .is_ok_and(|c| c.contains("memory"));
    if root && cgroups {
        return true;
    }
    let msg = format!(
        "the exec e2e test needs root and cgroups (root={root}, cgroups={cgroups}); \
         the exec driver is NOT tested end to end here"
    );
    if std::env::var("CI").is_ok_and(|v| v == "true") {
        panic!("{msg}");
    }
    eprintln!("\n!!!!!!!! {msg} !!!!!!!!\n");
    false
}

/// The allocation IDs in `job status` output.
fn alloc_ids(status_out: &str) -> Vec<String> {
    status_out
        .split("Allocations")
        .nth(1)
        .unwrap_or("")
        .lines()
        .skip(2)
        .filter_map(|l| l.split_whitespace().next().map(str::to_owned))
        .collect()
}

/// Whether any cgroup directory of the allocation (short or full ID prefix) exists.
fn alloc_cgroup_exists(alloc_prefix: &str) -> bool {
    ["/sys/fs/cgroup/memory/nomad", "/sys/fs/cgroup/nomad.slice"]
        .iter()
        .filter_map(|d| std::fs::read_dir(d).ok())
        .flatten()
        .flatten()
        .any(|e| e.file_name().to_string_lossy().starts_with(alloc_prefix))
}

#[test]
fn exec_job_runs_isolated_and_logs() {
    if !root_with_cgroups() {
        return;
    }
    let agent = DevAgent::start();
    // -dev as root: exec is fingerprinted healthy.
    let nodes = stdout(&agent.nomad(&["node", "status"]));
    let node = nodes
        .lines()
        .nth(1)
        .and_then(|l| l.split_whitespace().next())
        .unwrap_or_default()
        .to_string();
    let detail = agent.nomad(&["node", "status", &node]);
    let drivers = stdout(&detail)
        .lines()
        .find(|l| l.starts_with("Driver Status"))
        .unwrap_or_default()
        .to_string();
    let healthy: Vec<&str> = drivers
        .rsplit('=')
        .next()
        .unwrap_or_default()
        .trim()
        .split(',')
        .collect();
    assert!(healthy.contains(&"exec"), "{}", both(&detail));
    agent.write("iso.nomad.hcl", JOB);
    let run = agent.nomad(&["job", "run", "iso.nomad.hcl"]);
    assert!(run.status.success(), "{}", both(&run));
    agent.wait_for("the exec task to be running", || {
        stdout(&agent.nomad(&["status", "iso"])).contains("running")
    });
    let status = stdout(&agent.nomad(&["status", "iso"]));
    let ids = alloc_ids(&status);
    assert_eq!(ids.len(), 1, "{status}");
    let alloc = ids[0].clone();
    agent.wait_for("the exec task's output in alloc logs", || {
        stdout(&agent.nomad(&["alloc", "logs", &alloc])).contains("dir=")
    });
    let logs = stdout(&agent.nomad(&["alloc", "logs", &alloc]));
    assert!(logs.contains("hello from "), "{logs}");
    // nobody (Nomad's default exec user), PID 2 of its own namespace, task dir at /local.
    assert!(logs.contains("uid=65534 pid=2 dir=/local"), "{logs}");
    assert!(
        alloc_cgroup_exists(&alloc),
        "no cgroup for running alloc {alloc}"
    );

    // `alloc exec` runs inside the task: same user, same PID namespace, its root.
    let exec = agent.nomad(&[
        "alloc",
        "exec",
        &alloc,
        "/bin/busybox",
        "sh",
        "-c",
        "echo uid=$(id -u) procs=$(ls /proc | grep -c '^[0-9]'); ls /local >/dev/null; exit 7",
    ]);
    assert_eq!(exec.status.code(), Some(7), "{}", both(&exec));
    let out = stdout(&exec);
    assert!(out.contains("uid=65534 "), "{out}");
    let procs: usize = out
        .trim()
        .rsplit("procs=")
        .next()
        .and_then(|n| n.parse().ok())
        .unwrap_or(usize::MAX);
    assert!(procs <= 8, "alloc exec sees host processes: {out}");

    let stop = agent.nomad(&["job", "stop", "iso"]);
    assert!(stop.status.success(), "{}", both(&stop));
    agent.wait_for("the job to be dead (stopped)", || {
        stdout(&agent.nomad(&["status", "iso"])).contains("dead (stopped)")
    });
    agent.wait_for("the task's cgroup to be removed", || {
        !alloc_cgroup_exists(&alloc)
    });
    let code = agent.terminate();
    assert!(code.success(), "agent exits 0 on SIGTERM: {code:?}");
}

const HOG: &str = r#"job "hog" {
  datacenters = ["dc1"]
  type        = "batch"

  group "g" {
    restart {
      attempts = 0
      mode     = "fail"
    }

    task "hog" {
      driver = "exec"

      config {
        command = "/bin/busybox"
        args    = ["dd", "if=/dev/zero", "of=/dev/null", "bs=200M", "count=1"]
      }

      resources {
        memory = 32
      }
    }
  }
}
"#;

#[test]
fn exec_task_past_its_memory_limit_is_oom_killed() {
    if !root_with_cgroups() {
        return;
    }
    let agent = DevAgent::start();
    agent.write("hog.nomad.hcl", HOG);
    let run = agent.nomad(&["job", "run", "-detach", "hog.nomad.hcl"]);
    assert!(run.status.success(), "{}", both(&run));
    let mut alloc = String::new();
    agent.wait_for("the hog's allocation", || {
        alloc = alloc_ids(&stdout(&agent.nomad(&["status", "hog"])))
            .into_iter()
            .next()
            .unwrap_or_default();
        !alloc.is_empty()
    });
    agent.wait_for("an OOM kill in the task's events", || {
        stdout(&agent.nomad(&["alloc", "status", &alloc])).contains("OOM Killed")
    });
    let status = stdout(&agent.nomad(&["alloc", "status", &alloc]));
    assert!(status.contains("Terminated"), "{status}");
    let stop = agent.nomad(&["job", "stop", "hog"]);
    assert!(stop.status.success(), "{}", both(&stop));
    agent.wait_for("the task's cgroup to be removed", || {
        !alloc_cgroup_exists(&alloc)
    });
    let code = agent.terminate();
    assert!(code.success(), "agent exits 0 on SIGTERM: {code:?}");
}
