//! `nomad alloc status [-stats] [-short] [-verbose] <alloc>`: an allocation's details, addresses, and per
//! task its resources (with live usage) and recent events.

use std::process::ExitCode;

use clap::Args;
use nomad_region::structs::{Allocation, TaskState};
use serde_json::Value;

use super::lookup_alloc;
use crate::cli::format::{
    format_kv, format_list, format_rfc3339, format_unix_nanos, human_bytes, now_nanos,
    pretty_time_ago, short_id,
};
use crate::cli::{CliError, GlobalOpts};

#[derive(Debug, Args)]
pub struct AllocStatusArgs {
    /// Show detailed resource usage statistics.
    #[arg(long)]
    pub stats: bool,
    /// Show only the most recent task event.
    #[arg(long)]
    pub short: bool,
    /// Show full-length IDs and exact times.
    #[arg(long)]
    pub verbose: bool,
    /// Print the allocation as JSON.
    #[arg(long)]
    pub json: bool,
    /// The allocation ID or a prefix of it.
    pub alloc: String,
}

pub fn run(args: &AllocStatusArgs, global: &GlobalOpts) -> Result<ExitCode, CliError> {
    let client = global.client();
    let alloc = lookup_alloc(&client, &args.alloc, args.verbose)?;
    if args.json {
        println!(
            "{}",
            serde_json::to_string_pretty(&alloc).unwrap_or_default()
        );
        return Ok(ExitCode::SUCCESS);
    }
    // Usage lives on the client that runs the allocation; a terminal one has none.
    let stats: Option<Value> = client
        .get(&format!("/v1/client/allocation/{}/stats", alloc.id), &[])
        .ok()
        .map(|(v, _)| v);
    println!("{}", render(&alloc, stats.as_ref(), args));
    Ok(ExitCode::SUCCESS)
}

fn or_none(s: &str) -> &str {
    if s.is_empty() { "<none>" } else { s }
}

fn render(alloc: &Allocation, stats: Option<&Value>, args: &AllocStatusArgs) -> String {
    let v = args.verbose;
    let now = now_nanos();
    let (created, modified) = if v {
        (
            format_unix_nanos(alloc.create_time),
            format_unix_nanos(alloc.modify_time),
        )
    } else {
        (
            pretty_time_ago(alloc.create_time, now),
            pretty_time_ago(alloc.modify_time, now),
        )
    };
    let mut kv = vec![
        format!("ID|{}", short_id(&alloc.id, v)),
        format!("Eval ID|{}", short_id(&alloc.eval_id, v)),
        format!("Name|{}", alloc.name),
        format!("Node ID|{}", short_id(&alloc.node_id, v)),
        format!("Node Name|{}", alloc.node_name),
        format!("Job ID|{}", alloc.job_id),
        format!(
            "Job Version|{}",
            alloc.job.as_ref().map(|j| j.version).unwrap_or(0)
        ),
        format!("Client Status|{}", alloc.client_status),
        format!("Client Description|{}", or_none(&alloc.client_description)),
        format!("Desired Status|{}", alloc.desired_status),
        format!(
            "Desired Description|{}",
            or_none(&alloc.desired_description)
        ),
        format!("Created|{created}"),
        format!("Modified|{modified}"),
    ];
    if !alloc.next_allocation.is_empty() {
        kv.push(format!(
            "Replacement Alloc ID|{}",
            short_id(&alloc.next_allocation, v)
        ));
    }
    let mut out = format_kv(&kv);
    if let Some(resources) = &alloc.allocated_resources
        && !resources.shared.ports.is_empty()
    {
        let mut rows = vec!["Label|Dynamic|Address".to_owned()];
        let static_labels = static_port_labels(alloc);
        for p in &resources.shared.ports {
            let dynamic = if static_labels.contains(&p.label) {
                "no"
            } else {
                "yes"
            };
            let to = if p.to > 0 {
                format!(" -> {}", p.to)
            } else {
                String::new()
            };
            rows.push(format!(
                "*{}|{dynamic}|{}:{}{to}",
                p.label, p.host_ip, p.value
            ));
        }
        out.push_str("\n\nAllocation Addresses:\n");
        out.push_str(&format_list(&rows));
    }
    for (task, state) in &alloc.task_states {
        out.push_str(&format!("\n\nTask \"{task}\" is \"{}\"", state.state));
        if !args.short {
            out.push_str("\nTask Resources:\n");
            out.push_str(&task_resources(alloc, task, stats, args.stats));
            out.push_str("\n\nTask Events:\n");
            out.push_str(&task_summary(state));
        }
        out.push_str("\n\nRecent Events:\n");
        out.push_str(&events_table(state, args.short));
    }
    out
}

fn static_port_labels(alloc: &Allocation) -> Vec<String> {
    let Some(job) = &alloc.job else {
        return Vec::new();
    };
    job.task_groups
        .iter()
        .filter(|g| g.name == alloc.task_group)
        .flat_map(|g| g.networks.iter())
        .flat_map(|n| n.reserved_ports.iter().map(|p| p.label.clone()))
        .collect()
}

