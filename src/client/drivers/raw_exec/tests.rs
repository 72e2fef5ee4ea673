//! raw_exec against real processes: commands, env, logs, signals and stop, cgroup
//! accounting and cleanup, `alloc exec`.

use super::*;
use std::time::Duration;

use crate::client::drivers::ExecRequest;
use crate::client::logs::{LogRotator, log_path};

fn spec(dir: &std::path::Path, script: &str) -> TaskSpec {
    let mut config = BTreeMap::new();
    config.insert("command".into(), serde_json::json!("/bin/sh"));
    config.insert("args".into(), serde_json::json!(["-c", script]));
    TaskSpec {
        // Unique: tests run in parallel and each task gets its own cgroup.
        alloc_id: uuid::Uuid::new_v4().to_string(),
        task_name: "t".into(),
        config,
        env: BTreeMap::from([("GREETING".to_string(), "hi".to_string())]),
        task_dir: dir.to_path_buf(),
        stdout: Some(LogRotator::with_limits(dir, "t", "stdout", 2, 1 << 20).unwrap()),
        stderr: Some(LogRotator::with_limits(dir, "t", "stderr", 2, 1 << 20).unwrap()),
        user: String::new(),
        mhz_per_core: 1000.0,
    }
}

#[tokio::test]
async fn runs_command_with_env_and_logs() {
    let tmp = tempfile::tempdir().unwrap();
    let d = RawExecDriver::new(true);
    let h = d
        .start(spec(tmp.path(), "echo $GREETING; echo oops >&2; exit 3"))
        .await
        .unwrap();
    let r = h.wait().await;
    assert_eq!(r.exit_code, 3);
    assert!(!r.successful());
    let out = std::fs::read_to_string(log_path(tmp.path(), "t", "stdout", 0)).unwrap();
    let err = std::fs::read_to_string(log_path(tmp.path(), "t", "stderr", 0)).unwrap();
    assert_eq!((out.as_str(), err.as_str()), ("hi\n", "oops\n"));
}

