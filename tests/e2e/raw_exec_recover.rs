//! The raw_exec driver under the real executor (the built `nomad` binary re-executed as
//! `nomad executor`), driven in process: what a task writes while no client runs reaches its
//! log once a restarted client re-attaches, and the re-attached task's exit status is known.
//! Each "client" is a driver in a runtime of its own, dropped as when the client dies.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use nomad::client::drivers::{Driver, RawExecDriver, TaskSpec};
use nomad::client::error::ClientError;
use nomad::client::logs::{LogRotator, log_path};

fn driver(state: &Path) -> RawExecDriver {
    RawExecDriver::new(true)
        .with_state_dir(state.to_path_buf())
        .with_executor(PathBuf::from(env!("CARGO_BIN_EXE_nomad")))
}

fn spec(dir: &Path, script: &str) -> TaskSpec {
    let rotator = |stream| LogRotator::with_limits(&dir.join("logs"), "t", stream, 2, 1 << 20);
    TaskSpec {
        alloc_id: "a1".into(),
        task_name: "t".into(),
        config: BTreeMap::from([
            ("command".to_string(), serde_json::json!("/bin/sh")),
            ("args".to_string(), serde_json::json!(["-c", script])),
        ]),
        env: BTreeMap::from([("PATH".to_string(), "/usr/bin:/bin".to_string())]),
        task_dir: dir.to_path_buf(),
        stdout: Some(rotator("stdout").unwrap()),
        stderr: Some(rotator("stderr").unwrap()),
        user: String::new(),
        mhz_per_core: 1000.0,
    }
}

fn logged(dir: &Path, stream: &str) -> String {
    std::fs::read_to_string(log_path(&dir.join("logs"), "t", stream, 0)).unwrap_or_default()
}

/// Starts `script` with a first client that then dies; returns the group leader's PID.
fn start_and_lose_the_client(state: &Path, dir: &Path, script: &str) -> u32 {
    let (state, dir, script) = (state.to_path_buf(), dir.to_path_buf(), script.to_string());
    std::thread::spawn(move || {
        let rt = tokio::runtime::Runtime::new().unwrap();
        let pid = rt.block_on(async {
            let h = driver(&state).start(spec(&dir, &script)).await.unwrap();
            h.pid().unwrap()
        });
        drop(rt);
        pid
    })
    .join()
    .unwrap()
}

const TICKS: &str = "i=0; while [ $i -lt 12 ]; do echo tick $i; echo err $i >&2; \
                     i=$((i+1)); sleep 0.25; done; exit 3";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reattached_task_keeps_writing_its_logs_and_its_exit_code_is_known() {
    let tmp = tempfile::tempdir().unwrap();
    let state = tmp.path().join("client");
    let pid = start_and_lose_the_client(&state, tmp.path(), TICKS);
    // No client reads for a while: the task writes on (into the FIFO the executor holds open)
    // instead of dying of SIGPIPE.
    tokio::time::sleep(Duration::from_millis(1200)).await;
    let h = driver(&state).start(spec(tmp.path(), TICKS)).await.unwrap();
    assert_eq!(h.pid(), Some(pid), "re-attached, not started again");
    let exit = tokio::time::timeout(Duration::from_secs(30), h.wait())
        .await
        .expect("the task ends");
    assert_eq!(
        (exit.exit_code, exit.signal, exit.err.as_deref()),
        (3, 0, None),
        "the executor kept the exit status"
    );
    let (out, err) = (logged(tmp.path(), "stdout"), logged(tmp.path(), "stderr"));
    let want_out: String = (0..12).map(|i| format!("tick {i}\n")).collect();
    let want_err: String = (0..12).map(|i| format!("err {i}\n")).collect();
    assert_eq!(out, want_out, "every line, none lost across the restart");
    assert_eq!(err, want_err);
    assert!(
        !state.join("raw_exec/a1/t.json").exists(),
        "the record is gone with the task"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reattached_task_stopped_by_signal_reports_the_signal() {
    let tmp = tempfile::tempdir().unwrap();
    let state = tmp.path().join("client");
    let script = "echo started; sleep 30";
    let pid = start_and_lose_the_client(&state, tmp.path(), script);
    let h = driver(&state)
        .start(spec(tmp.path(), script))
        .await
        .unwrap();
    assert_eq!(h.pid(), Some(pid));
    // The task may not have reached its echo yet: wait for it (through the reopened FIFO).
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    while logged(tmp.path(), "stdout").is_empty() && std::time::Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(logged(tmp.path(), "stdout"), "started\n");
    assert!(h.stats().resource_usage.memory_stats.rss > 0);
    let exit = h.stop("SIGTERM", Duration::from_secs(5)).await;
    assert_eq!((exit.signal, exit.err.as_deref()), (libc::SIGTERM, None));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn under_the_executor_exit_codes_signals_and_start_errors_are_the_tasks() {
    let tmp = tempfile::tempdir().unwrap();
    let state = tmp.path().join("client");
    let d = driver(&state);

    let h = d.start(spec(tmp.path(), "echo out; exit 7")).await.unwrap();
    let exit = h.wait().await;
    assert_eq!((exit.exit_code, exit.signal, exit.err), (7, 0, None));
    assert_eq!(logged(tmp.path(), "stdout"), "out\n");

    let h = d.start(spec(tmp.path(), "kill -USR1 $$")).await.unwrap();
    assert_eq!(h.wait().await.signal, libc::SIGUSR1);

    // A signal to the group reaches the task; the executor ignores it and reports it. (Not
    // through `sh -c`: dash defers a SIGINT that arrives before it forks until its child ends.)
    let mut sleeper = spec(tmp.path(), "");
    sleeper
        .config
        .insert("command".into(), serde_json::json!("/bin/sleep"));
    sleeper
        .config
        .insert("args".into(), serde_json::json!(["30"]));
    let h = d.start(sleeper).await.unwrap();
    h.signal("SIGINT").unwrap();
    let exit = tokio::time::timeout(Duration::from_secs(10), h.wait())
        .await
        .expect("the task got the signal");
    assert_eq!(exit.signal, libc::SIGINT);

    let mut missing = spec(tmp.path(), "");
    missing
        .config
        .insert("command".into(), serde_json::json!("/no/such/program"));
    match d.start(missing).await {
        Err(ClientError::DriverStart {
            message,
            recoverable,
        }) => {
            assert!(
                message.starts_with("failed to launch command with executor: /no/such/program:"),
                "{message}"
            );
            assert!(!recoverable, "a missing command is not retried");
        }
        Err(e) => panic!("wrong error: {e}"),
        Ok(_) => panic!("a missing command started"),
    }
}
