//! `nomad alloc exec [-i] [-t] [-task T] <alloc> <command> [args...]`: run a command
//! inside a running task over the agent's exec websocket, forwarding stdin (`-i`,
//! default on) and printing its output; exits with the command's exit code. With `-t`
//! (default: when stdin is a terminal) the command gets a terminal sized like the
//! local one (resizes follow), and the local one is put in raw mode while it runs.

use std::io::{IsTerminal, Read, Write};
use std::process::ExitCode;
use std::sync::mpsc;

use clap::{ArgAction, Args};

use super::{lookup_alloc, single_task};
use crate::api_client::exec::Polled;
use crate::api_client::exec_frames::{ExecStreamingInput, ExecStreamingIoOperation, TerminalSize};
use crate::cli::{CliError, GlobalOpts};

#[derive(Debug, Args)]
pub struct ExecArgs {
    /// Pass stdin to the command (default true; `-i=false` to disable).
    #[arg(
        short = 'i',
        action = ArgAction::Set,
        num_args = 0..=1,
        require_equals = true,
        default_value_t = true,
        default_missing_value = "true"
    )]
    pub stdin: bool,
    /// Allocate a pseudo-terminal (default: when stdin is a terminal and -i is set).
    #[arg(
        short = 't',
        action = ArgAction::Set,
        num_args = 0..=1,
        require_equals = true,
        default_missing_value = "true"
    )]
    pub tty: Option<bool>,
    /// The task to run the command in (required when the allocation has several).
    #[arg(long)]
    pub task: Option<String>,
    /// Show full-length IDs.
    #[arg(long)]
    pub verbose: bool,
    /// The allocation ID or a prefix of it.
    pub alloc: String,
    /// The command and its arguments.
    #[arg(required = true, trailing_var_arg = true, allow_hyphen_values = true)]
    pub command: Vec<String>,
}

/// Puts the local terminal in raw mode; restores it when dropped.
struct RawMode {
    saved: libc::termios,
}

impl RawMode {
    fn enter() -> Option<Self> {
        // SAFETY: termios is plain old data filled by tcgetattr on fd 0.
        let mut saved: libc::termios = unsafe { std::mem::zeroed() };
        if unsafe { libc::tcgetattr(0, &mut saved) } != 0 {
            return None;
        }
        let mut raw = saved;
        // SAFETY: cfmakeraw edits the struct in place; tcsetattr reads it.
        unsafe {
            libc::cfmakeraw(&mut raw);
            libc::tcsetattr(0, libc::TCSANOW, &raw);
        }
        Some(Self { saved })
    }
}

impl Drop for RawMode {
    fn drop(&mut self) {
        // SAFETY: restores the attributes read in `enter`.
        unsafe {
            libc::tcsetattr(0, libc::TCSANOW, &self.saved);
        }
    }
}

fn terminal_size() -> Option<TerminalSize> {
    // SAFETY: TIOCGWINSZ fills one winsize through the valid pointer.
    let mut ws: libc::winsize = unsafe { std::mem::zeroed() };
    if unsafe { libc::ioctl(1, libc::TIOCGWINSZ, &mut ws) } != 0 || ws.ws_row == 0 {
        return None;
    }
    Some(TerminalSize {
        height: ws.ws_row,
        width: ws.ws_col,
    })
}

/// Reads stdin on its own thread; `None` marks its end.
fn stdin_reader() -> mpsc::Receiver<Option<Vec<u8>>> {
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let mut stdin = std::io::stdin().lock();
        let mut buf = [0u8; 4096];
        loop {
            match stdin.read(&mut buf) {
                Ok(0) | Err(_) => {
                    let _ = tx.send(None);
                    return;
                }
                Ok(n) => {
                    if tx.send(Some(buf[..n].to_vec())).is_err() {
                        return;
                    }
                }
            }
        }
    });
    rx
}

/// The process exit code for a remote one (codes outside 0..=255 become 1).
pub fn local_exit_code(code: i32) -> u8 {
    u8::try_from(code).unwrap_or(1)
}

pub fn run(args: &ExecArgs, global: &GlobalOpts) -> Result<ExitCode, CliError> {
    let client = global.client();
    let alloc = lookup_alloc(&client, &args.alloc, args.verbose)?;
    let task = single_task(&alloc, args.task.as_deref())?;
    let tty = args
        .tty
        .unwrap_or(args.stdin && std::io::stdin().is_terminal());
    let mut socket = client
        .exec(&alloc.id, &task, &args.command, tty)
        .map_err(|e| CliError::Message(format!("failed to exec into task: {e}")))?;
    let fail = |e: String| CliError::Message(e);
    let mut size = None;
    let _raw = (tty && std::io::stdin().is_terminal())
        .then(RawMode::enter)
        .flatten();
    let input = if args.stdin {
        Some(stdin_reader())
    } else {
        socket
            .send(&ExecStreamingInput {
                stdin: Some(ExecStreamingIoOperation::close()),
                ..Default::default()
            })
            .map_err(fail)?;
        None
    };
    let mut stdin_open = input.is_some();
    let (mut out, mut err) = (std::io::stdout(), std::io::stderr());
    loop {
        // The terminal may have been resized since the last poll (no SIGWINCH handler
        // needed: a poll lasts at most a few tens of milliseconds).
        if tty && let Some(now) = terminal_size().filter(|s| Some(*s) != size) {
            size = Some(now);
            socket
                .send(&ExecStreamingInput {
                    tty_size: Some(now),
                    ..Default::default()
                })
                .map_err(fail)?;
        }
        while stdin_open && let Some(rx) = &input {
            let op = match rx.try_recv() {
                Ok(Some(data)) => ExecStreamingIoOperation::data(&data),
                Ok(None) | Err(mpsc::TryRecvError::Disconnected) => {
                    stdin_open = false;
                    ExecStreamingIoOperation::close()
                }
                Err(mpsc::TryRecvError::Empty) => break,
            };
            socket
                .send(&ExecStreamingInput {
                    stdin: Some(op),
                    ..Default::default()
                })
                .map_err(fail)?;
        }
        match socket.poll().map_err(fail)? {
            Polled::Idle => {}
            Polled::Frame(f) => {
                for (op, sink) in [
                    (&f.stdout, &mut out as &mut dyn Write),
                    (&f.stderr, &mut err as &mut dyn Write),
                ] {
                    if let Some(op) = op {
                        let bytes = op.bytes().map_err(fail)?;
                        let _ = sink.write_all(&bytes);
                        let _ = sink.flush();
                    }
                }
                if f.exited {
                    let code = f.result.map_or(0, |r| r.exit_code);
                    return Ok(ExitCode::from(local_exit_code(code)));
                }
            }
            Polled::Closed(reason) => {
                let why = if reason.is_empty() {
                    "the exec session ended before the command exited".to_owned()
                } else {
                    reason
                };
                return Err(CliError::Message(why));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::local_exit_code;

    #[test]
    fn exit_codes_fit_a_process_status() {
        assert_eq!(local_exit_code(0), 0);
        assert_eq!(local_exit_code(3), 3);
        assert_eq!(local_exit_code(255), 255);
        assert_eq!(local_exit_code(-1), 1);
        assert_eq!(local_exit_code(300), 1);
    }
}
