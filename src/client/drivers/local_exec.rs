//! `alloc exec` for drivers whose tasks are host processes (raw_exec): runs the command
//! in the task's directory with the task's environment, in its own process group,
//! attached through pipes or, with a tty, a pseudo-terminal whose master end this
//! module pumps. The session's `cancel` kills the whole group.

use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::path::Path;
use std::process::Stdio;
use std::sync::Arc;
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncReadExt, AsyncWriteExt};
use tokio::process::{Child, Command};
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

use super::session::{self, ExecInput, ExecOutput, ExecProcess, ExecRequest, ExecSession, TtySize};
use crate::client::error::{ClientError, Result};

/// How long output may keep draining after the command exited; background children
/// that hold the pipes open longer are killed.
const DRAIN: Duration = Duration::from_millis(500);

/// Code run in the forked child just before the command is executed, to enter the
/// task's context (namespaces, a chroot, a user). It runs after the working directory
/// was set (a hook that changes the root must set it again) and must only make
/// async-signal-safe calls.
pub type EnterHook = Arc<dyn Fn() -> std::io::Result<()> + Send + Sync>;

/// Where and how a command runs.
#[derive(Clone, Default)]
pub struct ExecContext {
    /// Working directory.
    pub cwd: std::path::PathBuf,
    /// The whole environment.
    pub env: BTreeMap<String, String>,
    /// Entered in the child before the command runs.
    pub enter: Option<EnterHook>,
    /// Cancelled when the task stops: its sessions are killed with it.
    pub task_stopped: CancellationToken,
}

/// Starts `req.command` in `cwd` with exactly `env`.
pub fn spawn(req: &ExecRequest, cwd: &Path, env: &BTreeMap<String, String>) -> Result<ExecSession> {
    spawn_in(
        req,
        &ExecContext {
            cwd: cwd.to_path_buf(),
            env: env.clone(),
            ..Default::default()
        },
    )
}

/// Starts `req.command` in `ctx`.
pub fn spawn_in(req: &ExecRequest, ctx: &ExecContext) -> Result<ExecSession> {
    let (cwd, env, enter) = (&ctx.cwd, &ctx.env, ctx.enter.clone());
    let Some((program, args)) = req.command.split_first() else {
        return Err(ClientError::Exec("command must not be empty".into()));
    };
    let mut cmd = Command::new(program);
    cmd.args(args)
        .env_clear()
        .envs(env)
        .current_dir(cwd)
        .kill_on_drop(true);
    let (client, process) = session::channel_within(&ctx.task_stopped);
    if req.tty {
        let pty = Pty::open(req.tty_size.unwrap_or(TtySize {
            height: 24,
            width: 80,
        }))?;
        let slave = |pty: &Pty| -> Result<Stdio> {
            Ok(Stdio::from(pty.slave.try_clone().map_err(exec_io)?))
        };
        cmd.stdin(slave(&pty)?)
            .stdout(slave(&pty)?)
            .stderr(slave(&pty)?);
        // SAFETY: between fork and exec only async-signal-safe calls are made
        // (setsid, ioctl); they touch no memory of the parent.
        unsafe {
            cmd.pre_exec(|| {
                if libc::setsid() < 0 || libc::ioctl(0, libc::TIOCSCTTY, 0) < 0 {
                    return Err(std::io::Error::last_os_error());
                }
                Ok(())
            });
        }
        add_hook(&mut cmd, enter);
        let child = cmd.spawn().map_err(|e| spawn_error(program, e))?;
        // Our copies of the slave end must go, or the master never sees the hang-up.
        drop(cmd);
        let Pty { master, slave } = pty;
        drop(slave);
        tokio::spawn(run_tty(child, master, process));
    } else {
        cmd.stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .process_group(0);
        add_hook(&mut cmd, enter);
        let child = cmd.spawn().map_err(|e| spawn_error(program, e))?;
        tokio::spawn(run_piped(child, process));
    }
    Ok(client)
}

fn add_hook(cmd: &mut Command, enter: Option<EnterHook>) {
    if let Some(hook) = enter {
        // SAFETY: the hook's contract (see `EnterHook`) is async-signal safety.
        unsafe {
            cmd.pre_exec(move || hook());
        }
    }
}

fn spawn_error(program: &str, e: std::io::Error) -> ClientError {
    ClientError::Exec(format!("failed to exec {program:?}: {e}"))
}

