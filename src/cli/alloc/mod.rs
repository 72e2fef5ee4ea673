//! `nomad alloc ...`: one file per subcommand; this file only dispatches, plus the ID-prefix lookup the
//! subcommands share.

pub mod logs;
pub mod status;

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
}

pub fn dispatch(cmd: AllocCommand, global: &GlobalOpts) -> Result<ExitCode, CliError> {
    match cmd {
        AllocCommand::Status(args) => status::run(&args, global),
        AllocCommand::Logs(args) => logs::run(&args, global),
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
