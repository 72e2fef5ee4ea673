//! Container output into the allocation's log files: follows the engine's log
//! stream and writes stdout and stderr frames to the task's two `LogRotator`s.
//! The stream ends when the container stops, after the last frame.

use bollard::Docker;
use bollard::container::LogOutput;
use bollard::query_parameters::LogsOptions;
use futures_util::StreamExt;

use crate::client::logs::LogRotator;

/// Follows `id`'s output from `since` (Unix seconds; 0 = from the start) until the
/// container stops. Write errors drop output but never stop the stream.
pub async fn collect(
    docker: Docker,
    id: String,
    since: i32,
    mut stdout: Option<LogRotator>,
    mut stderr: Option<LogRotator>,
) {
    if stdout.is_none() && stderr.is_none() {
        return;
    }
    let options = LogsOptions {
        follow: true,
        stdout: stdout.is_some(),
        stderr: stderr.is_some(),
        since,
        ..Default::default()
    };
    let mut stream = docker.logs(&id, Some(options));
    while let Some(frame) = stream.next().await {
        let (rotator, bytes) = match frame {
            Ok(LogOutput::StdOut { message }) | Ok(LogOutput::Console { message }) => {
                (stdout.as_mut(), message)
            }
            Ok(LogOutput::StdErr { message }) => (stderr.as_mut(), message),
            Ok(LogOutput::StdIn { .. }) => continue,
            Err(e) => {
                tracing::debug!(container = %id, error = %e, "container log stream ended");
                return;
            }
        };
        if let Some(r) = rotator
            && let Err(e) = r.write_all(&bytes)
        {
            tracing::warn!(error = %e, "dropping task log output");
        }
    }
}
