//! `nomad alloc restart [-task T] [-all-tasks] <alloc> [task]`: restart one task of a
//! running allocation in place, or all of them.

use std::process::ExitCode;

use clap::Args;
use serde_json::{Value, json};

use super::{lookup_alloc, validate_task};
use crate::cli::{CliError, GlobalOpts};

#[derive(Debug, Args)]
pub struct RestartArgs {
    /// The task to restart (default: every running task).
    #[arg(long)]
    pub task: Option<String>,
    /// Restart every task, even ones named otherwise.
    #[arg(long = "all-tasks")]
    pub all_tasks: bool,
    /// Show full-length IDs.
    #[arg(long)]
    pub verbose: bool,
    /// The allocation ID or a prefix of it.
    pub alloc: String,
    /// The task to restart (same as -task).
    pub task_arg: Option<String>,
}

pub fn run(args: &RestartArgs, global: &GlobalOpts) -> Result<ExitCode, CliError> {
    let client = global.client();
    let alloc = lookup_alloc(&client, &args.alloc, args.verbose)?;
    let task = args.task.as_deref().or(args.task_arg.as_deref());
    if args.all_tasks && task.is_some() {
        return Err(CliError::Message(
            "The -all-tasks option cannot be used with a task name".to_owned(),
        ));
    }
    if let Some(t) = task {
        validate_task(&alloc, t)?;
    }
    let body = json!({"TaskName": task.unwrap_or(""), "AllTasks": args.all_tasks});
    let _: (Value, _) = client
        .put(
            &format!("/v1/client/allocation/{}/restart", alloc.id),
            &[],
            &body,
        )
        .map_err(|e| CliError::Message(format!("Failed to restart allocation: {e}")))?;
    Ok(ExitCode::SUCCESS)
}
