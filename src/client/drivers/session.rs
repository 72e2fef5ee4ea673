//! An `alloc exec` session: a command a driver runs inside a task's context, reached
//! through two channels. The caller (the HTTP API's websocket) holds the
//! [`ExecSession`]: it sends [`ExecInput`] and receives [`ExecOutput`], always ending
//! with exactly one `Exited`. The driver holds the [`ExecProcess`] end. Dropping the
//! session before the command exited cancels it: the driver kills the command.

use serde::{Deserialize, Serialize};
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

/// Messages buffered each way before the sender waits.
const BUFFER: usize = 64;

/// Terminal size, in characters.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TtySize {
    /// Rows.
    pub height: u16,
    /// Columns.
    pub width: u16,
}

/// What to run.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ExecRequest {
    /// Program and arguments (at least the program).
    pub command: Vec<String>,
    /// Run it on a pseudo-terminal (stderr then arrives as stdout).
    pub tty: bool,
    /// Initial terminal size (tty only).
    pub tty_size: Option<TtySize>,
}

/// From the caller to the command.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ExecInput {
    /// Bytes for its stdin.
    Stdin(Vec<u8>),
    /// End of its stdin.
    CloseStdin,
    /// The terminal was resized.
    Resize(TtySize),
}

/// From the command to the caller.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ExecOutput {
    /// Bytes it wrote to stdout (or the terminal).
    Stdout(Vec<u8>),
    /// Bytes it wrote to stderr.
    Stderr(Vec<u8>),
    /// It ended with this exit code (128 + signal when killed by one); the last message.
    Exited(i32),
}

/// The caller's end of a running command.
#[derive(Debug)]
pub struct ExecSession {
    input: mpsc::Sender<ExecInput>,
    output: mpsc::Receiver<ExecOutput>,
    cancel: CancellationToken,
}

/// The driver's end of a running command.
#[derive(Debug)]
pub struct ExecProcess {
    /// Input from the caller; `None` once the caller is gone.
    pub input: mpsc::Receiver<ExecInput>,
    /// Output to the caller (ignore send errors: the caller may be gone).
    pub output: mpsc::Sender<ExecOutput>,
    /// Fires when the caller dropped the session: kill the command.
    pub cancel: CancellationToken,
}

/// A connected pair of ends.
pub fn channel() -> (ExecSession, ExecProcess) {
    channel_within(&CancellationToken::new())
}

/// A connected pair whose command is also cancelled when `task` is (the task it runs
/// in stopped: its exec sessions end with it).
pub fn channel_within(task: &CancellationToken) -> (ExecSession, ExecProcess) {
    let (in_tx, in_rx) = mpsc::channel(BUFFER);
    let (out_tx, out_rx) = mpsc::channel(BUFFER);
    let cancel = task.child_token();
    (
        ExecSession {
            input: in_tx,
            output: out_rx,
            cancel: cancel.clone(),
        },
        ExecProcess {
            input: in_rx,
            output: out_tx,
            cancel,
        },
    )
}

impl ExecSession {
    /// Sends input; `false` when the command no longer reads any.
    pub async fn send(&self, input: ExecInput) -> bool {
        self.input.send(input).await.is_ok()
    }

    /// The next output; `None` after `Exited` (or if the driver vanished).
    pub async fn recv(&mut self) -> Option<ExecOutput> {
        self.output.recv().await
    }

    /// Collects everything until the command exits, after sending `stdin` and closing
    /// it: (stdout, stderr, exit code). For tests and one-shot callers.
    pub async fn run_to_end(mut self, stdin: &[u8]) -> (Vec<u8>, Vec<u8>, Option<i32>) {
        if !stdin.is_empty() {
            self.send(ExecInput::Stdin(stdin.to_vec())).await;
        }
        self.send(ExecInput::CloseStdin).await;
        let (mut out, mut err) = (Vec::new(), Vec::new());
        while let Some(o) = self.recv().await {
            match o {
                ExecOutput::Stdout(b) => out.extend(b),
                ExecOutput::Stderr(b) => err.extend(b),
                ExecOutput::Exited(code) => return (out, err, Some(code)),
            }
        }
        (out, err, None)
    }
}

impl Drop for ExecSession {
    fn drop(&mut self) {
        // Harmless after the command exited; kills it if it still runs.
        self.cancel.cancel();
    }
}

/// The shell-style exit code of a process status: its code, or 128 + the signal.
pub fn exit_code(status: &std::process::ExitStatus) -> i32 {
    use std::os::unix::process::ExitStatusExt;
    status
        .code()
        .or_else(|| status.signal().map(|s| 128 + s))
        .unwrap_or(-1)
}
