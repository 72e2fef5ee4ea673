//! An `exec` job through a real `nomad agent -dev`: it runs isolated (its own PID
//! namespace, as `nobody`), its output reaches `nomad alloc logs`, `alloc exec` runs
//! inside it, and `job stop`
//! leaves no cgroup behind; a task past its memory limit is OOM-killed and its
//! event says so. A non-dev client restarted under its running exec task recovers it
//! (same process, output still logged) and `job stop` still kills it. Needs root and cgroups: missing in CI (`CI=true`) fails
//! loudly, elsewhere the test says loudly that it did not run.

use std::path::Path;

use super::cluster_support::{AgentProc, ids, pids_running, wait_for};
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

/// Marks the restart test's task, so that it can be found on the host.
const RECOVER_MARKER: &str = "exec-recover-e2e-marker";

/// The exec job of the client restart test: counts into its log, with the marker as
/// the shell's `$0`.
fn counting_job() -> String {
    format!(
        r#"job "keep" {{
  group "g" {{
    task "box" {{
      driver = "exec"

      config {{
        command = "/bin/busybox"
        args    = ["sh", "-c", "i=0; while true; do i=$((i+1)); echo n=$i; sleep 0.2; done", "{RECOVER_MARKER}"]
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

/// Kills what a failed run of the restart test left behind: the marked task's process
/// group (its supervisor's), and its cgroup's members.
struct Leftovers;

impl Drop for Leftovers {
    fn drop(&mut self) {
        for pid in pids_running(Path::new(RECOVER_MARKER)) {
            let pgid = std::fs::read_to_string(format!("/proc/{pid}/stat"))
                .ok()
                .and_then(|st| {
                    let rest = st.rsplit_once(')')?.1.to_string();
                    rest.split_whitespace().nth(2)?.parse::<i32>().ok()
                });
            // SAFETY: kill has no memory preconditions.
            unsafe {
                libc::kill(pid as i32, libc::SIGKILL);
                if let Some(g) = pgid.filter(|g| *g > 1) {
                    libc::kill(-g, libc::SIGKILL);
                }
            }
        }
    }
}

/// The `n=<i>` counters in a task's log.
fn counters(log: &str) -> Vec<u64> {
    log.lines()
        .filter_map(|l| l.strip_prefix("n=")?.parse().ok())
        .collect()
}

/// A non-dev client stopped with SIGTERM leaves its exec task running; started again on
/// the same data dir it recovers that task (same process, no second copy, its output
/// still reaching `alloc logs`), and `job stop` then kills it and removes its cgroup.
#[test]
fn a_restarted_client_recovers_its_running_exec_task() {
    if !root_with_cgroups() {
        return;
    }
    let _leftovers = Leftovers;
    // One non-dev agent, server and client: restarting it restarts the client (the
    // server keeps its state in the data dir, and `alloc logs` is served locally).
    let mut agent = AgentProc::start(
        "execrecover",
        "server {\n  enabled = true\n  bootstrap_expect = 1\n}\nclient {\n  enabled = true\n}\n",
    );
    wait_for("a ready node", &[&agent], || {
        stdout(&agent.nomad(&["node", "status"])).contains("ready")
    });
    agent.write("keep.nomad.hcl", &counting_job());
    let run = agent.nomad(&["job", "run", "keep.nomad.hcl"]);
    assert!(run.status.success(), "{}", both(&run));
    let mut alloc = String::new();
    wait_for("the exec task running", &[&agent], || {
        alloc = alloc_ids(&stdout(&agent.nomad(&["status", "keep"])))
            .into_iter()
            .next()
            .unwrap_or_default();
        !alloc.is_empty()
            && stdout(&agent.nomad(&["status", "keep"])).contains("running")
            && pids_running(Path::new(RECOVER_MARKER)).len() == 1
    });
    let pid = pids_running(Path::new(RECOVER_MARKER));
    let full_id = ids(
        &agent.get("/v1/job/keep/allocations").expect("allocs"),
        "ID",
    );
    assert_eq!(full_id.len(), 1);
    assert!(
        agent
            .data_dir()
            .join("client/exec")
            .join(&full_id[0])
            .join("box.json")
            .is_file(),
        "the task is recorded under data_dir/client\n{}",
        agent.log()
    );
    let logs = |a: &AgentProc| stdout(&a.nomad(&["alloc", "logs", &alloc]));
    wait_for("the task's output", &[&agent], || {
        counters(&logs(&agent)).len() >= 3
    });

    // SIGTERM: a non-dev client leaves its tasks running.
    agent.terminate();
    std::thread::sleep(std::time::Duration::from_millis(500));
    assert_eq!(
        pids_running(Path::new(RECOVER_MARKER)),
        pid,
        "the task outlived its client"
    );
    agent.restart();
    wait_for(
        "the restarted client to recover the task",
        &[&agent],
        || agent.log().contains("re-attached to running exec task"),
    );
    let before = counters(&logs(&agent)).last().copied().unwrap_or(0);
    wait_for(
        "the recovered task's output in alloc logs",
        &[&agent],
        || counters(&logs(&agent)).last().copied().unwrap_or(0) >= before + 5,
    );
    let n = counters(&logs(&agent));
    assert_eq!(
        n,
        (1..=n.len() as u64).collect::<Vec<_>>(),
        "output lost or repeated across the restart"
    );
    assert_eq!(
        pids_running(Path::new(RECOVER_MARKER)),
        pid,
        "the same process, no duplicate\n{}",
        agent.log()
    );
    let allocs = agent.get("/v1/job/keep/allocations").expect("allocs");
    assert_eq!(
        ids(&allocs, "ID"),
        full_id,
        "the allocation was not replaced"
    );
    assert!(
        alloc_cgroup_exists(&alloc),
        "the task's cgroup is still there"
    );

    let stop = agent.nomad(&["job", "stop", "keep"]);
    assert!(stop.status.success(), "{}", both(&stop));
    wait_for("the recovered task killed", &[&agent], || {
        pids_running(Path::new(RECOVER_MARKER)).is_empty()
    });
    wait_for("its cgroup removed", &[&agent], || {
        !alloc_cgroup_exists(&alloc)
    });
    agent.terminate();
}
