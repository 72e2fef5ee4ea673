//! What a command can fail with. Each variant prints as one or more `Error: ...` lines (one per problem),
//! never a backtrace.

use std::path::PathBuf;

use thiserror::Error;

#[derive(Debug, Error)]
pub enum CliError {
    /// The job file could not be read or parsed.
    #[error("{0}")]
    Jobspec(#[from] crate::jobspec::JobspecError),
    /// The job parsed but breaks Nomad's rules; one line per problem, already located.
    #[error("{}", .0.join("\n"))]
    Invalid(Vec<String>),
    /// The agent refused or could not be reached.
    #[error("{0}")]
    Api(#[from] crate::api_client::ApiError),
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    /// Any other user-facing failure, already worded.
    #[error("{0}")]
    Message(String),
}

impl CliError {
    /// Prints every line of the error to stderr with Nomad's `Error: ` prefix.
    pub fn print(&self) {
        for line in self.to_string().lines() {
            // Messages worded as Nomad's ("Error submitting job: ...") carry their own prefix.
            if line.starts_with("Error") {
                eprintln!("{line}");
            } else {
                eprintln!("Error: {line}");
            }
        }
    }
}
