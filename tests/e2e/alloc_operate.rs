//! Operating running allocations on a real `nomad agent -dev`: `alloc signal` (the
//! task's trap writes to its log), `alloc fs` (list and cat, traversal refused),
//! `alloc exec` (output, exit code, stdin), `alloc status -stats` for a busy task,
//! `alloc restart` (a `Restart Signaled` event and a restart), `alloc stop` (the
//! allocation is replaced), `/v1/client/stats`; and `alloc exec` / `-stats` on a
//! docker task, against the real Docker Engine with a locally built busybox image.

use std::io::Write;
use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::sync::OnceLock;

use super::dev_agent::{DevAgent, both, stdout};
use super::support::NOMAD;

fn raw_exec_job(name: &str, script: &str) -> String {
    format!(
        r#"job "{name}" {{
  group "g" {{
    task "app" {{
      driver = "raw_exec"

      config {{
        command = "/bin/sh"
        args    = ["-c", "{script}"]
      }}

      resources {{
        cpu    = 100
        memory = 32
      }}
    }}
  }}
}}
"#
    )
}

/// IDs (short) of the job's allocations whose client status is `status`, from `job status`.
fn allocs_with_status(agent: &DevAgent, job: &str, status: &str) -> Vec<String> {
    let text = stdout(&agent.nomad(&["job", "status", job]));
    text.split("Allocations")
        .nth(1)
        .unwrap_or("")
        .lines()
        .skip(2)
        .filter(|l| l.split_whitespace().nth(5) == Some(status))
        .filter_map(|l| l.split_whitespace().next().map(str::to_owned))
        .collect()
}

/// Runs the job file and returns its one running allocation.
fn run_job(agent: &DevAgent, file: &str, text: &str, job: &str) -> String {
    agent.write(file, text);
    let run = agent.nomad(&["job", "run", file]);
    assert!(run.status.success(), "{}", both(&run));
    let mut id = String::new();
    agent.wait_for("a running allocation", || {
        match allocs_with_status(agent, job, "running").as_slice() {
            [one] => {
                id = one.clone();
                true
            }
            _ => false,
        }
    });
    id
}

/// `GET path` on the agent: (status, body).
fn http_get(agent: &DevAgent, path: &str) -> (u16, String) {
    let client = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .build()
        .new_agent();
    let mut resp = client
        .get(format!("{}{path}", agent.address))
        .call()
        .expect("agent reachable");
    let status = resp.status().as_u16();
    (status, resp.body_mut().read_to_string().unwrap_or_default())
}

/// `PUT path` with a JSON body: (status, body).
fn http_put(agent: &DevAgent, path: &str, body: &str) -> (u16, String) {
    let client = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .build()
        .new_agent();
    let mut resp = client
        .put(format!("{}{path}", agent.address))
        .send(body)
        .expect("agent reachable");
    let status = resp.status().as_u16();
    (status, resp.body_mut().read_to_string().unwrap_or_default())
}

/// The CLI with `input` on its stdin.
fn nomad_with_stdin(agent: &DevAgent, args: &[&str], input: &[u8]) -> Output {
    let mut child = Command::new(NOMAD)
        .args(args)
        .env("NOMAD_ADDR", &agent.address)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run nomad");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(input)
        .expect("write stdin");
    child.wait_with_output().expect("nomad output")
}

/// The first value of the `CPU Stats` table of `alloc status -stats` (its `Percent`).
fn cpu_percent(status_text: &str) -> f64 {
    status_text
        .split("CPU Stats")
        .nth(1)
        .and_then(|t| t.lines().nth(2))
        .and_then(|l| l.split_whitespace().next())
        .and_then(|v| v.trim_end_matches('%').parse().ok())
        .unwrap_or(0.0)
}

