//! `nomad alloc stop [-detach] [-verbose] <alloc>`: stop an allocation so that the
//! scheduler replaces it, and monitor the evaluation that does so.

use std::process::ExitCode;

use clap::Args;
use serde::Deserialize;
use serde_json::json;

use super::lookup_alloc;
use crate::cli::monitor::monitor_eval;
use crate::cli::{CliError, GlobalOpts};

#[derive(Debug, Args)]
pub struct AllocStopArgs {
    /// Return immediately with the evaluation ID instead of monitoring it.
    #[arg(long)]
    pub detach: bool,
    /// Show full-length IDs.
    #[arg(long)]
    pub verbose: bool,
    /// The allocation ID or a prefix of it.
    pub alloc: String,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
struct StopResponse {
    #[serde(rename = "EvalID")]
    eval_id: String,
}

pub fn run(args: &AllocStopArgs, global: &GlobalOpts) -> Result<ExitCode, CliError> {
    let client = global.client();
    let alloc = lookup_alloc(&client, &args.alloc, args.verbose)?;
    let (resp, _): (StopResponse, _) = client
        .put(
            &format!("/v1/allocation/{}/stop", alloc.id),
            &[],
            &json!({}),
        )
        .map_err(|e| CliError::Message(format!("Error stopping allocation: {e}")))?;
    if args.detach {
        println!("{}", resp.eval_id);
        return Ok(ExitCode::SUCCESS);
    }
    let outcome = monitor_eval(&client, &resp.eval_id, args.verbose)?;
    Ok(if outcome.status == "complete" {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(2)
    })
}
