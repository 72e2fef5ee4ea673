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
    /// The stream into `rotator` (`None`: not logged), through a FIFO at `fifo` if given.
    pub fn new(rotator: Option<LogRotator>, fifo: Option<PathBuf>) -> std::io::Result<Self> {
        let fifo = match (&rotator, fifo) {
            (Some(_), Some(path)) => {
                state::make_fifo(&path)?;
                // Read end first: opening the write end then neither blocks nor fails.
                let reader = pipe::OpenOptions::new().open_receiver(&path)?;
                let writer = std::fs::OpenOptions::new().write(true).open(&path)?;
                Some((path, reader, Some(writer)))
            }
            _ => None,
        };
        Ok(Self { rotator, fifo })
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
