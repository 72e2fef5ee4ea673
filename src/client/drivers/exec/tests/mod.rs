//! The exec driver against the real kernel: namespaces, chroot, cgroup limits,
//! users, signals. They need root and cgroups: in CI (`CI=true`) their absence
//! fails the test loudly; elsewhere each test says loudly that it did not run.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use super::*;
use crate::client::alloc_dir::AllocDir;
use crate::client::drivers::ExitResult;
use crate::client::logs::{LogRotator, log_path};

const BUSYBOX: &str = "/bin/busybox";
/// Generous: the machine is shared and slow.
const DEADLINE: Duration = Duration::from_secs(60);

/// Whether the host can run these tests; panics in CI when it cannot.
fn isolation_available() -> bool {
    let host = HostSupport::detect();
    let Some(reason) = host.unhealthy_reason() else {
        return true;
    };
    let msg = format!(
        "exec driver tests need root and cgroups (cpu+memory); this host: {reason}. \
         The isolation features are NOT tested here."
    );
    if std::env::var("CI").is_ok_and(|v| v == "true") {
        panic!("{msg}");
    }
    eprintln!("\n!!!!!!!! {msg} !!!!!!!!\n");
    false
}

struct Task {
    _tmp: tempfile::TempDir,
    log_dir: PathBuf,
    task_dir: PathBuf,
}

impl Task {
    fn new() -> Self {
        let tmp = tempfile::tempdir().unwrap();
        let ad = AllocDir::new(tmp.path(), &format!("exec-test-{}", uuid::Uuid::new_v4()));
        ad.build().unwrap();
        let task_dir = ad.build_task("t").unwrap();
        Self {
            log_dir: ad.log_dir(),
            task_dir,
            _tmp: tmp,
        }
    }

    fn spec(&self, user: &str, memory_mb: u64, script: &str) -> TaskSpec {
        let alloc_root = self.task_dir.parent().unwrap();
        let mut config = BTreeMap::new();
        config.insert("command".into(), serde_json::json!(BUSYBOX));
        config.insert("args".into(), serde_json::json!(["sh", "-c", script]));
        let host = |p: &Path| p.to_string_lossy().into_owned();
        let env = BTreeMap::from([
            (
                "NOMAD_ALLOC_DIR".to_string(),
                host(&alloc_root.join("alloc")),
            ),
            (
                "NOMAD_TASK_DIR".to_string(),
                host(&self.task_dir.join("local")),
            ),
            (
                "NOMAD_SECRETS_DIR".to_string(),
                host(&self.task_dir.join("secrets")),
            ),
            ("NOMAD_MEMORY_LIMIT".to_string(), memory_mb.to_string()),
            ("NOMAD_CPU_LIMIT".to_string(), "100".to_string()),
        ]);
        TaskSpec {
            alloc_id: alloc_root
                .file_name()
                .unwrap()
                .to_string_lossy()
                .into_owned(),
            task_name: "t".into(),
            config,
            env,
            task_dir: self.task_dir.clone(),
            stdout: Some(
                LogRotator::with_limits(&self.log_dir, "t", "stdout", 2, 1 << 20).unwrap(),
            ),
            stderr: Some(
                LogRotator::with_limits(&self.log_dir, "t", "stderr", 2, 1 << 20).unwrap(),
            ),
            user: user.into(),
            mhz_per_core: 1000.0,
        }
    }

    fn stdout(&self) -> String {
        std::fs::read_to_string(log_path(&self.log_dir, "t", "stdout", 0)).unwrap_or_default()
    }

    fn stderr(&self) -> String {
        std::fs::read_to_string(log_path(&self.log_dir, "t", "stderr", 0)).unwrap_or_default()
    }