fn exec_io(e: std::io::Error) -> ClientError {
    ClientError::Exec(format!("failed to set up the terminal: {e}"))
}

/// Sends everything `reader` yields to `out` as `wrap`ped chunks.
async fn pump<R: AsyncRead + Unpin>(
    mut reader: R,
    out: mpsc::Sender<ExecOutput>,
    wrap: fn(Vec<u8>) -> ExecOutput,
) {
    let mut buf = vec![0u8; 8192];
    loop {
        match reader.read(&mut buf).await {
            Ok(0) | Err(_) => return,
            Ok(n) => {
                if out.send(wrap(buf[..n].to_vec())).await.is_err() {
                    return;
                }
            }
        }
    }
}

fn kill_group(child: &Child) {
    kill_pgid(child.id());
}

fn kill_pgid(pgid: Option<u32>) {
    if let Some(pid) = pgid.and_then(|p| i32::try_from(p).ok()) {
        // SAFETY: kill has no memory preconditions; the command leads its own group.
        unsafe {
            libc::kill(-pid, libc::SIGKILL);
        }
    }
}

/// Waits for the output pumps; if background processes the command left behind keep
/// its output open past `DRAIN`, the session is over for them too.
async fn drain(pumps: Vec<tokio::task::JoinHandle<()>>, pgid: Option<u32>) {
    let deadline = tokio::time::Instant::now() + DRAIN;
    let mut lingering = false;
    for handle in pumps {
        lingering |= tokio::time::timeout_at(deadline, handle).await.is_err();
    }
    if lingering {
        kill_pgid(pgid);
    }
}

async fn run_piped(mut child: Child, mut p: ExecProcess) {
    let pgid = child.id();
    let mut stdin = child.stdin.take();
    let pumps = [
        child
            .stdout
            .take()
            .map(|r| tokio::spawn(pump(r, p.output.clone(), ExecOutput::Stdout))),
        child
            .stderr
            .take()
            .map(|r| tokio::spawn(pump(r, p.output.clone(), ExecOutput::Stderr))),
    ];
    let mut input_open = true;
    let status = loop {
        tokio::select! {
            status = child.wait() => break status,
            _ = p.cancel.cancelled() => {
                kill_group(&child);
                break child.wait().await;
            }
            msg = p.input.recv(), if input_open => match msg {
                Some(ExecInput::Stdin(data)) => {
                    if let Some(w) = stdin.as_mut()
                        && w.write_all(&data).await.is_err()
                    {
                        stdin = None;
                    }
                }
                Some(ExecInput::CloseStdin) => stdin = None,
                // No terminal to resize.
                Some(ExecInput::Resize(_)) => {}
                None => input_open = false,
            },
        }
    };
    drain(pumps.into_iter().flatten().collect(), pgid).await;
    let code = status.map_or(-1, |s| session::exit_code(&s));
    let _ = p.output.send(ExecOutput::Exited(code)).await;
}

async fn run_tty(mut child: Child, master: OwnedFd, mut p: ExecProcess) {
    let pgid = child.id();
    // Blocking reads and writes of the master end run on their own threads.
    let reader = master.try_clone().map(std::fs::File::from);
    let out = p.output.clone();
    let read_pump = reader.ok().map(|mut file| {
        tokio::task::spawn_blocking(move || {
            let mut buf = vec![0u8; 8192];
            // EIO once every slave end is closed: the command is gone.
            while let Ok(n) = file.read(&mut buf) {
                if n == 0
                    || out
                        .blocking_send(ExecOutput::Stdout(buf[..n].to_vec()))
                        .is_err()
                {
                    return;
                }
            }
        })
    });
    let mut writer = master.try_clone().ok().map(std::fs::File::from);
    let mut input_open = true;
    let status = loop {
        tokio::select! {
            status = child.wait() => break status,
            _ = p.cancel.cancelled() => {
                kill_group(&child);
                break child.wait().await;
            }
            msg = p.input.recv(), if input_open => match msg {
                Some(ExecInput::Stdin(data)) => {
                    if let Some(mut w) = writer.take() {
                        writer = tokio::task::spawn_blocking(move || {
                            w.write_all(&data).ok().map(|_| w)
                        })
                        .await
                        .ok()
                        .flatten();
                    }
                }
                // A terminal has no end of input but ^D, which the line discipline turns
                // into end-of-file for the reader.
                Some(ExecInput::CloseStdin) => {
                    if let Some(w) = writer.as_mut() {
                        let _ = w.write_all(&[4]);
                    }
                }
                Some(ExecInput::Resize(size)) => set_size(master.as_raw_fd(), size),
                None => input_open = false,
            },
        }
    };
    drain(read_pump.into_iter().collect(), pgid).await;
    let code = status.map_or(-1, |s| session::exit_code(&s));
    let _ = p.output.send(ExecOutput::Exited(code)).await;
}

