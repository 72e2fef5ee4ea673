//! `nomad alloc ...`: one file per subcommand; this file only dispatches, plus the ID-prefix lookup the
//! subcommands share.

pub mod exec;
pub mod fs;
pub mod logs;
pub mod restart;
pub mod signal;
pub mod status;
pub mod stop;

use std::process::ExitCode;

use clap::Subcommand;
use nomad_region::structs::{AllocListStub, Allocation};

use super::format::{format_list, short_id};
use super::{CliError, GlobalOpts};
use crate::api_client::Client;

#[derive(Debug, Subcommand)]
pub enum AllocCommand {
    /// Display allocation status information and metadata.
    Status(status::AllocStatusArgs),
    /// Stream the logs of a task.
    Logs(logs::LogsArgs),
    /// Signal a running allocation or task.
    Signal(signal::SignalArgs),
    /// Restart a running allocation or task in place.
    Restart(restart::RestartArgs),
    /// Stop and reschedule a running allocation.
    Stop(stop::AllocStopArgs),
    /// Execute commands in a task.
    Exec(exec::ExecArgs),
    /// Inspect the contents of an allocation directory.
    Fs(fs::FsArgs),
}

pub fn dispatch(cmd: AllocCommand, global: &GlobalOpts) -> Result<ExitCode, CliError> {
    match cmd {
        AllocCommand::Status(args) => status::run(&args, global),
        AllocCommand::Logs(args) => logs::run(&args, global),
        AllocCommand::Signal(args) => signal::run(&args, global),
        AllocCommand::Restart(args) => restart::run(&args, global),
        AllocCommand::Stop(args) => stop::run(&args, global),
        AllocCommand::Exec(args) => exec::run(&args, global),
        AllocCommand::Fs(args) => fs::run(&args, global),
    }
}

/// The task names of the allocation's group.
pub fn task_names(alloc: &Allocation) -> Vec<String> {
    let from_job: Vec<String> = alloc
        .job
        .as_ref()
        .and_then(|j| j.task_groups.iter().find(|g| g.name == alloc.task_group))
        .map(|g| g.tasks.iter().map(|t| t.name.clone()).collect())
        .unwrap_or_default();
    if from_job.is_empty() {
        alloc.task_states.keys().cloned().collect()
    } else {
        from_job
    }
}

/// `task` if the allocation has it (Nomad's "Could not find task named" otherwise).
pub fn validate_task(alloc: &Allocation, task: &str) -> Result<(), CliError> {
    if task_names(alloc).iter().any(|t| t == task) {
        Ok(())
    } else {
        Err(CliError::Message(format!(
            "Failed to validate task: Could not find task named: {task}"
        )))
    }
}

/// The task a one-task command acts on: the one named, or the allocation's only task.
pub fn single_task(alloc: &Allocation, task: Option<&str>) -> Result<String, CliError> {
    if let Some(t) = task {
        validate_task(alloc, t)?;
        return Ok(t.to_owned());
    }
    match task_names(alloc).as_slice() {
        [one] => Ok(one.clone()),
        _ => Err(CliError::Message(
            "Please specify the task name with -task: the allocation runs more than one task"
                .to_owned(),
        )),
    }
}

/// Finds the one allocation `prefix` names. Several matches list the candidates as an error.
pub fn lookup_alloc(client: &Client, prefix: &str, verbose: bool) -> Result<Allocation, CliError> {
    let (stubs, _): (Vec<AllocListStub>, _) =
        client.get("/v1/allocations", &[("prefix", prefix.to_owned())])?;
    let id = match stubs.iter().find(|a| a.id == prefix) {
        Some(a) => a.id.clone(),
        None if stubs.len() == 1 => stubs[0].id.clone(),
        None if stubs.is_empty() => {
            return Err(CliError::Message(format!(
                "No allocation(s) with prefix or id \"{prefix}\" found"
            )));
        }
        None => {
            let mut rows = vec!["ID|Eval ID|Node ID|Task Group|Desired|Status".to_owned()];
            for a in &stubs {
                rows.push(format!(
                    "{}|{}|{}|{}|{}|{}",
                    short_id(&a.id, verbose),
                    short_id(&a.eval_id, verbose),
                    short_id(&a.node_id, verbose),
                    a.task_group,
                    a.desired_status,
                    a.client_status
                ));
            }
            return Err(CliError::Message(format!(
                "Prefix matched multiple allocations\n\n{}",
                format_list(&rows)
            )));
        }
    };
    let (alloc, _): (Allocation, _) = client.get(&format!("/v1/allocation/{id}"), &[])?;
    Ok(alloc)
}
