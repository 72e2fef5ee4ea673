//! `alloc exec` in a docker task: an engine exec instance in the task's container
//! (create, then start attached), its multiplexed output split into stdout and stderr
//! (or one terminal stream with a tty), stdin written to the hijacked connection, and
//! the exit code read from the finished exec instance.

use std::time::Duration;

use bollard::Docker;
use bollard::exec::{ResizeExecOptions, StartExecOptions, StartExecResults};
use bollard::models::ExecConfig;
use futures_util::StreamExt;
use tokio::io::AsyncWriteExt;

use crate::client::drivers::session::{
    self, ExecInput, ExecOutput, ExecProcess, ExecRequest, ExecSession,
};
use crate::client::error::{ClientError, Result};

/// Times to ask the engine whether a finished exec instance has its exit code yet.
const INSPECT_ATTEMPTS: u32 = 50;
const INSPECT_PAUSE: Duration = Duration::from_millis(100);

/// Starts `req.command` in container `id`.
pub async fn start(docker: &Docker, id: &str, req: &ExecRequest) -> Result<ExecSession> {
    if req.command.is_empty() {
        return Err(ClientError::Exec("command must not be empty".into()));
    }
    let config = ExecConfig {
        attach_stdin: Some(true),
        attach_stdout: Some(true),
        attach_stderr: Some(true),
        tty: Some(req.tty),
        cmd: Some(req.command.clone()),
        // The terminal's size from its first moment (a resize after start races the
        // command); older engines ignore it and get the resize below.
        console_size: req
            .tty_size
            .filter(|_| req.tty)
            .map(|s| vec![usize::from(s.height), usize::from(s.width)]),
        ..Default::default()
    };
    let created = docker
        .create_exec(id, config)
        .await
        .map_err(|e| ClientError::Exec(format!("failed to create exec: {e}")))?;
    let options = StartExecOptions {
        detach: false,
        tty: req.tty,
        output_capacity: None,
    };
    let started = docker
        .start_exec(&created.id, Some(options))
        .await
        .map_err(|e| ClientError::Exec(format!("failed to start exec: {e}")))?;
    let StartExecResults::Attached { output, input } = started else {
        return Err(ClientError::Exec("exec started detached".into()));
    };
    if req.tty
        && let Some(size) = req.tty_size
    {
        resize(docker, &created.id, size).await;
    }
    let (client, process) = session::channel();
    tokio::spawn(run(
        docker.clone(),
        created.id,
        req.tty,
        output,
        input,
        process,
    ));
    Ok(client)
}

async fn resize(docker: &Docker, exec_id: &str, size: session::TtySize) {
    let options = ResizeExecOptions {
        height: size.height,
        width: size.width,
    };
    if let Err(e) = docker.resize_exec(exec_id, options).await {
        tracing::debug!(exec = exec_id, error = %e, "exec resize failed");
    }
}

type Output = std::pin::Pin<
    Box<
        dyn futures_util::Stream<
                Item = std::result::Result<bollard::container::LogOutput, bollard::errors::Error>,
            > + Send,
    >,
>;
type Input = std::pin::Pin<Box<dyn tokio::io::AsyncWrite + Send>>;

async fn run(
    docker: Docker,
    exec_id: String,
    tty: bool,
    mut output: Output,
    input: Input,
    mut p: ExecProcess,
) {
    let mut stdin = Some(input);
    let mut input_open = true;
    loop {
        tokio::select! {
            item = output.next() => match item {
                Some(Ok(log)) => {
                    use bollard::container::LogOutput;
                    let msg = match log {
                        LogOutput::StdErr { message } => ExecOutput::Stderr(message.to_vec()),
                        LogOutput::StdOut { message } | LogOutput::Console { message } => {
                            ExecOutput::Stdout(message.to_vec())
                        }
                        LogOutput::StdIn { .. } => continue,
                    };
                    if p.output.send(msg).await.is_err() {
                        break;
                    }
                }
                // The stream ends when the command has exited.
                Some(Err(_)) | None => break,
            },
            _ = p.cancel.cancelled() => {
                kill(&docker, &exec_id).await;
                return;
            }
            msg = p.input.recv(), if input_open => match msg {
                Some(ExecInput::Stdin(data)) => {
                    if let Some(w) = stdin.as_mut()
                        && w.write_all(&data).await.is_err()
                    {
                        stdin = None;
                    }
                }
                // A terminal's end of input is ^D (the engine would end the whole
                // session on a half-close); a pipe's is the half-close.
                Some(ExecInput::CloseStdin) if tty => {
                    if let Some(w) = stdin.as_mut() {
                        let _ = w.write_all(&[4]).await;
                    }
                }
                Some(ExecInput::CloseStdin) => {
                    if let Some(mut w) = stdin.take() {
                        let _ = w.shutdown().await;
                    }
                }
                Some(ExecInput::Resize(size)) => resize(&docker, &exec_id, size).await,
                None => input_open = false,
            },
        }
    }
    let code = exit_code(&docker, &exec_id).await;
    let _ = p.output.send(ExecOutput::Exited(code)).await;
}

/// The engine has no call to kill an exec instance; its process has a host PID, which
/// a client on the engine's host can kill (best effort: a remote engine's is out of reach).
async fn kill(docker: &Docker, exec_id: &str) {
    if let Ok(info) = docker.inspect_exec(exec_id).await
        && info.running == Some(true)
        && let Some(pid) = info.pid.filter(|p| *p > 0)
        && let Ok(pid) = i32::try_from(pid)
    {
        // SAFETY: kill has no memory preconditions.
        unsafe {
            libc::kill(pid, libc::SIGKILL);
        }
    }
}

/// The exit code of a finished exec instance (-1 if the engine never says).
async fn exit_code(docker: &Docker, exec_id: &str) -> i32 {
    for _ in 0..INSPECT_ATTEMPTS {
        match docker.inspect_exec(exec_id).await {
            Ok(info) if info.running != Some(true) => {
                return info
                    .exit_code
                    .and_then(|c| i32::try_from(c).ok())
                    .unwrap_or(-1);
            }
            Ok(_) => {}
            Err(e) => {
                tracing::debug!(exec = exec_id, error = %e, "exec inspect failed");
                return -1;
            }
        }
        tokio::time::sleep(INSPECT_PAUSE).await;
    }
    -1
}
