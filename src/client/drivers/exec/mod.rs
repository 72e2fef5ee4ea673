//! The `exec` driver: runs `config.command` isolated with Linux primitives, as
//! Nomad's: private PID, mount, IPC and UTS namespaces, a chroot of host paths in
//! the task directory, a cgroup carrying its cpu weight and memory limit, as the
//! task's `user` (default `nobody`), with Nomad's reduced capability set
//! (`cap_drop`, `cap_add` within it).
//! `config { pid_mode, ipc_mode }` = "host" shares those namespaces with the host.
//! Healthy only as root with cgroups. With a state dir, each running task is
//! recorded and a restarted client recovers it (`recover`) instead of starting a
//! second copy.
//!
//! Files: `fingerprint` (can this host run it), `caps` (the capability set),
//! `cgroup` (v1/v2 groups, limits,
//! usage, OOM), `chroot` (the root filesystem plan), `user` (passwd lookup),
//! `isolate` (what runs between fork and exec), `enter` (a command inside a
//! running task, for `alloc exec`), `handle` (the running task),
//! `usage` (cgroup readings into Nomad's stats), `state` (the records a
//! restarted client finds), `logs` (pipes or FIFOs for the task's output),
//! `recover` (taking over a task a previous client left running), `sys`
//! (async-signal-safe helpers of the forked processes), `hierarchy` (which
//! cgroup hierarchy the host has).

mod caps;
mod cgroup;
mod chroot;
mod enter;
mod fingerprint;
mod handle;
mod hierarchy;
mod isolate;
mod logs;
mod recover;
mod state;
mod sys;
#[cfg(test)]
mod tests;
mod usage;
mod user;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::Arc;

use nomad_region::structs::DriverInfo;
use tokio::process::Command;
use tokio_util::sync::CancellationToken;

use super::capabilities::{Capabilities, FsIsolation};
use super::{BoxFuture, Driver, TaskHandle, TaskSpec, local_exec, process};
use crate::client::error::{ClientError, Result};

pub use cgroup::Limits;
pub(crate) use cgroup::TaskCgroup;
pub use fingerprint::{HostSupport, NO_CGROUPS, NOT_ROOT};
pub use handle::{ExecHandle, OOM_MESSAGE};
pub use hierarchy::Hierarchy;
pub(crate) use isolate::join_cgroups;
pub(crate) use logs::{Stream as LogStream, reopen as reopen_log};
pub(crate) use state::fifo_path;
pub(crate) use sys::{mirror_exit, open_exit_file, write_exit_status};
pub(crate) use usage::CgroupTracker;

/// Task dirs as the task sees them, by the variable naming them.
const TASK_DIRS: [(&str, &str); 3] = [
    ("NOMAD_ALLOC_DIR", "/alloc"),
    ("NOMAD_TASK_DIR", "/local"),
    ("NOMAD_SECRETS_DIR", "/secrets"),
];
/// PATH inside the chroot when the task sets none.
const DEFAULT_PATH: &str = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

/// The `exec` driver.
#[derive(Debug, Clone)]
pub struct ExecDriver {
    host: HostSupport,
    /// The client's state dir (`data_dir/client`), where running tasks are recorded.
    state_dir: Option<PathBuf>,
}

impl Default for ExecDriver {
    fn default() -> Self {
        Self::new()
    }
}

impl ExecDriver {
    /// A driver for this host (detects root and cgroups now).
    pub fn new() -> Self {
        Self::with_support(HostSupport::detect())
    }

    /// A driver believing `host` (tests of the unhealthy paths).
    pub fn with_support(host: HostSupport) -> Self {
        Self {
            host,
            state_dir: None,
        }
    }

    /// Records running tasks under `dir` (their output then goes through FIFOs there)
    /// and recovers the ones recorded there.
    pub fn with_state_dir(mut self, dir: PathBuf) -> Self {
        self.state_dir = Some(dir);
        self
    }

    /// `spec`'s task, if a previous client left it running (see `recover`).
    pub async fn recover_task(&self, spec: &mut TaskSpec) -> Option<ExecHandle> {
        recover::recover(self.state_dir.as_ref()?, spec).await
    }

