//! The exec driver after a client restart: a new driver takes over a running task from
//! its record (same process, logs, cgroup, exec), and a record of a task that is gone
//! recovers nothing.

use super::*;

/// Starts `spec` with a driver on `state_dir` in a runtime of its own, waits for
/// `ready` in its stdout, then shuts that runtime down, as when the client dies: its
/// waiter and log readers go, the task keeps running. Returns the supervisor's PID.
async fn start_then_lose_the_client(
    t: &Task,
    state_dir: &Path,
    spec: TaskSpec,
    ready: &str,
) -> u32 {
    let state_dir = state_dir.to_path_buf();
    let stdout = log_path(&t.log_dir, "t", "stdout", 0);
    let ready = ready.to_string();
    let client = std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .unwrap();
        let pid = rt.block_on(async move {
            let h = ExecDriver::new()
                .with_state_dir(state_dir)
                .start(spec)
                .await
                .unwrap_or_else(|e| panic!("start failed: {e}"));
            let up = tokio::time::timeout(DEADLINE, async {
                while !std::fs::read_to_string(&stdout)
                    .unwrap_or_default()
                    .contains(&ready)
                {
                    tokio::time::sleep(Duration::from_millis(20)).await;
                }
            })
            .await;
            assert!(up.is_ok(), "the task never said {ready:?}");
            h.pid().unwrap()
        });
        drop(rt);
        pid
    });
    tokio::task::spawn_blocking(move || client.join().expect("the first client panicked"))
        .await
        .unwrap()
}

/// The `n=<i>` counters in `text`, in order.
fn counters(text: &str) -> Vec<u64> {
    text.lines()
        .filter_map(|l| l.strip_prefix("n=")?.parse().ok())
        .collect()
}