#[test]
fn signal_fs_exec_restart_and_stop_a_raw_exec_allocation() {
    let agent = DevAgent::start();
    let script = "trap 'echo got-usr1' USR1; echo started > local/out.txt; echo started; \
                  while true; do sleep 0.2; done";
    let id = run_job(&agent, "ops.nomad.hcl", &raw_exec_job("ops", script), "ops");
    agent.wait_for("the task's first output", || {
        stdout(&agent.nomad(&["alloc", "logs", &id])).contains("started")
    });

    // Signal: the trap's output lands in the task's log.
    let sig = agent.nomad(&["alloc", "signal", "-s", "SIGUSR1", &id, "app"]);
    assert!(sig.status.success(), "{}", both(&sig));
    agent.wait_for("the trap's output in alloc logs", || {
        stdout(&agent.nomad(&["alloc", "logs", &id])).contains("got-usr1")
    });
    let bad = agent.nomad(&["alloc", "signal", "-s", "SIGNOPE", &id]);
    assert_eq!(bad.status.code(), Some(1), "{}", both(&bad));
    let bad = agent.nomad(&["alloc", "signal", &id, "nosuchtask"]);
    assert_eq!(bad.status.code(), Some(1), "{}", both(&bad));

    // fs: the allocation directory, a task's local dir, a file the task wrote.
    let root = agent.nomad(&["alloc", "fs", &id]);
    let text = stdout(&root);
    assert!(root.status.success(), "{}", both(&root));
    assert!(text.starts_with("Mode"), "{text}");
    assert!(
        text.contains(" alloc/\n") && text.contains(" app/"),
        "{text}"
    );
    let local = stdout(&agent.nomad(&["fs", &id, "app/local"]));
    assert!(local.contains("out.txt"), "{local}");
    let cat = agent.nomad(&["alloc", "fs", &id, "app/local/out.txt"]);
    assert_eq!(stdout(&cat), "started\n", "{}", both(&cat));
    let st = stdout(&agent.nomad(&["alloc", "fs", "-stat", "-H", &id, "app/local/out.txt"]));
    assert!(
        st.lines()
            .nth(1)
            .is_some_and(|l| l.starts_with("-rw") && l.contains(" 8 ") && l.ends_with("out.txt")),
        "{st}"
    );
    let escape = agent.nomad(&["alloc", "fs", &id, "../.."]);
    assert_eq!(escape.status.code(), Some(1), "{}", both(&escape));
    assert!(String::from_utf8_lossy(&escape.stderr).contains("escapes the alloc directory"));
    let (code, body) = http_get(&agent, &format!("/v1/client/fs/ls/{id}?path=..%2F..%2Fetc"));
    assert_eq!(code, 400, "{body}");
    let (code, body) = http_get(
        &agent,
        &format!("/v1/client/fs/readat/{id}?path=app/local/out.txt&offset=2&limit=3"),
    );
    assert_eq!((code, body.as_str()), (200, "art"));
    let (code, body) = http_get(&agent, &format!("/v1/client/fs/stat/{id}?path=alloc/logs"));
    assert_eq!(code, 200, "{body}");
    assert!(body.contains("\"IsDir\":true"), "{body}");

    // exec: output, exit code, the task's environment and directory, stdin.
    let hi = agent.nomad(&["alloc", "exec", &id, "echo", "hi"]);
    assert_eq!(
        (hi.status.code(), stdout(&hi).as_str()),
        (Some(0), "hi\n"),
        "{}",
        both(&hi)
    );
    let alias = agent.nomad(&["exec", &id, "echo", "alias"]);
    assert_eq!(stdout(&alias), "alias\n", "{}", both(&alias));
    let three = agent.nomad(&["alloc", "exec", &id, "sh", "-c", "exit 3"]);
    assert_eq!(three.status.code(), Some(3), "{}", both(&three));
    let env = agent.nomad(&[
        "alloc",
        "exec",
        &id,
        "sh",
        "-c",
        "echo $NOMAD_TASK_NAME; cat local/out.txt",
    ]);
    assert_eq!(stdout(&env), "app\nstarted\n", "{}", both(&env));
    let piped = nomad_with_stdin(
        &agent,
        &["alloc", "exec", "-i", &id, "cat"],
        b"ping\npong\n",
    );
    assert_eq!(
        (piped.status.code(), stdout(&piped).as_str()),
        (Some(0), "ping\npong\n"),
        "{}",
        both(&piped)
    );
    let tty = agent.nomad(&[
        "alloc",
        "exec",
        "-t",
        &id,
        "sh",
        "-c",
        "test -t 1 && echo on-a-tty",
    ]);
    assert!(stdout(&tty).contains("on-a-tty"), "{}", both(&tty));
    // On a local terminal (util-linux `script` makes one) the remote one gets its size.
    let on_pty = Command::new("script")
        .args(["-qec"])
        .arg(format!(
            "stty rows 33 cols 111; {NOMAD} alloc exec {id} stty size"
        ))
        .arg("/dev/null")
        .env("NOMAD_ADDR", &agent.address)
        .stdin(Stdio::null())
        .output()
        .expect("run script(1)");
    assert!(stdout(&on_pty).contains("33 111"), "{}", both(&on_pty));
    let off = nomad_with_stdin(
        &agent,
        &["alloc", "exec", "-i=false", &id, "cat"],
        b"ignored\n",
    );
    assert_eq!(
        (off.status.code(), stdout(&off).as_str()),
        (Some(0), ""),
        "{}",
        both(&off)
    );

    // Plain-text refusals before anything runs.
    let ws = agent.address.replace("http://", "ws://");
    match tungstenite::connect(format!("{ws}/v1/client/allocation/{id}/exec?task=app")) {
        Err(tungstenite::Error::Http(resp)) => {
            let body = String::from_utf8_lossy(resp.body().as_deref().unwrap_or_default());
            assert_eq!(
                (resp.status().as_u16(), body.trim()),
                (400, "command is not present")
            );
        }
        other => panic!(
            "an exec without a command was accepted: {:?}",
            other.map(|_| ())
        ),
    }
    let (code, body) = http_put(
        &agent,
        &format!("/v1/client/allocation/{id}/signal"),
        r#"{"Signal":"SIGUSR1","Task":"nope"}"#,
    );
    assert_eq!(code, 404, "{body}");
    let (code, body) = http_put(&agent, "/v1/allocation/ffffffff-0000/stop", "{}");
    assert_eq!(code, 404, "{body}");

    // Host stats.
    let (code, body) = http_get(&agent, "/v1/client/stats");
    assert_eq!(code, 200, "{body}");
    let host: serde_json::Value = serde_json::from_str(&body).expect("json");
    assert!(host["Memory"]["Total"].as_u64().unwrap_or(0) > 0, "{body}");
    assert!(!host["CPU"].as_array().is_none_or(Vec::is_empty), "{body}");
    assert!(host["Uptime"].as_u64().unwrap_or(0) > 0, "{body}");

    // Restart: a `Restart Signaled` event, one restart, the task runs again.
    let restart = agent.nomad(&["alloc", "restart", &id]);
    assert!(restart.status.success(), "{}", both(&restart));
    agent.wait_for("the restart to be recorded", || {
        let s = stdout(&agent.nomad(&["alloc", "status", &id]));
        s.contains("Restart Signaled")
            && s.contains("Total Restarts = 1")
            && s.contains("Task \"app\" is \"running\"")
    });
    agent.wait_for("the restarted task's output", || {
        stdout(&agent.nomad(&["alloc", "logs", &id]))
            .matches("started")
            .count()
            >= 2
    });

    // Stop: the allocation is stopped and replaced by a new one.
    let stop = agent.nomad(&["alloc", "stop", &id]);
    assert!(stop.status.success(), "{}", both(&stop));
    assert!(
        stdout(&stop).contains("Monitoring evaluation"),
        "{}",
        both(&stop)
    );
    agent.wait_for("a replacement allocation", || {
        let running = allocs_with_status(&agent, "ops", "running");
        running.len() == 1 && running[0] != id
    });
    let old = stdout(&agent.nomad(&["alloc", "status", &id]));
    assert!(
        old.lines()
            .any(|l| l.starts_with("Desired Status") && l.ends_with("= stop")),
        "{old}"
    );
    assert!(old.contains("alloc is being migrated"), "{old}");
    let stopped = agent.nomad(&["job", "stop", "ops"]);
    assert!(stopped.status.success(), "{}", both(&stopped));
}