fn task_resources(alloc: &Allocation, task: &str, stats: Option<&Value>, detailed: bool) -> String {
    let res = alloc
        .allocated_resources
        .as_ref()
        .and_then(|r| r.tasks.get(task));
    let cpu = res.map(|r| r.cpu.cpu_shares).unwrap_or(0);
    let mem = res.map(|r| r.memory.memory_mb).unwrap_or(0);
    let disk = alloc
        .allocated_resources
        .as_ref()
        .map(|r| r.shared.disk_mb)
        .unwrap_or(0);
    let usage = stats.and_then(|s| s.pointer(&format!("/Tasks/{task}/ResourceUsage")));
    let mhz = usage
        .and_then(|u| u.pointer("/CpuStats/TotalTicks"))
        .and_then(Value::as_f64)
        .unwrap_or(0.0);
    let memory = |field: &str| {
        usage
            .and_then(|u| u.pointer(&format!("/MemoryStats/{field}")))
            .and_then(Value::as_u64)
            .unwrap_or(0)
    };
    // Drivers measure either RSS (processes) or usage (cgroups).
    let rss = match memory("RSS") {
        0 => memory("Usage"),
        n => n,
    };
    let rows = vec![
        "CPU|Memory|Disk".to_owned(),
        format!(
            "{}/{cpu} MHz|{}/{mem} MiB|{disk} MiB",
            mhz.round() as i64,
            human_bytes(rss)
        ),
    ];
    let mut out = format_list(&rows);
    if detailed && let Some(u) = usage {
        out.push_str("\n\nMemory Stats\n");
        out.push_str(&measured_table(u.get("MemoryStats"), MEMORY_FIELDS));
        out.push_str("\n\nCPU Stats\n");
        out.push_str(&measured_table(u.get("CpuStats"), CPU_FIELDS));
    }
    out
}

/// How one measured statistic is printed.
enum Unit {
    Bytes,
    Percent,
    Count,
}

/// Memory statistics: the name in `Measured`, its JSON field, how it prints.
const MEMORY_FIELDS: &[(&str, &str, Unit)] = &[
    ("Cache", "Cache", Unit::Bytes),
    ("Kernel Max Usage", "KernelMaxUsage", Unit::Bytes),
    ("Kernel Usage", "KernelUsage", Unit::Bytes),
    ("Mapped File", "MappedFile", Unit::Bytes),
    ("Max Usage", "MaxUsage", Unit::Bytes),
    ("RSS", "RSS", Unit::Bytes),
    ("Swap", "Swap", Unit::Bytes),
    ("Usage", "Usage", Unit::Bytes),
];

/// CPU statistics, likewise.
const CPU_FIELDS: &[(&str, &str, Unit)] = &[
    ("Percent", "Percent", Unit::Percent),
    ("System Mode", "SystemMode", Unit::Percent),
    ("Throttled Periods", "ThrottledPeriods", Unit::Count),
    ("Throttled Time", "ThrottledTime", Unit::Count),
    ("User Mode", "UserMode", Unit::Percent),
];

/// Nomad's `-stats` tables: one column per statistic the driver measured.
fn measured_table(stats: Option<&Value>, fields: &[(&str, &str, Unit)]) -> String {
    let measured: Vec<&str> = stats
        .and_then(|s| s.get("Measured"))
        .and_then(Value::as_array)
        .map(|m| m.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    let (mut header, mut values) = (Vec::new(), Vec::new());
    for (name, key, unit) in fields {
        if !measured.contains(name) {
            continue;
        }
        let v = stats.and_then(|s| s.get(*key));
        header.push(name.to_string());
        values.push(match unit {
            Unit::Bytes => human_bytes(v.and_then(Value::as_u64).unwrap_or(0)),
            Unit::Percent => format!("{:.2}%", v.and_then(Value::as_f64).unwrap_or(0.0)),
            Unit::Count => v.and_then(Value::as_u64).unwrap_or(0).to_string(),
        });
    }
    format_list(&[header.join("|"), values.join("|")])
}

fn task_summary(state: &TaskState) -> String {
    let at = |t: &Option<String>| {
        t.as_deref()
            .map(format_rfc3339)
            .unwrap_or_else(|| "N/A".to_owned())
    };
    format_kv(&[
        format!("Started At|{}", at(&state.started_at)),
        format!("Finished At|{}", at(&state.finished_at)),
        format!("Total Restarts|{}", state.restarts),
        format!("Last Restart|{}", at(&state.last_restart)),
    ])
}

fn events_table(state: &TaskState, short: bool) -> String {
    let mut rows = vec!["Time|Type|Description".to_owned()];
    let take = if short { 1 } else { 10 };
    for event in state.events.iter().rev().take(take) {
        let description = if event.display_message.is_empty() {
            &event.message
        } else {
            &event.display_message
        };
        rows.push(format!(
            "{}|{}|{}",
            format_unix_nanos(event.time),
            event.event_type,
            description
        ));
    }
    format_list(&rows)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stats_tables_show_what_the_driver_measured() {
        let usage = serde_json::json!({
            "MemoryStats": {"RSS": 1468006, "Swap": 0, "Cache": 5, "Measured": ["RSS", "Swap"]},
            "CpuStats": {"Percent": 96.314, "UserMode": 90.0, "SystemMode": 6.314,
                         "Measured": ["System Mode", "User Mode", "Percent"]}
        });
        assert_eq!(
            measured_table(usage.get("MemoryStats"), MEMORY_FIELDS),
            "RSS      Swap\n1.4 MiB  0 B"
        );
        assert_eq!(
            measured_table(usage.get("CpuStats"), CPU_FIELDS),
            "Percent  System Mode  User Mode\n96.31%   6.31%        90.00%"
        );
    }
}