    fn start_task(&self, mut spec: TaskSpec) -> Result<ExecHandle> {
        if let Some(reason) = self.host.unhealthy_reason() {
            return Err(ClientError::DriverStart {
                message: reason.to_string(),
                recoverable: false,
            });
        }
        let Some(hierarchy) = self.host.cgroups.as_ref() else {
            return Err(ClientError::DriverUnavailable("exec".into()));
        };
        let (command, args) = super::raw_exec::command_line(&spec.config)?;
        let mut namespaces = libc::CLONE_NEWNS | libc::CLONE_NEWUTS;
        for (key, flag) in [
            ("pid_mode", libc::CLONE_NEWPID),
            ("ipc_mode", libc::CLONE_NEWIPC),
        ] {
            if mode(&spec.config, key)? == "private" {
                namespaces |= flag;
            }
        }
        let caps = caps::task_caps(&spec.config)?;
        let user = user::lookup(&spec.user)?;
        let host_dirs: Vec<(String, &str)> = TASK_DIRS
            .iter()
            .filter_map(|(k, inside)| Some((spec.env.get(*k)?.clone(), *inside)))
            .filter(|(h, _)| !h.is_empty())
            .collect();
        let inside = |s: &str| to_inside(s, &host_dirs);
        let alloc_dir = spec.env.get("NOMAD_ALLOC_DIR").map(PathBuf::from);
        let plan = chroot::prepare(&spec.task_dir, alloc_dir.as_deref(), (user.uid, user.gid))?;
        let name = format!("{}.{}", spec.alloc_id, spec.task_name);
        let cg = cgroup::TaskCgroup::create(hierarchy, &name, limits(&spec.env)).map_err(|e| {
            ClientError::DriverStart {
                message: format!("failed to create cgroup for task: {e}"),
                recoverable: true,
            }
        })?;
        let cg = Arc::new(cg);
        let cgroup_procs = procs_cstrings(&cg)?;
        let mut entry = enter::Entry {
            ns: Vec::new(),
            cgroup_procs: cgroup_procs.clone(),
            uid: user.uid,
            gid: user.gid,
            cap_last: isolate::cap_last(),
            caps,
            tty: false,
        };
        let mut iso = isolate::Isolation {
            cgroup_procs,
            chroot: plan,
            uid: user.uid,
            gid: user.gid,
            cap_last: isolate::cap_last(),
            caps,
            namespaces,
            keep_fds: [-1, -1],
            exit_file: None,
        };
        let mut env: BTreeMap<String, String> = spec
            .env
            .iter()
            .map(|(k, v)| (k.clone(), inside(v)))
            .collect();
        env.entry("PATH".into())
            .or_insert_with(|| DEFAULT_PATH.into());
        env.entry("HOME".into())
            .or_insert_with(|| user.home.clone());
        env.entry("USER".into())
            .or_insert_with(|| user.name.clone());
        let record = self
            .state_dir
            .as_ref()
            .map(|d| state::record_path(d, &spec.alloc_id, &spec.task_name));
        let fifo = |stream: &str| record.as_ref().map(|r| state::fifo_path(r, stream));
        let mut out = logs::Stream::new(spec.stdout.take(), fifo("stdout"));
        let mut err = logs::Stream::new(spec.stderr.take(), fifo("stderr"));
        iso.keep_fds = [out.keep_fd(), err.keep_fd()];
        if let Some(r) = &record {
            let exit = process::exit_path(r);
            let _ = std::fs::remove_file(&exit);
            iso.exit_file = Some(cstring(&exit)?);
        }
        iso.keep_fds.sort_unstable();
        let mut cmd = Command::new(inside(&command));
        cmd.args(args.iter().map(|a| inside(a)))
            .env_clear()
            .envs(&env)
            .stdin(Stdio::null())
            .stdout(out.stdio())
            .stderr(err.stdio())
            .process_group(0)
            .kill_on_drop(false);
        // SAFETY: `enter` only makes async-signal-safe calls on data prepared above.
        unsafe {
            cmd.pre_exec(move || iso.enter());
        }
        let spawned = cmd.spawn();
        // The agent's copies of the FIFOs' write ends: only the task may hold them, or
        // the logs never see EOF.
        drop(cmd);
        let mut child = match spawned {
            Ok(c) => c,
            Err(e) => {
                cg.destroy();
                if let Some(r) = &record {
                    state::remove(r);
                }
                if let Some(message) = isolate::describe(&e) {
                    return Err(ClientError::DriverStart {
                        message,
                        recoverable: false,
                    });
                }
                return Err(ClientError::DriverStart {
                    message: format!("failed to launch command with executor: {command}: {e}"),
                    recoverable: !matches!(
                        e.kind(),
                        std::io::ErrorKind::NotFound | std::io::ErrorKind::PermissionDenied
                    ),
                });
            }
        };
        let pid = child.id().unwrap_or(0);
        entry.ns = enter::Entry::ns_of(pid);
        if let (Some(path), Some(start_ticks)) = (&record, process::start_ticks(pid)) {
            let rec = state::ExecRecord {
                pid,
                start_ticks,
                hierarchy: cg.hierarchy().clone(),
                cgroup_dirs: cg.dirs().to_vec(),
                uid: user.uid,
                gid: user.gid,
                caps,
                env: env.clone(),
                stdout_fifo: out.path(),
                stderr_fifo: err.path(),
            };
            state::save(path, &rec);
        }
        let pumps = [out.pump(child.stdout.take()), err.pump(child.stderr.take())]
            .into_iter()
            .flatten()
            .collect();
        let exec_ctx = local_exec::ExecContext {
            // Only the hook's chdir("/") inside the task's root matters; the host's
            // task dir is where the spawn starts before entering.
            cwd: spec.task_dir.clone(),
            env,
            enter: None,
            task_stopped: CancellationToken::new(),
        };
        let teardown = handle::Teardown {
            cgroup: cg,
            pumps,
            record,
        };
        Ok(ExecHandle::watch(
            child,
            teardown,
            entry,
            exec_ctx,
            spec.mhz_per_core,
        ))
    }
}

