//! Starting a `raw_exec` task under the executor (see `executor`), which the driver does when
//! the client keeps a state dir: the task's output goes through FIFOs beside its record and its
//! exit status is written there too, so a restarted client picks up both.

use std::io::Read;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::Arc;

use tokio::process::{Child, ChildStdout, Command};

use super::executor::{ExecutorConfig, SUBCOMMAND, StartStatus};
use super::state;
use crate::client::drivers::TaskSpec;
use crate::client::drivers::exec::{LogStream, TaskCgroup, fifo_path};
use crate::client::error::{ClientError, Result};

/// A task started under the executor: the executor's child handle (the group's leader), the
/// task's own PID and the log pumps.
pub(super) struct Supervised {
    pub child: Child,
    pub task_pid: u32,
    pub pumps: Vec<tokio::task::JoinHandle<()>>,
    pub fifos: [Option<PathBuf>; 2],
}

/// Starts `program` with `args` for `spec` under `executor`, recorded at `record`.
pub(super) async fn spawn(
    spec: &mut TaskSpec,
    program: String,
    args: Vec<String>,
    cgroup: Option<&Arc<TaskCgroup>>,
    record: &Path,
    executor: &Path,
) -> Result<Supervised> {
    let start_error = |message: String, recoverable: bool| ClientError::DriverStart {
        message: format!("failed to launch command with executor: {program}: {message}"),
        recoverable,
    };
    let mut out = LogStream::new(spec.stdout.take(), Some(fifo_path(record, "stdout")));
    let mut err = LogStream::new(spec.stderr.take(), Some(fifo_path(record, "stderr")));
    let (status_r, status_w) = status_pipe().map_err(|e| start_error(e.to_string(), true))?;
    let exit_file = crate::client::drivers::process::exit_path(record);
    let _ = std::fs::remove_file(&exit_file);
    let keep_fds: Vec<i32> = [out.keep_fd(), err.keep_fd()]
        .into_iter()
        .filter(|fd| *fd >= 0)
        .collect();
    let config = ExecutorConfig {
        command: program.clone(),
        args,
        exit_file,
        status_fd: status_w.as_raw_fd(),
        keep_fds: keep_fds.clone(),
        cgroup_procs: cgroup.map(|cg| cg.procs_files()).unwrap_or_default(),
    };
    let config_path = state::executor_config_path(record);
    write_config(&config_path, &config).map_err(|e| start_error(e.to_string(), true))?;

    let mut cmd = Command::new(executor);
    cmd.arg(SUBCOMMAND)
        .arg(&config_path)
        .envs(&spec.env)
        .current_dir(&spec.task_dir)
        .stdin(Stdio::null())
        .stdout(out.stdio())
        .stderr(err.stdio())
        .process_group(0)
        .kill_on_drop(false);
    let inherit: Vec<i32> = keep_fds
        .iter()
        .copied()
        .chain([status_w.as_raw_fd()])
        .collect();
    // SAFETY: fcntl is async-signal-safe; the fds stay open in the agent until after the spawn.
    unsafe {
        cmd.pre_exec(move || {
            for &fd in &inherit {
                if libc::fcntl(fd, libc::F_SETFD, 0) < 0 {
                    return Err(std::io::Error::last_os_error());
                }
            }
            Ok(())
        });
    }
    let spawned = cmd.spawn();
    // The agent's copies of the FIFOs' write ends and of the status pipe's: only the executor
    // and the task may hold them, or neither the logs nor the status ever see EOF.
    drop(cmd);
    drop(status_w);
    let mut child = match spawned {
        Ok(c) => c,
        Err(e) => {
            let _ = std::fs::remove_file(&config_path);
            return Err(start_error(format!("cannot start the executor: {e}"), true));
        }
    };
    let said = tokio::task::spawn_blocking(move || {
        let mut bytes = Vec::new();
        let mut f = std::fs::File::from(status_r);
        f.read_to_end(&mut bytes).map(|_| bytes)
    })
    .await;
    let status = match said {
        Ok(Ok(bytes)) => serde_json::from_slice::<StartStatus>(&bytes).ok(),
        _ => None,
    };
    match status {
        Some(StartStatus::Started { pid }) => {
            let fifos = [out.path(), err.path()];
            let pumps = [out.pump(None::<ChildStdout>), err.pump(None::<ChildStdout>)]
                .into_iter()
                .flatten()
                .collect();
            Ok(Supervised {
                child,
                task_pid: pid,
                pumps,
                fifos,
            })
        }
        Some(StartStatus::Failed { errno, message }) => {
            let _ = child.wait().await;
            Err(start_error(
                message,
                errno != libc::ENOENT && errno != libc::EACCES,
            ))
        }
        None => {
            let _ = child.kill().await;
            let _ = std::fs::remove_file(&config_path);
            Err(start_error(
                "the executor exited before starting the task".into(),
                true,
            ))
        }
    }
}

/// The status pipe: read end for the agent, write end for the executor (both close-on-exec
/// until the spawn hands the write end over).
fn status_pipe() -> std::io::Result<(OwnedFd, OwnedFd)> {
    let mut fds = [0; 2];
    // SAFETY: pipe2 writes two descriptors into `fds`.
    if unsafe { libc::pipe2(fds.as_mut_ptr(), libc::O_CLOEXEC) } < 0 {
        return Err(std::io::Error::last_os_error());
    }
    // SAFETY: both are fresh descriptors nobody else owns.
    Ok(unsafe { (OwnedFd::from_raw_fd(fds[0]), OwnedFd::from_raw_fd(fds[1])) })
}

/// The config, readable by root only (it holds the task's command line).
fn write_config(path: &Path, config: &ExecutorConfig) -> std::io::Result<()> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    let _ = std::fs::remove_file(path);
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)?;
    f.write_all(&serde_json::to_vec(config).map_err(std::io::Error::other)?)
}
