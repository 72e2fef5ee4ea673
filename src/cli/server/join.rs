//! `nomad server join <addr>...`: asks the local agent to join the mesh through each address
//! (`PUT /v1/agent/join`); exit 0 if at least one answered.

use std::process::ExitCode;

use clap::Args;
use serde::Deserialize;

use crate::cli::{CliError, GlobalOpts};

#[derive(Debug, Args)]
pub struct JoinArgs {
    /// Mesh (serf) addresses of servers to join, `ip[:port]` or `host[:port]` (port 4648 by default).
    #[arg(required = true, value_name = "ADDR")]
    pub addresses: Vec<String>,
}

/// The agent's lowercase reply, as Nomad's.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct JoinResponse {
    pub num_joined: usize,
    pub error: String,
}

pub fn run(args: &JoinArgs, global: &GlobalOpts) -> Result<ExitCode, CliError> {
    let query: Vec<(&str, String)> = args
        .addresses
        .iter()
        .map(|a| ("address", a.clone()))
        .collect();
    let (reply, _): (JoinResponse, _) = global
        .client()
        .put("/v1/agent/join", &query, &serde_json::Value::Null)
        .map_err(|e| CliError::Message(format!("Error joining: {e}")))?;
    if !reply.error.is_empty() {
        return Err(CliError::Message(format!("Error joining: {}", reply.error)));
    }
    println!("Joined {} servers successfully", reply.num_joined);
    Ok(ExitCode::SUCCESS)
}