/// `pid_mode` / `ipc_mode`: "private" (the default) or "host".
fn mode<'a>(config: &'a BTreeMap<String, serde_json::Value>, key: &str) -> Result<&'a str> {
    match config.get(key) {
        None | Some(serde_json::Value::Null) => Ok("private"),
        Some(serde_json::Value::String(s)) if s.is_empty() => Ok("private"),
        Some(serde_json::Value::String(s)) if s == "private" || s == "host" => Ok(s),
        Some(other) => Err(ClientError::TaskConfig(format!(
            "{key} must be \"private\" or \"host\", got {other}"
        ))),
    }
}

/// `cgroup.procs` paths of `cg` as C strings, for a `pre_exec` hook.
pub(crate) fn procs_cstrings(cg: &TaskCgroup) -> Result<Vec<std::ffi::CString>> {
    cg.procs_files().iter().map(|p| cstring(p)).collect()
}

fn cstring(p: &Path) -> Result<std::ffi::CString> {
    use std::os::unix::ffi::OsStrExt;
    std::ffi::CString::new(p.as_os_str().as_bytes())
        .map_err(|_| ClientError::TaskConfig(format!("path {} contains a NUL", p.display())))
}

/// Rewrites host paths of the task's dirs (interpolated into config and env) to
/// where the task sees them.
fn to_inside(s: &str, host_dirs: &[(String, &str)]) -> String {
    let mut out = s.to_string();
    for (host, inside) in host_dirs {
        out = out.replace(host.as_str(), inside);
    }
    out
}

/// cpu and memory limits from the task env, as Nomad: `memory` is the hard limit
/// unless `memory_max` is higher, in which case `memory` is the soft one.
pub fn limits(env: &BTreeMap<String, String>) -> Limits {
    let num = |k: &str| env.get(k).and_then(|v| v.parse::<u64>().ok()).unwrap_or(0);
    let (soft, max) = (num("NOMAD_MEMORY_LIMIT"), num("NOMAD_MEMORY_MAX_LIMIT"));
    let mib = 1024 * 1024;
    let (hard, low) = if max > soft { (max, soft) } else { (soft, 0) };
    Limits {
        cpu_shares: num("NOMAD_CPU_LIMIT"),
        memory_max: hard * mib,
        memory_low: low * mib,
    }
}

impl Driver for ExecDriver {
    fn name(&self) -> &'static str {
        "exec"
    }

    fn fingerprint(&self) -> DriverInfo {
        self.host.driver_info()
    }

    fn capabilities(&self) -> Capabilities {
        Capabilities {
            exec: true,
            fs_isolation: FsIsolation::Chroot,
            ..Capabilities::default()
        }
    }

    fn start(&self, mut spec: TaskSpec) -> BoxFuture<'_, Result<Box<dyn TaskHandle>>> {
        Box::pin(async move {
            // A recorded task still running is this one: its cgroup is taken, and a
            // second copy must not start.
            if let Some(h) = self.recover_task(&mut spec).await {
                return Ok(Box::new(h) as Box<dyn TaskHandle>);
            }
            let h = self.start_task(spec)?;
            Ok(Box::new(h) as Box<dyn TaskHandle>)
        })
    }

    fn recover<'a>(
        &'a self,
        spec: &'a mut TaskSpec,
    ) -> BoxFuture<'a, Result<Option<Box<dyn TaskHandle>>>> {
        Box::pin(async move {
            let h = self.recover_task(spec).await;
            Ok(h.map(|h| Box::new(h) as Box<dyn TaskHandle>))
        })
    }
}