#[test]
fn stats_of_a_busy_raw_exec_task_are_non_zero() {
    let agent = DevAgent::start();
    let id = run_job(
        &agent,
        "burn.nomad.hcl",
        &raw_exec_job("burn", "while true; do :; done"),
        "burn",
    );
    // CPU usage is the difference between two samples: ask until one shows it.
    let mut last = String::new();
    agent.wait_for("non-zero CPU usage in alloc status -stats", || {
        last = stdout(&agent.nomad(&["alloc", "status", "-stats", &id]));
        cpu_percent(&last) > 0.0
    });
    assert!(last.contains("Memory Stats"), "{last}");
    assert!(last.contains("RSS"), "{last}");
    let mhz: i64 = last
        .split("Task Resources:")
        .nth(1)
        .and_then(|t| t.lines().nth(2))
        .and_then(|l| l.split('/').next())
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(0);
    assert!(mhz > 0, "{last}");
    let stop = agent.nomad(&["job", "stop", "burn"]);
    assert!(stop.status.success(), "{}", both(&stop));
}

/// The image the docker driver's tests build (no registry is reachable).
const IMAGE: &str = "nomad-test-busybox:latest";

/// Builds the busybox test image, or says why it cannot (no engine: skipped loudly
/// unless CI=true, where that is a failure).
fn docker_image() -> bool {
    static BUILT: OnceLock<Result<(), String>> = OnceLock::new();
    let built = BUILT.get_or_init(|| {
        let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/docker_images/busybox");
        let ctx = tempfile::tempdir().map_err(|e| e.to_string())?;
        std::fs::copy(src.join("Dockerfile"), ctx.path().join("Dockerfile"))
            .map_err(|e| format!("copy Dockerfile: {e}"))?;
        std::fs::copy("/bin/busybox", ctx.path().join("busybox"))
            .map_err(|e| format!("copy /bin/busybox: {e}"))?;
        let out = Command::new("docker")
            .args(["build", "-q", "-t", IMAGE, "."])
            .current_dir(ctx.path())
            .env("DOCKER_BUILDKIT", "0")
            .output()
            .map_err(|e| format!("run docker build: {e}"))?;
        if out.status.success() {
            Ok(())
        } else {
            Err(String::from_utf8_lossy(&out.stderr).into_owned())
        }
    });
    match built {
        Ok(()) => true,
        Err(e) if std::env::var("CI").is_ok_and(|v| v == "true") => {
            panic!("CI=true but the docker test image cannot be built: {e}")
        }
        Err(e) => {
            eprintln!("\n*** SKIPPING: no Docker Engine ({e}) ***\n");
            false
        }
    }
}

