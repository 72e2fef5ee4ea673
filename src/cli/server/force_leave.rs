//! `nomad server force-leave [-prune] <node>`: marks a server `left` in the mesh (`PUT
//! /v1/agent/force-leave`); with `-prune` it is dropped from the member list altogether.

use std::process::ExitCode;

use clap::Args;

use crate::cli::{CliError, GlobalOpts};

#[derive(Debug, Args)]
pub struct ForceLeaveArgs {
    /// Remove the server from the member list instead of showing it as left.
    #[arg(long)]
    pub prune: bool,
    /// The server's member name, `<node>.<region>` (a bare node name means the agent's region).
    #[arg(value_name = "NODE")]
    pub node: String,
}

pub fn run(args: &ForceLeaveArgs, global: &GlobalOpts) -> Result<ExitCode, CliError> {
    let mut query = vec![("node", args.node.clone())];
    if args.prune {
        query.push(("prune", "true".to_owned()));
    }
    global
        .client()
        .put::<_, serde_json::Value>("/v1/agent/force-leave", &query, &serde_json::Value::Null)
        .map_err(|e| CliError::Message(format!("Error force-leaving server {}: {e}", args.node)))?;
    Ok(ExitCode::SUCCESS)
}
