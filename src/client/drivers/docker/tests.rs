//! Integration tests against the real Docker Engine (`/var/run/docker.sock` or
//! `DOCKER_HOST`). No registry is reachable, so the test image is built locally
//! from `tests/docker_images/busybox` with the host's static busybox. Without an
//! engine these tests fail when `CI=true` and print a loud SKIPPING otherwise.

use std::collections::BTreeMap;
use std::io::Read;
use std::path::Path;
use std::sync::OnceLock;
use std::time::Duration;

use serde_json::json;

use super::{DockerDriver, OOM_MESSAGE, container};
use crate::client::drivers::{Driver, TaskHandle, TaskSpec};
use crate::client::error::ClientError;
use crate::client::logs::{LogRotator, log_path};

/// The locally built test image.
const IMAGE: &str = "nomad-test-busybox:latest";
/// Upper bound for anything the tests wait on (never asserted on).
const PATIENCE: Duration = Duration::from_secs(60);

/// The driver, or `None` (after a loud message) when there is no engine.
fn engine() -> Option<DockerDriver> {
    let driver = DockerDriver::from_env();
    if driver.fingerprint().detected {
        build_image();
        return Some(driver);
    }
    if std::env::var("CI").is_ok_and(|v| v == "true") {
        panic!("CI=true but no Docker Engine is reachable: the docker driver tests cannot run");
    }
    eprintln!("\n*** SKIPPING: no Docker Engine (docker driver integration test not run) ***\n");
    None
}

/// Builds the test image once per test process.
fn build_image() {
    static BUILT: OnceLock<Result<(), String>> = OnceLock::new();
    let built = BUILT.get_or_init(|| {
        let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/docker_images/busybox");
        let ctx = tempfile::tempdir().map_err(|e| e.to_string())?;
        std::fs::copy(src.join("Dockerfile"), ctx.path().join("Dockerfile"))
            .map_err(|e| format!("copy Dockerfile: {e}"))?;
        std::fs::copy("/bin/busybox", ctx.path().join("busybox"))
            .map_err(|e| format!("copy /bin/busybox (apt-get install busybox-static): {e}"))?;
        let out = std::process::Command::new("docker")
            .args(["build", "-q", "-t", IMAGE, "."])
            .current_dir(ctx.path())
            // The engine may predate BuildKit; the classic builder is enough here.
            .env("DOCKER_BUILDKIT", "0")
            .output()
            .map_err(|e| format!("run docker build: {e}"))?;
        if out.status.success() {
            Ok(())
        } else {
            Err(String::from_utf8_lossy(&out.stderr).into_owned())
        }
    });
    if let Err(e) = built {
        panic!("building {IMAGE} failed: {e}");
    }
}

/// A task spec running `script` with busybox's sh; logs and dirs under `dir`.
fn spec(dir: &Path, alloc: &str, script: &str, env: &[(&str, &str)]) -> TaskSpec {
    let alloc_dir = dir.join("alloc");
    let local = dir.join("local");
    for d in [&alloc_dir, &local] {
        std::fs::create_dir_all(d).unwrap();
    }
    let mut env: BTreeMap<String, String> = env
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    env.insert("NOMAD_ALLOC_DIR".into(), alloc_dir.to_string_lossy().into());
    env.insert("NOMAD_TASK_DIR".into(), local.to_string_lossy().into());
    env.insert("GREETING".into(), "hello from docker".into());
    let config = json!({"image": IMAGE, "command": "/bin/sh", "args": ["-c", script]});
    TaskSpec {
        alloc_id: alloc.into(),
        task_name: "t".into(),
        config: config.as_object().unwrap().clone().into_iter().collect(),
        env,
        task_dir: dir.to_path_buf(),
        stdout: Some(LogRotator::with_limits(dir, "t", "stdout", 2, 1 << 20).unwrap()),
        stderr: Some(LogRotator::with_limits(dir, "t", "stderr", 2, 1 << 20).unwrap()),
        user: String::new(),
        mhz_per_core: 1000.0,
    }
}

/// A fresh allocation ID per test, so parallel tests never share containers.
fn alloc_id() -> String {
    uuid::Uuid::new_v4().to_string()
}

fn stdout_of(dir: &Path) -> String {
    std::fs::read_to_string(log_path(dir, "t", "stdout", 0)).unwrap_or_default()
}

