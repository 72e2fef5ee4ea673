//! `nomad server members [-verbose]`: every server of every region the mesh knows, with each region's
//! leader. Unlike Nomad (hashicorp/nomad#1515), a region whose leader cannot be found does not fail the
//! command: its servers show `unknown` in the Leader column and a warning says why.

use std::collections::{BTreeMap, BTreeSet};
use std::process::ExitCode;
use std::time::Duration;

use clap::Args;
use serde::Deserialize;

use crate::api_client::Client;
use crate::cli::format::format_list;
use crate::cli::{CliError, GlobalOpts};

/// How long one region's leader lookup may take (the forwarding server gives up on a dead region in
/// under 5 s).
const LEADER_TIMEOUT: Duration = Duration::from_secs(6);

#[derive(Debug, Args)]
pub struct MembersArgs {
    /// Show the protocol versions and tags too.
    #[arg(long, alias = "detailed")]
    pub verbose: bool,
}

/// `GET /v1/agent/members`.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct ServerMembers {
    pub server_name: String,
    pub server_region: String,
    #[serde(rename = "ServerDC")]
    pub server_dc: String,
    pub members: Vec<AgentMember>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct AgentMember {
    pub name: String,
    pub addr: String,
    pub port: u16,
    pub tags: BTreeMap<String, String>,
    pub status: String,
    pub protocol_min: u8,
    pub protocol_max: u8,
    pub protocol_cur: u8,
    pub delegate_cur: u8,
}

pub fn run(args: &MembersArgs, global: &GlobalOpts) -> Result<ExitCode, CliError> {
    let client = global.client();
    let (members, _): (ServerMembers, _) = client
        .get("/v1/agent/members", &[])
        .map_err(|e| CliError::Message(format!("Error querying servers: {e}")))?;
    let mut members = members.members;
    members.sort_by(|a, b| (tag(a, "region"), &a.name).cmp(&(tag(b, "region"), &b.name)));

    let regions: BTreeSet<&str> = members
        .iter()
        .filter(|m| m.status != "left")
        .map(|m| tag(m, "region"))
        .collect();
    let (leaders, warnings) = region_leaders(global, regions);
    let mut header = "Name|Address|Port|Status|Leader".to_owned();
    if args.verbose {
        header.push_str("|Protocol");
    }
    header.push_str("|Raft Version|Build|Datacenter|Region");
    if args.verbose {
        header.push_str("|Tags");
    }
    let mut rows = vec![header];
    for m in &members {
        let rpc = format!("{}:{}", m.addr, tag(m, "port"));
        let leader = match leaders.get(tag(m, "region")) {
            Some(Some(addr)) => (addr == &rpc).to_string(),
            Some(None) => "unknown".to_owned(),
            None => "false".to_owned(),
        };
        let mut row = format!("{}|{}|{}|{}|{leader}", m.name, m.addr, m.port, m.status);
        if args.verbose {
            row.push_str(&format!("|{}", m.protocol_cur));
        }
        row.push_str(&format!(
            "|{}|{}|{}|{}",
            tag(m, "raft_vsn"),
            tag(m, "build"),
            tag(m, "dc"),
            tag(m, "region")
        ));
        if args.verbose {
            let tags: Vec<String> = m.tags.iter().map(|(k, v)| format!("{k}={v}")).collect();
            row.push_str(&format!("|{}", tags.join(",")));
        }
        rows.push(row);
    }
    println!("{}", format_list(&rows));
    for w in &warnings {
        eprintln!("Warning: could not determine the leader of {w}");
    }
    Ok(ExitCode::SUCCESS)
}

/// Asks every region for its leader at once (forwarded `/v1/status/leader?region=X`), each within
/// [`LEADER_TIMEOUT`]: a region that is down or cut off costs seconds, not the command.
fn region_leaders<'a>(
    global: &GlobalOpts,
    regions: BTreeSet<&'a str>,
) -> (BTreeMap<&'a str, Option<String>>, Vec<String>) {
    let answers: Vec<(&str, Result<String, String>)> = std::thread::scope(|scope| {
        let asks: Vec<_> = regions
            .into_iter()
            .map(|region| {
                let config = global.client_for_region(Some(region)).config().clone();
                let lookup = Client::with_timeout(config, LEADER_TIMEOUT);
                let ask = scope.spawn(move || {
                    lookup
                        .get::<String>("/v1/status/leader", &[])
                        .map(|(addr, _)| addr)
                        .map_err(|e| e.to_string())
                });
                (region, ask)
            })
            .collect();
        asks.into_iter()
            .map(|(region, ask)| {
                let answer = ask
                    .join()
                    .unwrap_or_else(|_| Err("leader lookup failed".to_owned()));
                (region, answer)
            })
            .collect()
    });
    let mut leaders = BTreeMap::new();
    let mut warnings = Vec::new();
    for (region, answer) in answers {
        match answer {
            Ok(addr) if !addr.is_empty() => {
                leaders.insert(region, Some(addr));
            }
            Ok(_) => {
                leaders.insert(region, None);
                warnings.push(format!("Region \"{region}\": no cluster leader"));
            }
            Err(e) => {
                leaders.insert(region, None);
                warnings.push(format!("Region \"{region}\": {e}"));
            }
        }
    }
    (leaders, warnings)
}

fn tag<'a>(m: &'a AgentMember, key: &str) -> &'a str {
    m.tags.get(key).map(String::as_str).unwrap_or("")
}