#[tokio::test]
async fn stop_sends_signal_then_kills() {
    let tmp = tempfile::tempdir().unwrap();
    let d = RawExecDriver::new(true);
    // Ignores SIGINT, so only the forced kill ends it. Wait until the trap is set.
    let h = d
        .start(spec(
            tmp.path(),
            "trap '' INT; echo ready; while true; do sleep 0.05; done",
        ))
        .await
        .unwrap();
    let out = log_path(tmp.path(), "t", "stdout", 0);
    while !std::fs::read_to_string(&out)
        .unwrap_or_default()
        .contains("ready")
    {
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    let r = h.stop("SIGINT", Duration::from_millis(200)).await;
    assert_eq!(r.signal, libc::SIGKILL);
    // A task that honours the signal exits with it.
    let h = d.start(spec(tmp.path(), "exec sleep 30")).await.unwrap();
    let r = h.stop("SIGTERM", Duration::from_secs(5)).await;
    assert_eq!(r.signal, libc::SIGTERM);
    assert!(h.signal("SIGHUP").is_err());
}

#[tokio::test]
async fn disabled_or_misconfigured() {
    let tmp = tempfile::tempdir().unwrap();
    let off = RawExecDriver::new(false);
    assert!(!off.fingerprint().detected);
    assert_eq!(off.fingerprint().health_description, "disabled");
    assert!(matches!(
        off.start(spec(tmp.path(), "true")).await,
        Err(ClientError::DriverUnavailable(_))
    ));
    let on = RawExecDriver::new(true);
    assert_eq!(
        on.fingerprint()
            .attributes
            .get("driver.raw_exec")
            .map(String::as_str),
        Some("true")
    );
    let mut s = spec(tmp.path(), "true");
    s.config.remove("command");
    assert!(matches!(on.start(s).await, Err(ClientError::TaskConfig(_))));
    let mut s = spec(tmp.path(), "true");
    s.config
        .insert("command".into(), serde_json::json!("/no/such/binary"));
    match on.start(s).await {
        Err(ClientError::DriverStart { recoverable, .. }) => assert!(!recoverable),
        other => panic!("expected a start error, got {:?}", other.map(|h| h.pid())),
    }
}

/// Stats of a cpu-bound task are non-zero, from the cgroup (as root with cgroups)
/// and from `/proc` alike.
#[tokio::test]
async fn stats_of_a_busy_task_are_non_zero() {
    let cgroups_here = RawExecDriver::new(true).cgroups.is_some();
    if !cgroups_here {
        let msg = "raw_exec cgroup accounting is NOT tested: needs root and cgroups";
        if std::env::var("CI").is_ok_and(|v| v == "true") {
            panic!("{msg}");
        }
        eprintln!("\n!!!!!!!! {msg} !!!!!!!!\n");
    }
    for (driver, via_cgroup) in [
        (RawExecDriver::new(true), cgroups_here),
        (RawExecDriver::without_cgroups(true), false),
    ] {
        let tmp = tempfile::tempdir().unwrap();
        let s = spec(tmp.path(), "while true; do :; done");
        let h = driver.start(s).await.unwrap();
        h.stats();
        tokio::time::sleep(Duration::from_millis(500)).await;
        let u = h.stats().resource_usage;
        assert!(
            u.cpu_stats.percent > 1.0,
            "cgroup={via_cgroup}: {:?}",
            u.cpu_stats
        );
        assert!(u.cpu_stats.total_ticks > 0.0);
        assert!(
            u.memory_stats.usage > 0,
            "cgroup={via_cgroup}: {:?}",
            u.memory_stats
        );
        let measured_cache = u.memory_stats.measured.iter().any(|m| m == "Cache");
        assert_eq!(measured_cache, via_cgroup, "{:?}", u.memory_stats.measured);
        h.stop("SIGKILL", Duration::from_secs(5)).await;
    }
}

#[tokio::test]
async fn cgroup_takes_leftovers_with_it() {
    let d = RawExecDriver::new(true);
    let Some(h) = d.cgroups.clone() else {
        let msg = "raw_exec cgroup cleanup is NOT tested: needs root and cgroups";
        if std::env::var("CI").is_ok_and(|v| v == "true") {
            panic!("{msg}");
        }
        eprintln!("\n!!!!!!!! {msg} !!!!!!!!\n");
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    let s = spec(tmp.path(), "setsid sleep 300 & echo $!; exit 0");
    let name = format!("{}.t", s.alloc_id);
    let task = d.start(s).await.unwrap();
    let r = task.wait().await;
    assert!(r.successful(), "{r:?}");
    let out = std::fs::read_to_string(log_path(tmp.path(), "t", "stdout", 0)).unwrap();
    let orphan: i32 = out.trim().parse().unwrap();
    // Gone, or a zombie waiting for whoever inherited it.
    let alive = std::fs::read_to_string(format!("/proc/{orphan}/stat"))
        .ok()
        .and_then(|st| {
            st.rsplit_once(')')
                .and_then(|(_, r)| r.trim_start().chars().next())
        })
        .is_some_and(|state| state != 'Z');
    assert!(!alive, "the task's background process {orphan} survived it");
    let leftover = match h {
        Hierarchy::V2 { root } => root.join("nomad.slice").join(format!("{name}.scope")),
        Hierarchy::V1 { memory, .. } => memory.join("nomad").join(&name),
    };
    assert!(!leftover.exists(), "{} not removed", leftover.display());
}

#[tokio::test]
async fn exec_runs_in_the_task_dir_with_the_task_env() {
    let tmp = tempfile::tempdir().unwrap();
    let d = RawExecDriver::new(true);
    assert!(d.capabilities().exec);
    let h = d.start(spec(tmp.path(), "exec sleep 30")).await.unwrap();
    std::fs::write(tmp.path().join("marker"), "").unwrap();
    let session = h
        .exec(ExecRequest {
            command: vec![
                "/bin/sh".into(),
                "-c".into(),
                "echo $GREETING; ls; exit 4".into(),
            ],
            ..Default::default()
        })
        .await
        .unwrap();
    let (out, _, code) = session.run_to_end(b"").await;
    let out = String::from_utf8_lossy(&out);
    assert!(out.starts_with("hi\n"), "{out}");
    assert!(out.contains("marker"), "{out}");
    assert_eq!(code, Some(4));
    let long = h
        .exec(ExecRequest {
            command: vec!["sleep".into(), "60".into()],
            ..Default::default()
        })
        .await
        .unwrap();
    h.stop("SIGKILL", Duration::from_secs(1)).await;
    let (_, _, code) = tokio::time::timeout(Duration::from_secs(30), long.run_to_end(b""))
        .await
        .expect("the exec session outlived the task");
    assert_eq!(code, Some(128 + libc::SIGKILL));
    assert!(matches!(
        h.exec(ExecRequest {
            command: vec!["true".into()],
            ..Default::default()
        })
        .await,
        Err(ClientError::TaskNotRunning)
    ));
}

#[tokio::test]
async fn stats_see_the_process() {
    let tmp = tempfile::tempdir().unwrap();
    let h = RawExecDriver::new(true)
        .start(spec(tmp.path(), "exec sleep 30"))
        .await
        .unwrap();
    // The process is spawned synchronously, so it is already in /proc.
    let s = h.stats();
    assert!(s.resource_usage.memory_stats.rss > 0);
    h.stop("SIGKILL", Duration::from_secs(1)).await;
}