/// A pseudo-terminal pair.
struct Pty {
    master: OwnedFd,
    slave: OwnedFd,
}

impl Pty {
    fn open(size: TtySize) -> Result<Self> {
        let (mut master, mut slave) = (-1, -1);
        let ws = winsize(size);
        // SAFETY: openpty writes two fds into the provided ints; name and termios may
        // be null; the winsize pointer is valid for the call.
        let rc = unsafe {
            libc::openpty(
                &mut master,
                &mut slave,
                std::ptr::null_mut(),
                std::ptr::null(),
                &ws,
            )
        };
        if rc < 0 {
            return Err(exec_io(std::io::Error::last_os_error()));
        }
        // SAFETY: openpty succeeded, so both fds are open and owned by nobody else.
        let (master, slave) =
            unsafe { (OwnedFd::from_raw_fd(master), OwnedFd::from_raw_fd(slave)) };
        Ok(Self { master, slave })
    }
}

fn winsize(size: TtySize) -> libc::winsize {
    libc::winsize {
        ws_row: size.height,
        ws_col: size.width,
        ws_xpixel: 0,
        ws_ypixel: 0,
    }
}

fn set_size(fd: i32, size: TtySize) {
    let ws = winsize(size);
    // SAFETY: TIOCSWINSZ reads one winsize from the valid pointer.
    unsafe {
        libc::ioctl(fd, libc::TIOCSWINSZ, &ws);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn req(cmd: &[&str], tty: bool) -> ExecRequest {
        ExecRequest {
            command: cmd.iter().map(|s| s.to_string()).collect(),
            tty,
            tty_size: None,
        }
    }

    #[tokio::test]
    async fn runs_in_task_dir_with_task_env_and_reports_exit_code() {
        let dir = tempfile::tempdir().unwrap();
        let env = BTreeMap::from([
            ("GREETING".to_string(), "hi".to_string()),
            ("PATH".to_string(), "/usr/bin:/bin".to_string()),
        ]);
        let s = spawn(
            &req(
                &[
                    "/bin/sh",
                    "-c",
                    "echo $GREETING; pwd; echo oops >&2; exit 3",
                ],
                false,
            ),
            dir.path(),
            &env,
        )
        .unwrap();
        let (out, err, code) = s.run_to_end(b"").await;
        let cwd = dir.path().canonicalize().unwrap();
        assert_eq!(
            String::from_utf8_lossy(&out),
            format!("hi\n{}\n", cwd.display())
        );
        assert_eq!(err, b"oops\n");
        assert_eq!(code, Some(3));
    }

    #[tokio::test]
    async fn forwards_stdin_until_closed() {
        let dir = tempfile::tempdir().unwrap();
        let s = spawn(&req(&["/bin/cat"], false), dir.path(), &BTreeMap::new()).unwrap();
        let (out, _, code) = s.run_to_end(b"line one\nline two\n").await;
        assert_eq!(out, b"line one\nline two\n");
        assert_eq!(code, Some(0));
    }

    #[tokio::test]
    async fn tty_session_is_a_terminal() {
        let dir = tempfile::tempdir().unwrap();
        let s = spawn(
            &req(
                &[
                    "/bin/sh",
                    "-c",
                    "test -t 0 && test -t 1 && echo on-a-tty; exit 5",
                ],
                true,
            ),
            dir.path(),
            &BTreeMap::new(),
        )
        .unwrap();
        let (out, _, code) = s.run_to_end(b"").await;
        assert!(
            String::from_utf8_lossy(&out).contains("on-a-tty"),
            "{out:?}"
        );
        assert_eq!(code, Some(5));
    }

    #[tokio::test]
    async fn dropping_the_session_kills_the_command() {
        let dir = tempfile::tempdir().unwrap();
        let marker = dir.path().join("pid");
        let script = format!("echo $$ > {}; exec sleep 60", marker.display());
        let s = spawn(
            &req(&["/bin/sh", "-c", &script], false),
            dir.path(),
            &BTreeMap::new(),
        )
        .unwrap();
        let pid = tokio::time::timeout(Duration::from_secs(30), async {
            loop {
                if let Ok(t) = std::fs::read_to_string(&marker)
                    && let Ok(pid) = t.trim().parse::<i32>()
                {
                    return pid;
                }
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
        })
        .await
        .unwrap();
        drop(s);
        tokio::time::timeout(Duration::from_secs(30), async {
            // SAFETY: signal 0 only checks that the process exists.
            while unsafe { libc::kill(pid, 0) } == 0 {
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
        })
        .await
        .expect("the command outlived its session");
    }

    #[tokio::test]
    async fn the_enter_hook_runs_in_the_child_before_the_command() {
        let dir = tempfile::tempdir().unwrap();
        // The hook moves the child elsewhere; the command sees the result.
        let target = std::ffi::CString::new("/").unwrap();
        let hook: EnterHook = Arc::new(move || {
            // SAFETY: chdir is async-signal safe; the path is NUL-terminated.
            if unsafe { libc::chdir(target.as_ptr()) } != 0 {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        });
        let ctx = |hook: EnterHook| ExecContext {
            cwd: dir.path().to_path_buf(),
            enter: Some(hook),
            ..Default::default()
        };
        let s = spawn_in(&req(&["/bin/pwd"], false), &ctx(hook)).unwrap();
        let (out, _, code) = s.run_to_end(b"").await;
        assert_eq!((out.as_slice(), code), (&b"/\n"[..], Some(0)));
        let failing: EnterHook = Arc::new(|| Err(std::io::Error::from_raw_os_error(libc::EPERM)));
        assert!(matches!(
            spawn_in(&req(&["/bin/true"], false), &ctx(failing)),
            Err(ClientError::Exec(_))
        ));
    }

    #[tokio::test]
    async fn background_leftovers_do_not_hold_the_session() {
        let dir = tempfile::tempdir().unwrap();
        let marker = dir.path().join("bg");
        let script = format!("sleep 60 & echo $! > {}; echo fg", marker.display());
        let s = spawn(
            &req(&["/bin/sh", "-c", &script], false),
            dir.path(),
            &BTreeMap::new(),
        )
        .unwrap();
        let (out, _, code) = tokio::time::timeout(Duration::from_secs(30), s.run_to_end(b""))
            .await
            .expect("the session ends although a background child holds stdout");
        assert_eq!((out.as_slice(), code), (&b"fg\n"[..], Some(0)));
        let pid: i32 = std::fs::read_to_string(&marker)
            .unwrap()
            .trim()
            .parse()
            .unwrap();
        // Its parent is gone, so whoever adopts it reaps it: a zombie counts as dead.
        let alive = |pid: i32| {
            std::fs::read_to_string(format!("/proc/{pid}/stat"))
                .ok()
                .and_then(|st| st.rsplit(')').next().map(|r| r.trim_start().to_string()))
                .is_some_and(|rest| !rest.starts_with('Z'))
        };
        tokio::time::timeout(Duration::from_secs(30), async {
            while alive(pid) {
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
        })
        .await
        .expect("the leftover background child was killed");
    }

    #[tokio::test]
    async fn a_stopped_task_ends_its_sessions() {
        let dir = tempfile::tempdir().unwrap();
        let stopped = CancellationToken::new();
        let ctx = ExecContext {
            cwd: dir.path().to_path_buf(),
            task_stopped: stopped.clone(),
            ..Default::default()
        };
        let s = spawn_in(&req(&["/bin/sleep", "60"], false), &ctx).unwrap();
        stopped.cancel();
        let (_, _, code) = tokio::time::timeout(Duration::from_secs(30), s.run_to_end(b""))
            .await
            .expect("the session outlived its task");
        assert_eq!(code, Some(128 + libc::SIGKILL));
    }

    #[tokio::test]
    async fn empty_or_missing_command_is_an_error() {
        let dir = tempfile::tempdir().unwrap();
        assert!(matches!(
            spawn(&req(&[], false), dir.path(), &BTreeMap::new()),
            Err(ClientError::Exec(_))
        ));
        assert!(matches!(
            spawn(
                &req(&["/no/such/program"], false),
                dir.path(),
                &BTreeMap::new()
            ),
            Err(ClientError::Exec(_))
        ));
    }
}
