//! Task-group rules: count, tasks, policies, disk, volumes, and the checks that
//! need the whole group (port labels, leaders, volume references).

use std::collections::BTreeSet;

use super::{Checker, Path, network, placement, policy, service, task};
use crate::structs::{
    JOB_TYPE_BATCH, JOB_TYPE_SYSBATCH, Job, TaskGroup, VOLUME_TYPE_CSI, VOLUME_TYPE_HOST,
};

pub(super) fn check_group(job: &Job, g: &TaskGroup, p: &Path, c: &mut Checker) {
    if let Some(n) = g.count {
        if n < 0 {
            c.at(p, "count", "Task group count can't be negative");
        } else if job.is_system_like() && n > 1 {
            c.at(
                p,
                "count",
                format!(
                    "Job task group {} has count {n}. Count cannot exceed 1 with system scheduler",
                    g.name
                ),
            );
        }
    }
    if g.tasks.is_empty() {
        c.at(p, "task", "Missing tasks for task group");
    }

    placement::check_constraints(&g.constraints, p, false, c);
    if job.is_system_like() && !g.affinities.is_empty() {
        c.at(p, "affinity", "System jobs may not have an affinity block");
    }
    placement::check_affinities(&g.affinities, p, c);
    if job.is_system_like() && !g.spreads.is_empty() {
        c.at(p, "spread", "System jobs may not have a spread block");
    }
    placement::check_spreads(&g.spreads, p, c);

    if let Some(r) = &g.restart_policy {
        policy::check_restart(r, &p.join(["restart"]), c);
    }
    if let Some(r) = &g.reschedule_policy {
        if job.is_system_like() {
            c.at(
                p,
                "reschedule",
                format!(
                    "Job type {:?} does not allow a reschedule block",
                    job.job_type
                ),
            );
        }
        policy::check_reschedule(r, &p.join(["reschedule"]), c);
    }
    if let Some(u) = &g.update {
        if job.job_type == JOB_TYPE_BATCH || job.job_type == JOB_TYPE_SYSBATCH {
            c.at(
                p,
                "update",
                format!("Job type {:?} does not allow update block", job.job_type),
            );
        }
        policy::check_update(u, &p.join(["update"]), c);
    }
    if let Some(m) = &g.migrate {
        policy::check_migrate(m, &p.join(["migrate"]), c);
    }
    if let Some(d) = &g.ephemeral_disk {
        policy::check_ephemeral_disk(d, &p.join(["ephemeral_disk"]), c);
    }

    let labels = network::check_networks(g, p, c);
    service::check_services(&g.services, p, &labels, c);

    for (name, v) in &g.volumes {
        let vp = p.join(["volume", name]);
        if v.volume_type != VOLUME_TYPE_HOST && v.volume_type != VOLUME_TYPE_CSI {
            c.at(
                &vp,
                "type",
                format!("Volume {name:?} has unrecognized type {:?}", v.volume_type),
            );
        }
        if v.source.is_empty() {
            c.at(
                &vp,
                "source",
                format!("Volume {name:?} has an empty source"),
            );
        }
    }

    let mut seen = BTreeSet::new();
    let mut leaders = 0;
    for t in &g.tasks {
        let tp = p.join(["task", &t.name]);
        if !t.name.is_empty() && !seen.insert(t.name.as_str()) {
            c.add(&tp, format!("Task {:?} defined twice", t.name));
        }
        if t.leader {
            leaders += 1;
        }
        task::check_task(job, g, t, &tp, &labels, c);
    }
    if leaders > 1 {
        c.add(p, "Only one task may be marked as leader");
    }
}