#[test]
fn exec_and_stats_of_a_docker_task() {
    if !docker_image() {
        return;
    }
    let agent = DevAgent::start();
    let job = format!(
        r#"job "box" {{
  group "g" {{
    task "box" {{
      driver = "docker"

      config {{
        image   = "{IMAGE}"
        command = "/bin/sh"
        args    = ["-c", "echo inside > /mark; while true; do :; done"]
      }}

      resources {{
        cpu    = 100
        memory = 64
      }}
    }}
  }}
}}
"#
    );
    let id = run_job(&agent, "box.nomad.hcl", &job, "box");
    let mut out = agent.nomad(&["alloc", "exec", &id, "cat", "/mark"]);
    agent.wait_for("the container's file through alloc exec", || {
        out = agent.nomad(&["alloc", "exec", &id, "cat", "/mark"]);
        out.status.success()
    });
    assert_eq!(stdout(&out), "inside\n", "{}", both(&out));
    let three = agent.nomad(&["alloc", "exec", &id, "sh", "-c", "echo err >&2; exit 3"]);
    assert_eq!(three.status.code(), Some(3), "{}", both(&three));
    assert_eq!(String::from_utf8_lossy(&three.stderr), "err\n");
    // Engines before API 1.42 cannot create an exec at a size: it is resized just
    // after it starts, so the command looks a moment later.
    let on_pty = Command::new("script")
        .args(["-qec"])
        .arg(format!(
            "stty rows 33 cols 111; {NOMAD} alloc exec {id} sh -c 'sleep 1; stty size'"
        ))
        .arg("/dev/null")
        .env("NOMAD_ADDR", &agent.address)
        .stdin(Stdio::null())
        .output()
        .expect("run script(1)");
    assert!(stdout(&on_pty).contains("33 111"), "{}", both(&on_pty));
    let piped = nomad_with_stdin(&agent, &["alloc", "exec", "-i", &id, "cat"], b"to docker\n");
    assert_eq!(stdout(&piped), "to docker\n", "{}", both(&piped));
    let mut last = String::new();
    agent.wait_for("non-zero CPU usage of the container", || {
        last = stdout(&agent.nomad(&["alloc", "status", "-stats", &id]));
        cpu_percent(&last) > 0.0
    });
    assert!(last.contains("Memory Stats"), "{last}");
    let stop = agent.nomad(&["job", "stop", "box"]);
    assert!(stop.status.success(), "{}", both(&stop));
    agent.wait_for("the container to be removed", || {
        allocs_with_status(&agent, "box", "running").is_empty()
    });
}
