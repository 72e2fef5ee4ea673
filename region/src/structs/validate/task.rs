//! Task rules: name, driver, timeouts, resources, logs, lifecycle, templates,
//! artifacts, dispatch payload and volume mounts.

use std::collections::BTreeSet;

use super::{Checker, Path, placement, policy, service};
use crate::structs::{
    CHANGE_MODE_NOOP, CHANGE_MODE_RESTART, CHANGE_MODE_SCRIPT, CHANGE_MODE_SIGNAL, GETTER_MODE_ANY,
    GETTER_MODE_DIR, GETTER_MODE_FILE, Job, LIFECYCLE_HOOKS, LogConfig, Resources, Task,
    TaskArtifact, TaskGroup, Template,
};

pub(super) fn check_task(
    job: &Job,
    g: &TaskGroup,
    t: &Task,
    p: &Path,
    labels: &BTreeSet<String>,
    c: &mut Checker,
) {
    if t.name.is_empty() {
        c.add(p, "Missing task name");
    } else if t.name.contains('/') {
        c.add(p, "Task name cannot include slashes");
    } else if t.name.contains('\0') {
        c.add(p, "Task name cannot include null characters");
    }
    if t.driver.is_empty() {
        c.at(p, "driver", "Missing task driver");
    }
    if t.kill_timeout.is_some_and(|k| k < 0) {
        c.at(p, "kill_timeout", "KillTimeout must be a positive value");
    }
    if t.shutdown_delay < 0 {
        c.at(
            p,
            "shutdown_delay",
            "ShutdownDelay must be a positive value",
        );
    }
    if let Some(r) = &t.resources {
        check_resources(r, &p.join(["resources"]), c);
    }
    if let Some(l) = &t.log_config {
        check_logs(l, g, &p.join(["logs"]), c);
    }
    if let Some(l) = &t.lifecycle
        && !l.hook.is_empty()
        && !LIFECYCLE_HOOKS.contains(&l.hook.as_str())
    {
        c.at(
            &p.join(["lifecycle"]),
            "hook",
            format!(
                "Invalid lifecycle hook {:?}, must be one of prestart, poststart, poststop",
                l.hook
            ),
        );
    }
    if let Some(r) = &t.restart_policy {
        policy::check_restart(r, &p.join(["restart"]), c);
    }
    placement::check_constraints(&t.constraints, p, true, c);
    placement::check_affinities(&t.affinities, p, c);
    service::check_services(&t.services, p, labels, c);
    for (i, tmpl) in t.templates.iter().enumerate() {
        check_template(tmpl, &p.index("template", i), c);
    }
    for (i, a) in t.artifacts.iter().enumerate() {
        check_artifact(a, &p.index("artifact", i), c);
    }
    if t.dispatch_payload.is_some() && job.parameterized_job.is_none() {
        c.at(
            p,
            "dispatch_payload",
            "Dispatch payload is only allowed in parameterized jobs",
        );
    }
    for (i, m) in t.volume_mounts.iter().enumerate() {
        let mp = p.index("volume_mount", i);
        if m.volume.is_empty() {
            c.at(&mp, "volume", "Volume mount references an empty volume");
        } else if !g.volumes.contains_key(&m.volume) {
            c.at(
                &mp,
                "volume",
                format!("Volume mount references undefined volume {:?}", m.volume),
            );
        }
        if m.destination.is_empty() {
            c.at(&mp, "destination", "Volume mount requires a destination");
        }
    }
}