    async fn wait_for_output(&self, needle: &str) {
        let waited = tokio::time::timeout(DEADLINE, async {
            while !self.stdout().contains(needle) {
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
        })
        .await;
        assert!(
            waited.is_ok(),
            "no {needle:?} in stdout: {:?}",
            self.stdout()
        );
    }
}

async fn run(task: &Task, user: &str, memory_mb: u64, script: &str) -> (ExecHandle, ExitResult) {
    let h = ExecDriver::new()
        .start_task(task.spec(user, memory_mb, script))
        .unwrap_or_else(|e| panic!("start failed: {e}"));
    let r = tokio::time::timeout(DEADLINE, h.wait())
        .await
        .expect("task did not finish");
    (h, r)
}

#[tokio::test]
async fn task_sees_only_its_own_processes() {
    if !isolation_available() {
        return;
    }
    let t = Task::new();
    let (h, r) = run(&t, "", 64, "echo self=$$; ls /proc | grep -E '^[0-9]+$'").await;
    assert!(r.successful(), "{r:?} stderr={:?}", t.stderr());
    let out = t.stdout();
    // The shell is PID 2: PID 1 is the namespace's init.
    assert!(out.contains("self=2\n"), "{out:?}");
    let pids: Vec<u32> = out.lines().filter_map(|l| l.parse().ok()).collect();
    assert!(pids.contains(&1) && pids.contains(&2), "{out:?}");
    assert!(
        pids.len() <= 5 && pids.iter().all(|p| *p < 10),
        "host processes visible: {out:?}"
    );
    assert!(!h.cgroup_exists(), "cgroup left behind");
}

#[tokio::test]
async fn namespaces_are_private_and_mounts_stay_inside() {
    if !isolation_available() {
        return;
    }
    let t = Task::new();
    let script = "for n in pid mnt ipc uts; do echo $n=$(readlink /proc/self/ns/$n); done; \
                  hostname isolated-box 2>/dev/null && echo renamed || echo rename-refused; \
                  cat /proc/mounts";
    let h = ExecDriver::new()
        .start_task(t.spec("root", 64, &format!("{script}; echo done; sleep 30")))
        .unwrap();
    t.wait_for_output("done").await;
    let out = t.stdout();
    for ns in ["pid", "mnt", "ipc", "uts"] {
        let host = std::fs::read_link(format!("/proc/self/ns/{ns}")).unwrap();
        let line = format!("{ns}={}", host.display());
        assert!(out.contains(&format!("{ns}=")), "{out:?}");
        assert!(
            !out.contains(&line),
            "{ns} namespace shared with the host: {out:?}"
        );
    }
    // Root inside lacks CAP_SYS_ADMIN (Nomad's capability set): no renaming the host.
    assert!(
        out.contains("rename-refused"),
        "sethostname should fail: {out:?}"
    );
    assert!(
        out.contains(" /proc proc ") && out.contains(" /alloc "),
        "{out:?}"
    );
    // The host's tree was detached after pivot_root: none of its mounts are listed.
    let mounts: Vec<&str> = out.lines().filter_map(|l| l.split(' ').nth(1)).collect();
    assert!(
        !mounts
            .iter()
            .any(|m| *m == "/sys" || m.starts_with("/sys/") || m.starts_with("/work")),
        "{out:?}"
    );
    // Nothing the task mounted is visible on the host.
    let host_mounts = std::fs::read_to_string("/proc/self/mountinfo").unwrap();
    assert!(
        !host_mounts.contains(&*t.task_dir.to_string_lossy()),
        "mounts leaked to the host"
    );
    let r = h.stop("SIGTERM", Duration::from_secs(10)).await;
    assert_eq!(r.signal, libc::SIGTERM, "{r:?}");
    assert!(!h.cgroup_exists());
}

#[tokio::test]
async fn host_pid_mode_shares_the_hosts_processes() {
    if !isolation_available() {
        return;
    }
    let t = Task::new();
    let mut spec = t.spec(
        "",
        64,
        "ls /proc/$PPID/stat >/dev/null && echo parent-visible; ls -d /proc/[0-9]* | wc -l",
    );
    spec.config
        .insert("pid_mode".into(), serde_json::json!("host"));
    spec.config
        .insert("ipc_mode".into(), serde_json::json!("host"));
    let h = ExecDriver::new().start_task(spec).unwrap();
    let r = tokio::time::timeout(DEADLINE, h.wait()).await.unwrap();
    assert!(r.successful(), "{r:?} {:?}", t.stderr());
    let out = t.stdout();
    assert!(out.starts_with("parent-visible\n"), "{out:?}");
    let count: usize = out
        .lines()
        .nth(1)
        .and_then(|l| l.trim().parse().ok())
        .unwrap();
    assert!(count > 10, "host processes should be visible: {out:?}");
    let mut bad = t.spec("", 64, "true");
    bad.config
        .insert("pid_mode".into(), serde_json::json!("shared"));
    match ExecDriver::new().start_task(bad) {
        Err(ClientError::TaskConfig(m)) => assert!(m.contains("pid_mode"), "{m}"),
        other => panic!("expected a config error, got {:?}", other.map(|h| h.pid())),
    }
}

#[tokio::test]
async fn root_tasks_are_bounded_by_their_capabilities() {
    if !isolation_available() {
        return;
    }
    let bounding = |out: &str| -> u64 {
        let hex = out
            .lines()
            .find_map(|l| l.strip_prefix("CapBnd:"))
            .unwrap_or_else(|| panic!("no CapBnd in {out:?}"));
        u64::from_str_radix(hex.trim(), 16).unwrap()
    };
    let t = Task::new();
    let (_, r) = run(&t, "root", 64, "grep Cap /proc/self/status").await;
    assert!(r.successful(), "{r:?}");
    let default = bounding(&t.stdout());
    assert_eq!(
        default,
        caps::task_caps(&BTreeMap::new()).unwrap(),
        "{}",
        t.stdout()
    );
    assert_eq!(default & (1 << 21), 0, "CAP_SYS_ADMIN kept");
    let t = Task::new();
    let mut spec = t.spec(
        "root",
        64,
        "grep Cap /proc/self/status; chown nobody /local",
    );
    spec.config
        .insert("cap_drop".into(), serde_json::json!(["all"]));
    spec.config
        .insert("cap_add".into(), serde_json::json!(["net_bind_service"]));
    let h = ExecDriver::new().start_task(spec).unwrap();
    let r = tokio::time::timeout(DEADLINE, h.wait()).await.unwrap();
    assert_eq!(bounding(&t.stdout()), 1 << 10, "{}", t.stdout());
    // Without CAP_CHOWN even root cannot give a file away.
    assert!(!r.successful(), "chown should fail: {r:?}");
    assert!(t.stderr().contains("chown"), "{}", t.stderr());
}

#[tokio::test]
async fn runs_as_the_requested_user() {
    if !isolation_available() {
        return;
    }
    let nobody = user::lookup("nobody").unwrap();
    for (user, uid) in [("nobody", nobody.uid), ("", nobody.uid), ("root", 0)] {
        let t = Task::new();
        let (_, r) = run(
            &t,
            user,
            64,
            "id -u; echo dir=$NOMAD_TASK_DIR; echo hi > /local/f && cat /local/f; \
             echo shared > /alloc/data/x && echo alloc-data-ok; \
             touch /etc/nope 2>/dev/null || echo etc-read-only",
        )
        .await;
        assert!(r.successful(), "{user}: {r:?} {:?}", t.stderr());
        let out = t.stdout();
        assert!(out.starts_with(&format!("{uid}\n")), "{user}: {out:?}");
        assert!(out.contains("dir=/local\nhi\n"), "{user}: {out:?}");
        assert!(
            out.contains("alloc-data-ok\netc-read-only\n"),
            "{user}: {out:?}"
        );
        // The file the task wrote is in the allocation's shared dir on the host.
        let shared = t.task_dir.parent().unwrap().join("alloc/data/x");
        assert_eq!(std::fs::read_to_string(shared).unwrap(), "shared\n");
    }
    let t = Task::new();
    match ExecDriver::new().start_task(t.spec("no-such-user-here", 64, "true")) {
        Err(ClientError::TaskConfig(m)) => assert!(m.contains("no-such-user-here"), "{m}"),
        other => panic!("expected a user error, got {:?}", other.map(|h| h.pid())),
    }
}

#[tokio::test]
async fn memory_limit_is_enforced_by_the_oom_killer() {
    if !isolation_available() {
        return;
    }
    let t = Task::new();
    let mut spec = t.spec("", 32, "");
    // dd touches its whole 200 MiB buffer: far past the 32 MiB limit.
    spec.config.insert(
        "args".into(),
        serde_json::json!(["dd", "if=/dev/zero", "of=/dev/null", "bs=200M", "count=1"]),
    );
    let h = ExecDriver::new().start_task(spec).unwrap();
    let r = tokio::time::timeout(DEADLINE, h.wait()).await.unwrap();
    assert!(r.oom_killed, "{r:?} stderr={:?}", t.stderr());
    assert_eq!(r.signal, libc::SIGKILL, "{r:?}");
    assert_eq!(r.err.as_deref(), Some(OOM_MESSAGE));
    // Within the limit the same command succeeds.
    let t = Task::new();
    let mut spec = t.spec("", 64, "");
    spec.config.insert(
        "args".into(),
        serde_json::json!(["dd", "if=/dev/zero", "of=/dev/null", "bs=8M", "count=1"]),
    );
    let h = ExecDriver::new().start_task(spec).unwrap();
    let r = tokio::time::timeout(DEADLINE, h.wait()).await.unwrap();
    assert!(r.successful() && !r.oom_killed, "{r:?} {:?}", t.stderr());
}

#[tokio::test]
async fn exit_codes_and_logs() {
    if !isolation_available() {
        return;
    }
    let t = Task::new();
    let (_, r) = run(&t, "", 64, "echo out; echo err >&2; exit 7").await;
    assert_eq!(
        (r.exit_code, r.signal, r.oom_killed),
        (7, 0, false),
        "{r:?}"
    );
    assert_eq!(
        (t.stdout().as_str(), t.stderr().as_str()),
        ("out\n", "err\n")
    );
    // A bare name is found on the task's PATH inside the root; a relative path is
    // relative to the task dir (where artifacts land).
    let t = Task::new();
    let script = t.task_dir.join("local/hello.sh");
    std::fs::write(&script, "#!/bin/busybox sh\necho from-$0 \"$@\"\n").unwrap();
    std::fs::set_permissions(&script, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
    for (command, args, expect) in [
        (
            "busybox",
            serde_json::json!(["echo", "on-path"]),
            "on-path\n",
        ),
        (
            "local/hello.sh",
            serde_json::json!(["a"]),
            "from-local/hello.sh a\n",
        ),
    ] {
        let mut spec = t.spec("", 64, "");
        spec.config
            .insert("command".into(), serde_json::json!(command));
        spec.config.insert("args".into(), args);
        let h = ExecDriver::new().start_task(spec).unwrap();
        let r = tokio::time::timeout(DEADLINE, h.wait()).await.unwrap();
        assert!(r.successful(), "{command}: {r:?} {:?}", t.stderr());
        assert!(t.stdout().ends_with(expect), "{command}: {:?}", t.stdout());
    }
    let t = Task::new();
    let mut spec = t.spec("", 64, "");
    spec.config
        .insert("command".into(), serde_json::json!("/no/such/binary"));
    spec.config.remove("args");
    match ExecDriver::new().start_task(spec) {
        Err(ClientError::DriverStart {
            message,
            recoverable,
        }) => {
            assert!(!recoverable, "{message}");
            assert!(message.contains("/no/such/binary"), "{message}");
        }
        other => panic!("expected a start error, got {:?}", other.map(|h| h.pid())),
    }
}

#[tokio::test]
async fn signal_and_stop_with_timeout() {
    if !isolation_available() {
        return;
    }
    let t = Task::new();
    let h = ExecDriver::new()
        .start_task(t.spec(
            "",
            64,
            "trap 'echo got-hup' HUP; trap '' INT; echo ready; while true; do sleep 0.1; done",
        ))
        .unwrap();
    t.wait_for_output("ready").await;
    h.signal("SIGHUP").unwrap();
    t.wait_for_output("got-hup").await;
    assert!(h.signal("SIGNOPE").is_err());
    // SIGINT is ignored: only the kill after the timeout ends it.
    let r = h.stop("SIGINT", Duration::from_millis(500)).await;
    assert_eq!(r.signal, libc::SIGKILL, "{r:?}");
    assert!(matches!(
        h.signal("SIGHUP"),
        Err(ClientError::TaskNotRunning)
    ));
    assert!(!h.cgroup_exists());
}

#[tokio::test]
async fn stats_come_from_the_cgroup() {
    if !isolation_available() {
        return;
    }
    let t = Task::new();
    let h = ExecDriver::new()
        .start_task(t.spec("", 64, "echo busy; while true; do :; done"))
        .unwrap();
    t.wait_for_output("busy").await;
    h.stats();
    tokio::time::sleep(Duration::from_millis(500)).await;
    let s = h.stats().resource_usage;
    assert!(s.cpu_stats.percent > 1.0, "{:?}", s.cpu_stats);
    assert!(s.cpu_stats.total_ticks > 0.0);
    assert!(s.memory_stats.usage > 0, "{:?}", s.memory_stats);
    h.stop("SIGKILL", Duration::from_secs(5)).await;
}

#[tokio::test]
async fn a_live_tasks_cgroup_is_never_shared() {
    if !isolation_available() {
        return;
    }
    let t = Task::new();
    let d = ExecDriver::new();
    let first = d.start_task(t.spec("", 64, "echo up; sleep 30")).unwrap();
    t.wait_for_output("up").await;
    // Same allocation and task: its cgroup is taken, and the first task survives.
    match d.start_task(t.spec("", 64, "true")) {
        Err(ClientError::DriverStart { message, .. }) => {
            assert!(message.contains("in use"), "{message}")
        }
        other => panic!("expected a refusal, got {:?}", other.map(|h| h.pid())),
    }
    assert!(first.signal("SIGCONT").is_ok());
    assert!(first.cgroup_exists());
    let r = first.stop("SIGTERM", Duration::from_secs(10)).await;
    assert_eq!(r.signal, libc::SIGTERM, "{r:?}");
}

#[tokio::test]
async fn unhealthy_host_refuses_tasks() {
    let t = Task::new();
    let d = ExecDriver::with_support(HostSupport {
        root: false,
        cgroups: None,
    });
    assert_eq!(d.fingerprint().health_description, NOT_ROOT);
    match d.start(t.spec("", 64, "true")).await {
        Err(ClientError::DriverStart { message, .. }) => assert_eq!(message, NOT_ROOT),
        other => panic!("expected refusal, got {:?}", other.map(|h| h.pid())),
    }
}

#[tokio::test]
async fn a_failed_setup_step_is_named() {
    if !isolation_available() {
        return;
    }
    let t = Task::new();
    // The shared alloc dir is gone: binding it at /alloc fails inside the task.
    let mut spec = t.spec("", 64, "true");
    spec.env
        .insert("NOMAD_ALLOC_DIR".into(), "/nonexistent/alloc".into());
    match ExecDriver::new().start_task(spec) {
        Err(ClientError::DriverStart {
            message,
            recoverable,
        }) => {
            assert!(!recoverable);
            assert!(
                message.starts_with("failed to set up the task's root filesystem: "),
                "{message}"
            );
        }
        other => panic!("expected a setup error, got {:?}", other.map(|h| h.pid())),
    }
    let alloc = t.task_dir.parent().unwrap().file_name().unwrap().to_owned();
    let name = format!("{}.t", alloc.to_string_lossy());
    let leftover = match HostSupport::detect().cgroups.unwrap() {
        Hierarchy::V2 { root } => root.join("nomad.slice").join(format!("{name}.scope")),
        Hierarchy::V1 { memory, .. } => memory.join("nomad").join(name),
    };
    assert!(!leftover.exists(), "{} left behind", leftover.display());
}

#[test]
fn setup_errors_carry_their_step() {
    let e = isolate::tag_for_test(isolate::Stage::User, libc::EPERM);
    assert_eq!(
        isolate::describe(&e).unwrap(),
        format!(
            "failed to set up the task's capabilities and user: {}",
            std::io::Error::from_raw_os_error(libc::EPERM)
        )
    );
    assert_eq!(
        isolate::describe(&std::io::Error::from_raw_os_error(libc::ENOENT)),
        None
    );
}

#[test]
fn limits_follow_memory_max() {
    let env = |pairs: &[(&str, &str)]| {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect::<BTreeMap<_, _>>()
    };
    let l = limits(&env(&[
        ("NOMAD_MEMORY_LIMIT", "64"),
        ("NOMAD_CPU_LIMIT", "500"),
    ]));
    assert_eq!(
        (l.memory_max, l.memory_low, l.cpu_shares),
        (64 << 20, 0, 500)
    );
    let l = limits(&env(&[
        ("NOMAD_MEMORY_LIMIT", "64"),
        ("NOMAD_MEMORY_MAX_LIMIT", "128"),
    ]));
    assert_eq!((l.memory_max, l.memory_low), (128 << 20, 64 << 20));
    let dirs = vec![("/data/alloc/a/t/local".to_string(), "/local")];
    assert_eq!(
        to_inside("/data/alloc/a/t/local/run.sh", &dirs),
        "/local/run.sh"
    );
}

mod recover;
mod sessions;
