//! `nomad alloc signal [-s SIGNAL] [-task T] <alloc> [task]`: send a signal to one task
//! of a running allocation, or to all of its tasks.

use std::process::ExitCode;

use clap::Args;
use serde_json::{Value, json};

use super::{lookup_alloc, validate_task};
use crate::cli::{CliError, GlobalOpts};

#[derive(Debug, Args)]
pub struct SignalArgs {
    /// The signal to send (default SIGKILL).
    #[arg(short = 's', default_value = "SIGKILL")]
    pub signal: String,
    /// The task to signal (default: every task).
    #[arg(long)]
    pub task: Option<String>,
    /// Show full-length IDs.
    #[arg(long)]
    pub verbose: bool,
    /// The allocation ID or a prefix of it.
    pub alloc: String,
    /// The task to signal (same as -task).
    pub task_arg: Option<String>,
}

pub fn run(args: &SignalArgs, global: &GlobalOpts) -> Result<ExitCode, CliError> {
    let client = global.client();
    let alloc = lookup_alloc(&client, &args.alloc, args.verbose)?;
    let task = args.task.as_deref().or(args.task_arg.as_deref());
    if let Some(t) = task {
        validate_task(&alloc, t)?;
    }
    let body = json!({"Signal": args.signal, "Task": task.unwrap_or("")});
    let _: (Value, _) = client
        .put(
            &format!("/v1/client/allocation/{}/signal", alloc.id),
            &[],
            &body,
        )
        .map_err(|e| CliError::Message(format!("Error signalling allocation: {e}")))?;
    Ok(ExitCode::SUCCESS)
}
