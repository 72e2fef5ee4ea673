//! `nomad node status [-verbose] [node]`: the node list, or one node's details, resources and allocations.

use std::process::ExitCode;

use clap::Args;
use nomad_region::structs::{AllocListStub, Node, NodeListStub};

use crate::cli::format::{format_kv, format_list, format_rfc3339, short_id};
use crate::cli::job::status::alloc_table;
use crate::cli::{CliError, GlobalOpts};

#[derive(Debug, Args)]
pub struct NodeStatusArgs {
    /// Show full-length IDs, addresses, versions and attributes.
    #[arg(long)]
    pub verbose: bool,
    /// Print the node(s) as JSON.
    #[arg(long)]
    pub json: bool,
    /// The node ID or a prefix of it; none lists every node.
    pub node: Option<String>,
}

pub fn run(args: &NodeStatusArgs, global: &GlobalOpts) -> Result<ExitCode, CliError> {
    let client = global.client();
    let prefix = args.node.clone().unwrap_or_default();
    let (nodes, _): (Vec<NodeListStub>, _) =
        client.get("/v1/nodes", &[("prefix", prefix.clone())])?;
    if args.node.is_none() {
        if args.json {
            println!(
                "{}",
                serde_json::to_string_pretty(&nodes).unwrap_or_default()
            );
        } else if !nodes.is_empty() {
            println!("{}", node_list(&nodes, args.verbose));
        }
        return Ok(ExitCode::SUCCESS);
    }
    let id = match nodes.iter().find(|n| n.id == prefix) {
        Some(n) => n.id.clone(),
        None if nodes.len() == 1 => nodes[0].id.clone(),
        None if nodes.is_empty() => {
            return Err(CliError::Message(format!(
                "No node(s) with prefix \"{prefix}\" found"
            )));
        }
        None => {
            println!(
                "Prefix matched multiple nodes\n\n{}",
                node_list(&nodes, args.verbose)
            );
            return Ok(ExitCode::from(1));
        }
    };
    let (node, _): (Node, _) = client.get(&format!("/v1/node/{id}"), &[])?;
    if args.json {
        println!(
            "{}",
            serde_json::to_string_pretty(&node).unwrap_or_default()
        );
        return Ok(ExitCode::SUCCESS);
    }
    let (allocs, _): (Vec<AllocListStub>, _) =
        client.get(&format!("/v1/node/{id}/allocations"), &[])?;
    println!("{}", node_detail(&node, &allocs, args.verbose));
    Ok(ExitCode::SUCCESS)
}

fn or_none(s: &str) -> &str {
    if s.is_empty() { "<none>" } else { s }
}

fn node_list(nodes: &[NodeListStub], verbose: bool) -> String {
    let header = if verbose {
        "ID|Node Pool|DC|Name|Class|Address|Version|Drain|Eligibility|Status"
    } else {
        "ID|Node Pool|DC|Name|Class|Drain|Eligibility|Status"
    };
    let mut rows = vec![header.to_owned()];
    for n in nodes {
        let mut row = vec![
            short_id(&n.id, verbose).to_owned(),
            n.node_pool.clone(),
            n.datacenter.clone(),
            n.name.clone(),
            or_none(&n.node_class).to_owned(),
        ];
        if verbose {
            row.push(n.address.clone());
            row.push(n.version.clone());
        }
        row.extend([
            n.drain.to_string(),
            n.scheduling_eligibility.clone(),
            n.status.clone(),
        ]);
        rows.push(row.join("|"));
    }
    format_list(&rows)
}

fn node_detail(node: &Node, allocs: &[AllocListStub], verbose: bool) -> String {
    let mut drivers: Vec<&str> = node
        .drivers
        .iter()
        .filter(|(_, d)| d.detected && d.healthy)
        .map(|(name, _)| name.as_str())
        .collect();
    drivers.sort_unstable();
    let kv = vec![
        format!("ID|{}", short_id(&node.id, verbose)),
        format!("Name|{}", node.name),
        format!("Node Pool|{}", node.node_pool),
        format!("Class|{}", or_none(&node.node_class)),
        format!("DC|{}", node.datacenter),
        format!("Drain|{}", node.drain),
        format!("Eligibility|{}", node.scheduling_eligibility),
        format!("Status|{}", node.status),
        format!("Driver Status|{}", drivers.join(",")),
    ];
    let mut out = format_kv(&kv);
    out.push_str("\n\nNode Events\n");
    let mut rows = vec!["Time|Subsystem|Message".to_owned()];
    for e in node.events.iter().rev().take(10) {
        let at = e
            .timestamp
            .as_deref()
            .map(format_rfc3339)
            .unwrap_or_default();
        rows.push(format!("{at}|{}|{}", e.subsystem, e.message));
    }
    out.push_str(&format_list(&rows));

    let running: Vec<&AllocListStub> = allocs
        .iter()
        .filter(|a| {
            a.desired_status == "run" && matches!(a.client_status.as_str(), "pending" | "running")
        })
        .collect();
    let (mut cpu, mut mem, mut disk) = (0, 0, 0);
    for a in &running {
        if let Some(r) = &a.allocated_resources {
            cpu += r.tasks.values().map(|t| t.cpu.cpu_shares).sum::<i64>();
            mem += r.tasks.values().map(|t| t.memory.memory_mb).sum::<i64>();
            disk += r.shared.disk_mb;
        }
    }
    if let Some(res) = &node.node_resources {
        out.push_str("\n\nAllocated Resources\n");
        out.push_str(&format_list(&[
            "CPU|Memory|Disk".to_owned(),
            format!(
                "{cpu}/{} MHz|{mem} MiB/{} MiB|{disk} MiB/{} MiB",
                res.cpu.cpu_shares, res.memory.memory_mb, res.disk.disk_mb
            ),
        ]));
    }
    out.push_str("\n\nAllocations\n");
    if allocs.is_empty() {
        out.push_str("No allocations placed");
    } else {
        out.push_str(&alloc_table(allocs, verbose));
    }
    if verbose {
        out.push_str("\n\nAttributes\n");
        let attrs: Vec<String> = node
            .attributes
            .iter()
            .map(|(k, v)| format!("{k}|{v}"))
            .collect();
        out.push_str(&format_kv(&attrs));
    }
    out
}
