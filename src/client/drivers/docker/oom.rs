//! Whether a stopped container was OOM-killed.
//!
//! The engine's `State.OOMKilled` alone is not enough: Docker 20.10 records it
//! only when containerd's TaskOOM event reaches the daemon before TaskExit. The
//! two come from different goroutines of the shim, so under load the exit can
//! win; the daemon then stores `OOMKilled = false` for good and drops the late
//! OOM event because the container's task is already deleted. So when the
//! engine says "no" for a task that did not exit cleanly, the kernel's own
//! record is consulted: the memory cgroup OOM killer logs an `oom-kill:` line
//! naming the cgroup it acted on (`oom_memcg=/docker/<id>` with the cgroupfs
//! driver, `.../docker-<id>.scope` with systemd; the same on cgroup v1 and v2),
//! and that line is in the kernel ring buffer before the victim is even sent
//! SIGKILL, so it is there by the time the exit is seen. Reading `/dev/kmsg`
//! needs CAP_SYSLOG (a root client has it); without it the engine's answer stands.

use std::io::{ErrorKind, Read};
use std::os::unix::fs::OpenOptionsExt;

/// The kernel log device, one record per `read`.
const KMSG: &str = "/dev/kmsg";
/// Larger than any single kernel log record (the kernel caps them at ~1 KiB).
const RECORD_BUF: usize = 8192;

/// Combines the engine's flag with the kernel's record for container `id`.
/// `exit_code == 0` is a clean exit: nothing to look up.
pub async fn oom_killed(engine_says: bool, exit_code: i64, id: &str) -> bool {
    if engine_says || exit_code == 0 || id.is_empty() {
        return engine_says;
    }
    let id = id.to_string();
    tokio::task::spawn_blocking(move || kernel_logged_oom_kill(&id))
        .await
        .unwrap_or(false)
}

/// Whether the kernel ring buffer holds an OOM kill in container `id`'s cgroup.
pub(super) fn kernel_logged_oom_kill(id: &str) -> bool {
    let mut kmsg = match std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NONBLOCK)
        .open(KMSG)
    {
        Ok(f) => f,
        Err(e) => {
            tracing::debug!(error = %e, "cannot read {KMSG}; relying on the engine's OOM flag");
            return false;
        }
    };
    let mut buf = vec![0u8; RECORD_BUF];
    loop {
        match kmsg.read(&mut buf) {
            Ok(0) => return false,
            Ok(n) => {
                if is_oom_kill_of(&String::from_utf8_lossy(&buf[..n]), id) {
                    return true;
                }
            }
            // Records were overwritten while reading: the next read resumes at the oldest kept.
            Err(e) if e.raw_os_error() == Some(libc::EPIPE) => continue,
            Err(e) if e.kind() == ErrorKind::Interrupted => continue,
            // WouldBlock: the end of the buffer.
            Err(_) => return false,
        }
    }
}

/// Whether one `/dev/kmsg` record (`prio,seq,ts,flags;message`) reports the
/// memory cgroup OOM killer acting in container `id`'s cgroup.
pub fn is_oom_kill_of(record: &str, id: &str) -> bool {
    let message = record.split_once(';').map_or(record, |(_, m)| m);
    let message = message.lines().next().unwrap_or_default();
    // Kernels since 4.19 print `oom-kill:...,oom_memcg=<path>,...`; older ones
    // print "Task in <path> killed as a result of limit of <path>".
    let about_memcg =
        message.starts_with("oom-kill:") || message.contains("killed as a result of limit of");
    about_memcg && memcg_paths(message).any(|path| names_container(path, id))
}

/// The cgroup paths named in an OOM record.
fn memcg_paths(message: &str) -> impl Iterator<Item = &str> {
    message.split([',', ' ']).filter_map(|field| {
        field
            .strip_prefix("oom_memcg=")
            .or_else(|| field.strip_prefix("task_memcg="))
            .or_else(|| field.starts_with('/').then_some(field))
    })
}

/// Whether the last element of a cgroup path is container `id`'s cgroup.
fn names_container(path: &str, id: &str) -> bool {
    let leaf = path.rsplit('/').next().unwrap_or_default();
    let leaf = leaf.strip_suffix(".scope").unwrap_or(leaf);
    leaf == id || leaf.strip_prefix("docker-") == Some(id)
}

#[cfg(test)]
mod tests {
    use super::*;

    const ID: &str = "c0eed376b57c3a832235fcc7435644b2baf55e090dc391fb92762e4841ee2b9f";

    #[test]
    fn recognises_the_kernels_oom_kill_record_for_the_container() {
        let cgroupfs = format!(
            "6,12202,2671428403,-;oom-kill:constraint=CONSTRAINT_MEMCG,nodemask=(null),cpuset={ID},\
             mems_allowed=0,oom_memcg=/docker/{ID},task_memcg=/docker/{ID},task=sh,pid=11594,uid=0\n"
        );
        assert!(is_oom_kill_of(&cgroupfs, ID));
        let systemd = format!(
            "6,1,2,-;oom-kill:constraint=CONSTRAINT_MEMCG,nodemask=(null),cpuset=/,mems_allowed=0,\
             oom_memcg=/system.slice/docker-{ID}.scope,task_memcg=/system.slice/docker-{ID}.scope,task=sh,pid=1,uid=0"
        );
        assert!(is_oom_kill_of(&systemd, ID));
        let old =
            format!("3,5,6,-;Task in /docker/{ID} killed as a result of limit of /docker/{ID}");
        assert!(is_oom_kill_of(&old, ID));
    }

    #[test]
    fn ignores_other_containers_and_other_records() {
        let other = ID.replace('c', "d");
        let record = format!(
            "6,1,2,-;oom-kill:constraint=CONSTRAINT_MEMCG,nodemask=(null),cpuset=x,mems_allowed=0,\
             oom_memcg=/docker/{other},task_memcg=/docker/{other},task=sh,pid=1,uid=0"
        );
        assert!(!is_oom_kill_of(&record, ID));
        // The container's ID elsewhere in the log is not an OOM kill.
        let stats = format!("6,12153,2671428319,-;Memory cgroup stats for /docker/{ID}:");
        assert!(!is_oom_kill_of(&stats, ID));
        // A prefix of the ID is not the container.
        let prefix = format!("6,1,2,-;oom-kill:oom_memcg=/docker/{}", &ID[..12]);
        assert!(!is_oom_kill_of(&prefix, ID));
    }
}