/// A client restart in miniature: a second driver on the same state dir takes over
/// the running task (same supervisor, cgroup, namespaces, log FIFOs), nothing the task
/// wrote meanwhile is lost, and signal, `alloc exec`, stats and stop work on it.
#[tokio::test]
async fn a_new_driver_recovers_a_running_task_from_its_record() {
    use crate::client::drivers::ExecRequest;
    if !isolation_available() {
        return;
    }
    let t = Task::new();
    let state_dir = t._tmp.path().join("client");
    let script = "trap 'echo got-hup' HUP; i=0; \
                  while true; do i=$((i+1)); echo n=$i; sleep 0.05; done";
    let spec = t.spec("nobody", 64, script);
    let alloc = spec.alloc_id.clone();
    let record = state::record_path(&state_dir, &alloc, "t");
    let pid = start_then_lose_the_client(&t, &state_dir, spec, "n=3\n").await;
    assert!(record.is_file(), "the task is recorded");
    // The task keeps writing while no client reads: it must neither die nor lose lines.
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert!(
        crate::client::drivers::process::start_ticks(pid).is_some(),
        "the task outlived its client"
    );

    let second = ExecDriver::new().with_state_dir(state_dir.clone());
    let mut spec = t.spec("nobody", 64, script);
    let h = second
        .recover(&mut spec)
        .await
        .unwrap()
        .expect("the running task is recovered");
    assert!(
        spec.stdout.is_none() && spec.stderr.is_none(),
        "its log files are taken over"
    );
    assert_eq!(h.pid(), Some(pid), "the same supervisor, not a new task");
    let seen = counters(&t.stdout()).last().copied().unwrap_or(0);
    let waited = tokio::time::timeout(DEADLINE, async {
        while counters(&t.stdout()).last().copied().unwrap_or(0) < seen + 10 {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    })
    .await;
    assert!(waited.is_ok(), "no output after recovery: {:?}", t.stdout());
    let n = counters(&t.stdout());
    assert_eq!(
        n,
        (1..=n.len() as u64).collect::<Vec<_>>(),
        "lines lost or repeated across the restart"
    );

    // Stats from its cgroup, signals to its group, `alloc exec` inside it.
    h.stats();
    tokio::time::sleep(Duration::from_millis(300)).await;
    let u = h.stats().resource_usage;
    assert!(u.memory_stats.usage > 0, "{:?}", u.memory_stats);
    h.signal("SIGHUP").unwrap();
    t.wait_for_output("got-hup").await;
    let (out, _, code) = h
        .exec(ExecRequest {
            command: [BUSYBOX, "sh", "-c", "id -u; ls /proc | grep -c '^[0-9]'"]
                .map(String::from)
                .to_vec(),
            tty: false,
            tty_size: None,
        })
        .await
        .unwrap()
        .run_to_end(b"")
        .await;
    let text = String::from_utf8_lossy(&out);
    let nobody = user::lookup("nobody").unwrap().uid;
    assert!(text.starts_with(&format!("{nobody}\n")), "{text}");
    assert_eq!(code, Some(0), "{text}");

    // Stop: the exit is the task's own (SIGTERM), though this client is not the
    // supervisor's parent: the supervisor wrote it beside the record. The task, its
    // cgroup, its record and that file are gone.
    let r = tokio::time::timeout(DEADLINE, h.stop("SIGTERM", Duration::from_secs(10)))
        .await
        .expect("stop finished");
    assert_eq!(
        (r.signal, r.exit_code, r.err.as_deref()),
        (libc::SIGTERM, 0, None),
        "{r:?}"
    );
    assert!(!crate::client::drivers::process::exit_path(&record).exists());
    assert_eq!(crate::client::drivers::process::start_ticks(pid), None);
    assert!(!record.exists(), "the record is removed");
    assert!(!recorded_fifo(&record).exists(), "the FIFOs are removed");
    assert!(
        !task_cgroup(&alloc).exists(),
        "{} left behind",
        task_cgroup(&alloc).display()
    );
    assert!(matches!(
        h.signal("SIGHUP"),
        Err(ClientError::TaskNotRunning)
    ));
    // Nothing is left to recover: the next start runs a new task.
    let mut spec = t.spec("nobody", 64, "echo again");
    assert!(second.recover(&mut spec).await.unwrap().is_none());
    assert!(spec.stdout.is_some(), "spec left untouched");
    let h = second.start(spec).await.unwrap();
    assert_ne!(h.pid(), Some(pid));
    let r = tokio::time::timeout(DEADLINE, h.wait()).await.unwrap();
    assert!(r.successful(), "{r:?}");
}

/// A record whose task ended while no client watched recovers nothing, and is cleaned
/// up with the task's cgroup, so that the restart policy can start it afresh.
#[tokio::test]
async fn a_record_of_a_task_that_is_gone_recovers_nothing() {
    if !isolation_available() {
        return;
    }
    let t = Task::new();
    let state_dir = t._tmp.path().join("client");
    let spec = t.spec("", 64, "echo ready; exec sleep 300");
    let alloc = spec.alloc_id.clone();
    let record = state::record_path(&state_dir, &alloc, "t");
    let pid = start_then_lose_the_client(&t, &state_dir, spec, "ready").await;
    // The task dies while its client is away.
    // SAFETY: kill has no memory preconditions; the group is the task's.
    unsafe { libc::kill(-(pid as i32), libc::SIGKILL) };
    let gone = tokio::time::timeout(DEADLINE, async {
        while crate::client::drivers::process::start_ticks(pid).is_some() {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    })
    .await;
    assert!(gone.is_ok(), "the task did not die");
    assert!(record.is_file() && task_cgroup(&alloc).exists());
    let d = ExecDriver::new().with_state_dir(state_dir);
    let mut spec = t.spec("", 64, "echo restarted");
    assert!(d.recover(&mut spec).await.unwrap().is_none());
    assert!(spec.stdout.is_some(), "spec left untouched");
    assert!(!record.exists(), "the stale record is removed");
    assert!(!task_cgroup(&alloc).exists(), "its cgroup is removed");
    let h = d.start(spec).await.unwrap();
    let r = tokio::time::timeout(DEADLINE, h.wait()).await.unwrap();
    assert!(r.successful(), "{r:?}");
    t.wait_for_output("restarted").await;
}

/// The task's stdout FIFO beside `record`.
fn recorded_fifo(record: &Path) -> PathBuf {
    state::fifo_path(record, "stdout")
}

/// The memory (v1) or only (v2) cgroup directory of `alloc`'s task `t`.
fn task_cgroup(alloc: &str) -> PathBuf {
    let name = format!("{alloc}.t");
    match HostSupport::detect().cgroups.unwrap() {
        Hierarchy::V2 { root } => root.join("nomad.slice").join(format!("{name}.scope")),
        Hierarchy::V1 { memory, .. } => memory.join("nomad").join(name),
    }
}