fn check_resources(r: &Resources, p: &Path, c: &mut Checker) {
    let cores = r.cores.unwrap_or(0);
    if cores < 0 {
        c.at(p, "cores", format!("Cores can't be negative; got {cores}"));
    }
    match r.cpu {
        Some(cpu) if cores > 0 && cpu > 0 => {
            c.at(
                p,
                "cores",
                "Task can only ask for 'cpu' or 'cores' resource, not both.",
            );
        }
        Some(cpu) if cores <= 0 && cpu < 1 => {
            c.at(p, "cpu", format!("minimum CPU value is 1; got {cpu}"));
        }
        _ => {}
    }
    if let Some(mem) = r.memory_mb
        && mem < 10
    {
        c.at(
            p,
            "memory",
            format!("minimum MemoryMB value is 10; got {mem}"),
        );
    }
    if let Some(max) = r.memory_max_mb
        && max != 0
        && max < r.memory_mb.unwrap_or(0)
    {
        c.at(
            p,
            "memory_max",
            format!(
                "MemoryMaxMB value ({max}) should be larger than MemoryMB value ({})",
                r.memory_mb.unwrap_or(0)
            ),
        );
    }
    if r.disk_mb.is_some_and(|d| d < 0) {
        c.at(p, "disk", "Disk can't be negative");
    }
    for d in &r.devices {
        let dp = p.join(["device", &d.name]);
        let parts = d.name.split('/').count();
        if d.name.is_empty() || parts > 3 || d.name.split('/').any(str::is_empty) {
            c.add(&dp, "Device name must be given as one of the following: type, vendor/type, or vendor/type/name");
        }
        placement::check_constraints(&d.constraints, &dp, true, c);
        placement::check_affinities(&d.affinities, &dp, c);
    }
}

/// File counts and sizes, and that rotated logs fit in the group's disk.
fn check_logs(l: &LogConfig, g: &TaskGroup, p: &Path, c: &mut Checker) {
    let files = l.max_files.unwrap_or(1);
    let size = l.max_file_size_mb.unwrap_or(1);
    if files < 1 {
        c.at(
            p,
            "max_files",
            format!("minimum number of files is 1; got {files}"),
        );
    }
    if size < 1 {
        c.at(
            p,
            "max_file_size",
            format!("minimum file size is 1MB; got {size}"),
        );
    }
    let disk = g.ephemeral_disk.as_ref().and_then(|d| d.size_mb);
    if let (Some(disk), Some(f), Some(s)) = (disk, l.max_files, l.max_file_size_mb) {
        let usage = i64::from(f).saturating_mul(i64::from(s));
        if f > 0 && s > 0 && usage >= i64::from(disk) {
            c.add(
                p,
                format!(
                    "log storage ({usage} MB) must be less than requested disk capacity ({disk} MB)"
                ),
            );
        }
    }
}

fn check_template(t: &Template, p: &Path, c: &mut Checker) {
    if t.source_path.is_empty() && t.embedded_tmpl.is_empty() {
        c.at(
            p,
            "source",
            "Must specify a source path or have an embedded template",
        );
    }
    if t.dest_path.is_empty() {
        c.at(
            p,
            "destination",
            "Must specify a destination for the template",
        );
    }
    match t.change_mode.as_str() {
        "" | CHANGE_MODE_NOOP | CHANGE_MODE_RESTART => {}
        CHANGE_MODE_SIGNAL => {
            if t.change_signal.is_empty() {
                c.at(
                    p,
                    "change_signal",
                    "Must specify signal value when change mode is signal",
                );
            }
        }
        CHANGE_MODE_SCRIPT => match &t.change_script {
            None => c.at(
                p,
                "change_script",
                "Must specify change script configuration value when change mode is script",
            ),
            Some(s) if s.command.is_empty() => c.at(
                &p.join(["change_script"]),
                "command",
                "Must specify script path value when change mode is script",
            ),
            Some(_) => {}
        },
        other => c.at(p, "change_mode", format!("Invalid change mode {other:?}")),
    }
    if t.splay.is_some_and(|s| s < 0) {
        c.at(p, "splay", "Must specify positive splay value");
    }
    if !t.perms.is_empty() && u32::from_str_radix(&t.perms, 8).is_err() {
        c.at(
            p,
            "perms",
            format!("Failed to parse {:?} as octal", t.perms),
        );
    }
}

fn check_artifact(a: &TaskArtifact, p: &Path, c: &mut Checker) {
    if a.getter_source.is_empty() {
        c.at(p, "source", "Missing artifact source");
    }
    if !["", GETTER_MODE_ANY, GETTER_MODE_FILE, GETTER_MODE_DIR].contains(&a.getter_mode.as_str()) {
        c.at(
            p,
            "mode",
            format!(
                "Invalid artifact mode {:?}, must be one of any, file, dir",
                a.getter_mode
            ),
        );
    }
}
