//! Where an `exec` task's stdout and stderr go. Without a state dir: pipes to the
//! agent, as `raw_exec`'s. With one: the FIFOs beside the task's record (see `state`),
//! whose read ends the agent pumps into the log files and the supervisor also holds,
//! so that a restarted agent can reopen them ([`reopen`]) and the task never meets a
//! pipe without readers.

use std::os::fd::AsRawFd;
use std::path::{Path, PathBuf};
use std::process::Stdio;

use tokio::io::AsyncRead;
use tokio::net::unix::pipe;
use tokio::task::JoinHandle;

use super::state;
use crate::client::logs::LogRotator;

/// One output stream of a task being started.
pub struct Stream {
    rotator: Option<LogRotator>,
    /// With a FIFO: its path, the agent's read end, and the write end the task gets.
    fifo: Option<(PathBuf, pipe::Receiver, Option<std::fs::File>)>,
}

impl Stream {
    /// The stream into `rotator` (`None`: not logged), through a FIFO at `fifo` if
    /// given and possible (else a pipe: the task runs, its output just does not
    /// survive a client restart).
    pub fn new(rotator: Option<LogRotator>, fifo: Option<PathBuf>) -> Self {
        let fifo = match (&rotator, fifo) {
            (Some(_), Some(path)) => match open_fifo(&path) {
                Ok((reader, writer)) => Some((path, reader, Some(writer))),
                Err(e) => {
                    tracing::warn!(path = %path.display(), error = %e, "cannot make the task's log FIFO; logging through a pipe");
                    None
                }
            },
            _ => None,
        };
        Self { rotator, fifo }
    }

    /// The task's end of the stream (once).
    pub fn stdio(&mut self) -> Stdio {
        match (&self.rotator, &mut self.fifo) {
            (_, Some((_, _, writer))) => writer.take().map_or_else(Stdio::null, Stdio::from),
            (Some(_), None) => Stdio::piped(),
            (None, None) => Stdio::null(),
        }
    }

    /// The read end the supervisor keeps (-1: none).
    pub fn keep_fd(&self) -> libc::c_int {
        self.fifo.as_ref().map_or(-1, |(_, r, _)| r.as_raw_fd())
    }

    /// The FIFO's path, for the record.
    pub fn path(&self) -> Option<PathBuf> {
        self.fifo.as_ref().map(|(p, _, _)| p.clone())
    }

    /// Starts copying into the log files: from the FIFO, or else from the child's pipe.
    pub fn pump(
        self,
        child_pipe: Option<impl AsyncRead + Unpin + Send + 'static>,
    ) -> Option<JoinHandle<()>> {
        let rotator = self.rotator?;
        match self.fifo {
            Some((_, reader, _)) => Some(tokio::spawn(rotator.pump(reader))),
            None => child_pipe.map(|p| tokio::spawn(rotator.pump(p))),
        }
    }
}

/// A fresh FIFO at `path`, its read end (the agent's) and write end (the task's).
fn open_fifo(path: &Path) -> std::io::Result<(pipe::Receiver, std::fs::File)> {
    state::make_fifo(path)?;
    // Read end first: opening the write end then neither blocks nor fails.
    let reader = pipe::OpenOptions::new().open_receiver(path)?;
    let writer = std::fs::OpenOptions::new().write(true).open(path)?;
    Ok((reader, writer))
}

/// Resumes copying a re-attached task's FIFO at `path` into `rotator`.
pub fn reopen(rotator: Option<LogRotator>, path: Option<&Path>) -> Option<JoinHandle<()>> {
    let (rotator, path) = (rotator?, path?);
    match pipe::OpenOptions::new().open_receiver(path) {
        Ok(reader) => Some(tokio::spawn(rotator.pump(reader))),
        Err(e) => {
            tracing::warn!(path = %path.display(), error = %e, "cannot reopen the task's log FIFO; its output is lost");
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::client::logs::log_path;
    use std::time::Duration;

    #[tokio::test]
    async fn fifo_output_reaches_the_log_and_a_bad_fifo_falls_back_to_a_pipe() {
        let tmp = tempfile::tempdir().unwrap();
        let rot = LogRotator::with_limits(tmp.path(), "t", "stdout", 2, 1 << 20).unwrap();
        let fifo = tmp.path().join("state/t.stdout");
        let mut s = Stream::new(Some(rot), Some(fifo.clone()));
        assert_eq!(s.path(), Some(fifo));
        assert!(s.keep_fd() >= 0);
        // The Command (with the agent's copy of the write end) is gone after the spawn.
        let mut child = tokio::process::Command::new("/bin/sh")
            .args(["-c", "echo hi"])
            .stdout(s.stdio())
            .spawn()
            .unwrap();
        let pump = s.pump(None::<tokio::process::ChildStdout>).unwrap();
        assert!(child.wait().await.unwrap().success());
        tokio::time::timeout(Duration::from_secs(10), pump)
            .await
            .expect("EOF once the writer is gone")
            .unwrap();
        let logged = std::fs::read_to_string(log_path(tmp.path(), "t", "stdout", 0)).unwrap();
        assert_eq!(logged, "hi\n");

        let rot = LogRotator::with_limits(tmp.path(), "u", "stdout", 2, 1 << 20).unwrap();
        let s = Stream::new(Some(rot), Some("/proc/self/no-such-dir/u.stdout".into()));
        assert_eq!((s.path(), s.keep_fd()), (None, -1), "a pipe instead");
        let s = Stream::new(None, Some(tmp.path().join("state/v.stdout")));
        assert_eq!(s.path(), None, "no FIFO for a stream that is not logged");
    }
}