/// Waits until the task's stdout contains `needle`.
async fn wait_for_output(dir: &Path, needle: &str) {
    tokio::time::timeout(PATIENCE, async {
        while !stdout_of(dir).contains(needle) {
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    })
    .await
    .unwrap_or_else(|_| panic!("{needle:?} never appeared; stdout: {:?}", stdout_of(dir)));
}

/// The containers still labelled with `alloc`.
async fn containers_of(d: &DockerDriver, alloc: &str) -> Vec<container::Found> {
    let docker = d.client().await.unwrap();
    container::find(&docker, alloc, "t").await.unwrap()
}

#[tokio::test]
async fn runs_a_container_with_env_logs_and_exit_code() {
    let Some(d) = engine() else { return };
    let tmp = tempfile::tempdir().unwrap();
    let alloc = alloc_id();
    let script = "echo $GREETING; echo oops >&2; echo $NOMAD_ALLOC_DIR > /alloc/where; exit 3";
    let h = d
        .start(spec(tmp.path(), &alloc, script, &[]))
        .await
        .unwrap();
    let r = tokio::time::timeout(PATIENCE, h.wait()).await.unwrap();
    assert_eq!((r.exit_code, r.oom_killed, r.err.clone()), (3, false, None));
    assert_eq!(stdout_of(tmp.path()), "hello from docker\n");
    let err = std::fs::read_to_string(log_path(tmp.path(), "t", "stderr", 0)).unwrap();
    assert_eq!(err, "oops\n");
    // The shared alloc dir is mounted at /alloc and the env says so.
    let written = std::fs::read_to_string(tmp.path().join("alloc/where")).unwrap();
    assert_eq!(written, "/alloc\n");
    // An exited task's container is removed.
    assert!(containers_of(&d, &alloc).await.is_empty());
}

#[tokio::test]
async fn mapped_port_answers_on_loopback_and_stop_removes_the_container() {
    let Some(d) = engine() else { return };
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let tmp = tempfile::tempdir().unwrap();
    let alloc = alloc_id();
    let host_port = port.to_string();
    let env = [
        ("NOMAD_PORT_db", "6379"),
        ("NOMAD_HOST_PORT_db", host_port.as_str()),
        ("NOMAD_HOST_IP_db", "127.0.0.1"),
    ];
    let mut s = spec(tmp.path(), &alloc, "", &env);
    s.config.insert("command".into(), json!("nc"));
    s.config.insert(
        "args".into(),
        json!(["-ll", "-p", "6379", "-e", "echo", "hi"]),
    );
    s.config.insert("ports".into(), json!(["db"]));
    let h = d.start(s).await.unwrap();
    let answer = tokio::time::timeout(PATIENCE, async {
        loop {
            let got = tokio::task::spawn_blocking(move || {
                let mut c = std::net::TcpStream::connect(("127.0.0.1", port)).ok()?;
                c.set_read_timeout(Some(Duration::from_secs(2))).ok()?;
                let mut buf = String::new();
                c.read_to_string(&mut buf).ok()?;
                Some(buf)
            })
            .await
            .unwrap();
            match got {
                Some(b) if !b.is_empty() => return b,
                _ => tokio::time::sleep(Duration::from_millis(100)).await,
            }
        }
    })
    .await
    .expect("the mapped port never answered");
    assert_eq!(answer, "hi\n");
    let labelled = containers_of(&d, &alloc).await;
    assert_eq!(labelled.len(), 1);
    assert!(labelled[0].running);
    let r = h.stop("SIGTERM", Duration::from_secs(5)).await;
    assert_ne!(r.exit_code, 0, "nc does not exit 0 on a signal: {r:?}");
    assert!(containers_of(&d, &alloc).await.is_empty());
    assert!(h.signal("SIGHUP").is_err());
}

#[tokio::test]
async fn memory_limit_kill_is_reported_as_oom() {
    let Some(d) = engine() else { return };
    let tmp = tempfile::tempdir().unwrap();
    let alloc = alloc_id();
    // Holds ~100 MB in a shell variable under a 16 MB limit.
    let script = "x=$(head -c 100000000 /dev/zero | tr '\\0' a); echo survived ${#x}";
    let env = [("NOMAD_MEMORY_LIMIT", "16")];
    let h = d
        .start(spec(tmp.path(), &alloc, script, &env))
        .await
        .unwrap();
    let r = tokio::time::timeout(PATIENCE, h.wait()).await.unwrap();
    assert!(r.oom_killed, "expected an OOM kill, got {r:?}");
    assert_eq!(r.err.as_deref(), Some(OOM_MESSAGE));
    assert_eq!(r.exit_code, 137);
    assert!(!stdout_of(tmp.path()).contains("survived"));
    assert!(containers_of(&d, &alloc).await.is_empty());
}

/// The fallback behind the OOM flag: the kernel's own record of the kill names
/// the container's cgroup (what decides when the engine loses the OOM event).
#[tokio::test]
async fn kernel_log_records_the_oom_kill_of_the_container() {
    let Some(d) = engine() else { return };
    if std::fs::File::open("/dev/kmsg").is_err() {
        let msg = "/dev/kmsg is not readable (needs CAP_SYSLOG): the kernel-log OOM fallback is NOT tested";
        if std::env::var("CI").is_ok_and(|v| v == "true") {
            panic!("{msg}");
        }
        eprintln!("\n*** {msg} ***\n");
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let script = "x=$(head -c 100000000 /dev/zero | tr '\\0' a); echo survived ${#x}";
    let h = d
        .start_task(spec(
            tmp.path(),
            &alloc_id(),
            script,
            &[("NOMAD_MEMORY_LIMIT", "16")],
        ))
        .await
        .unwrap();
    let id = h.container_id().to_string();
    let r = tokio::time::timeout(PATIENCE, h.wait()).await.unwrap();
    assert!(r.oom_killed, "{r:?}");
    assert!(
        super::oom::kernel_logged_oom_kill(&id),
        "no oom-kill record for {id}"
    );
    // A container that exited by itself has no such record.
    let h = d
        .start_task(spec(tmp.path(), &alloc_id(), "exit 137", &[]))
        .await
        .unwrap();
    let id = h.container_id().to_string();
    let r = tokio::time::timeout(PATIENCE, h.wait()).await.unwrap();
    assert_eq!((r.exit_code, r.oom_killed), (137, false));
    assert!(!super::oom::kernel_logged_oom_kill(&id));
}

#[tokio::test]
async fn stop_sends_kill_signal_then_kills_after_timeout() {
    let Some(d) = engine() else { return };
    let tmp = tempfile::tempdir().unwrap();
    let alloc = alloc_id();
    // Handles TERM and HUP itself (PID 1 ignores signals it does not handle).
    let script = "trap 'echo got HUP' HUP; trap 'echo got TERM; exit 7' TERM; echo ready; \
                  while true; do sleep 0.1; done";
    let h = d
        .start(spec(tmp.path(), &alloc, script, &[]))
        .await
        .unwrap();
    wait_for_output(tmp.path(), "ready").await;
    h.signal("SIGHUP").unwrap();
    wait_for_output(tmp.path(), "got HUP").await;
    let r = h.stop("SIGTERM", PATIENCE).await;
    assert_eq!(r.exit_code, 7);
    assert!(stdout_of(tmp.path()).contains("got TERM"));
    assert!(containers_of(&d, &alloc).await.is_empty());

    // PID 1 without a handler ignores SIGTERM: only the kill after the timeout ends it.
    let tmp = tempfile::tempdir().unwrap();
    let alloc = alloc_id();
    let h = d
        .start(spec(tmp.path(), &alloc, "echo ready; exec sleep 3600", &[]))
        .await
        .unwrap();
    wait_for_output(tmp.path(), "ready").await;
    let r = h.stop("SIGTERM", Duration::from_millis(300)).await;
    assert_eq!(r.exit_code, 137);
    assert!(containers_of(&d, &alloc).await.is_empty());
}

#[tokio::test]
async fn restarted_client_reattaches_instead_of_starting_a_second_container() {
    let Some(d) = engine() else { return };
    let tmp = tempfile::tempdir().unwrap();
    let alloc = alloc_id();
    let script = "echo ready; while true; do echo tick; sleep 0.2; done";
    let first = d
        .start(spec(tmp.path(), &alloc, script, &[]))
        .await
        .unwrap();
    wait_for_output(tmp.path(), "ready").await;
    // A "new client": a fresh driver, and the task runner starting the task again.
    let d2 = DockerDriver::from_env();
    let again = d2
        .start(spec(tmp.path(), &alloc, script, &[]))
        .await
        .unwrap();
    let labelled = containers_of(&d2, &alloc).await;
    assert_eq!(labelled.len(), 1, "a second container was started");
    let recovered = d2
        .recover_container(&mut spec(tmp.path(), &alloc, script, &[]))
        .await
        .unwrap()
        .expect("the running container is found by its labels");
    assert_eq!(recovered.container_id(), labelled[0].id);
    // Stats of a running container arrive from the engine's stream.
    tokio::time::timeout(PATIENCE, async {
        while recovered.stats().resource_usage.memory_stats.usage == 0 {
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    })
    .await
    .expect("no memory usage reported");
    let r = again.stop("SIGKILL", Duration::from_secs(5)).await;
    assert_eq!(r.exit_code, 137);
    // Every handle on that container sees it end.
    assert_eq!(
        tokio::time::timeout(PATIENCE, first.wait())
            .await
            .unwrap()
            .exit_code,
        137
    );
    assert!(containers_of(&d2, &alloc).await.is_empty());
    assert!(
        d2.recover(&mut spec(tmp.path(), &alloc, script, &[]))
            .await
            .unwrap()
            .is_none()
    );
}

#[tokio::test]
async fn missing_image_and_bad_config_fail_the_start() {
    let Some(d) = engine() else { return };
    let tmp = tempfile::tempdir().unwrap();
    let mut s = spec(tmp.path(), &alloc_id(), "true", &[]);
    s.config
        .insert("image".into(), json!("nomad-test-does-not-exist:none"));
    match d.start(s).await {
        Err(ClientError::DriverStart { message, .. }) => {
            assert!(
                message.contains("Failed to pull `nomad-test-does-not-exist:none`"),
                "{message}"
            );
        }
        other => panic!("expected a pull failure, got {:?}", other.err()),
    }
    let mut s = spec(tmp.path(), &alloc_id(), "true", &[]);
    s.config.insert("ports".into(), json!(["db"]));
    assert!(matches!(d.start(s).await, Err(ClientError::TaskConfig(_))));
    let info = d.fingerprint();
    assert!(info.healthy);
    assert!(!info.attributes["driver.docker.version"].is_empty());
}

#[tokio::test]
async fn absent_engine_is_undetected_and_refuses_tasks() {
    let tmp = tempfile::tempdir().unwrap();
    let d = DockerDriver::new(format!("unix://{}/no.sock", tmp.path().display()));
    let info = d.fingerprint();
    assert!(!info.detected && !info.healthy);
    assert!(matches!(
        d.start(spec(tmp.path(), &alloc_id(), "true", &[])).await,
        Err(ClientError::DriverUnavailable(_))
    ));
    assert!(!d.refresh().await.detected);
}

#[tokio::test]
async fn exec_runs_commands_inside_the_container() {
    use crate::client::drivers::{ExecInput, ExecOutput, ExecRequest, FsIsolation};
    let Some(d) = engine() else { return };
    assert!(d.capabilities().exec);
    assert_eq!(d.capabilities().fs_isolation, FsIsolation::Image);
    let tmp = tempfile::tempdir().unwrap();
    let alloc = alloc_id();
    let h = d
        .start(spec(
            tmp.path(),
            &alloc,
            "echo inside > /mark; echo ready; exec sleep 300",
            &[],
        ))
        .await
        .unwrap();
    wait_for_output(tmp.path(), "ready").await;
    let req = |cmd: &[&str], tty: bool| ExecRequest {
        command: cmd.iter().map(|s| s.to_string()).collect(),
        tty,
        tty_size: None,
    };
    // The command sees the container's filesystem, not the host's.
    let s = h
        .exec(req(
            &["/bin/sh", "-c", "cat /mark; echo err >&2; exit 3"],
            false,
        ))
        .await
        .unwrap();
    let (out, err, code) = tokio::time::timeout(PATIENCE, s.run_to_end(b""))
        .await
        .unwrap();
    assert_eq!(
        (out.as_slice(), err.as_slice(), code),
        (&b"inside\n"[..], &b"err\n"[..], Some(3))
    );
    // Stdin reaches the command and closing it ends it.
    let s = h.exec(req(&["/bin/cat"], false)).await.unwrap();
    let (out, _, code) = tokio::time::timeout(PATIENCE, s.run_to_end(b"piped in\n"))
        .await
        .unwrap();
    assert_eq!((out.as_slice(), code), (&b"piped in\n"[..], Some(0)));
    // With a tty the command is on a terminal.
    let mut s = h
        .exec(req(&["/bin/sh", "-c", "test -t 1 && echo tty-yes"], true))
        .await
        .unwrap();
    s.send(ExecInput::CloseStdin).await;
    let mut seen = Vec::new();
    let code = tokio::time::timeout(PATIENCE, async {
        loop {
            match s.recv().await {
                Some(ExecOutput::Stdout(b)) => seen.extend(b),
                Some(ExecOutput::Stderr(_)) => {}
                Some(ExecOutput::Exited(c)) => return Some(c),
                None => return None,
            }
        }
    })
    .await
    .unwrap();
    assert!(
        String::from_utf8_lossy(&seen).contains("tty-yes"),
        "{seen:?}"
    );
    assert_eq!(code, Some(0));
    h.stop("SIGKILL", Duration::from_secs(5)).await;
    assert!(matches!(
        h.exec(req(&["true"], false)).await,
        Err(ClientError::TaskNotRunning)
    ));
}
