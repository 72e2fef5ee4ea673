//! Job-level rules: identity, type, priority, datacenters, job-wide blocks, and
//! task-group names.

use std::collections::BTreeSet;

use super::{Checker, Path, group, placement, policy};
use crate::structs::{JOB_TYPES, Job, MAX_PRIORITY, MIN_PRIORITY};

pub(super) fn check_job(job: &Job, p: &Path, c: &mut Checker) {
    if job.id.is_empty() {
        c.at(p, "id", "Missing job ID");
    } else if job.id.contains(' ') {
        c.at(p, "id", "Job ID contains a space");
    } else if job.id.contains('\0') {
        c.at(p, "id", "Job ID contains a null character");
    }
    if job.name.is_empty() {
        c.at(p, "name", "Missing job name");
    } else if job.name.contains('\0') {
        c.at(p, "name", "Job Name contains a null character");
    }
    if job.region.is_empty() {
        c.at(p, "region", "Missing job region");
    }
    if job.namespace.is_empty() {
        c.at(p, "namespace", "Job must be in a namespace");
    }
    if job.job_type.is_empty() {
        c.at(p, "type", "Missing job type");
    } else if !JOB_TYPES.contains(&job.job_type.as_str()) {
        c.at(p, "type", format!("Invalid job type: {:?}", job.job_type));
    }
    if let Some(pri) = job.priority
        && !(MIN_PRIORITY..=MAX_PRIORITY).contains(&pri)
    {
        c.at(
            p,
            "priority",
            format!("Job priority must be between [{MIN_PRIORITY}, {MAX_PRIORITY}]"),
        );
    }
    if job.datacenters.is_empty() {
        c.at(p, "datacenters", "Missing job datacenters");
    } else if job.datacenters.iter().any(String::is_empty) {
        c.at(p, "datacenters", "Job datacenter must be non-empty string");
    }

    placement::check_constraints(&job.constraints, p, false, c);
    if job.is_system_like() && !job.affinities.is_empty() {
        c.at(p, "affinity", "System jobs may not have an affinity block");
    }
    placement::check_affinities(&job.affinities, p, c);
    if job.is_system_like() && !job.spreads.is_empty() {
        c.at(p, "spread", "System jobs may not have a spread block");
    }
    placement::check_spreads(&job.spreads, p, c);

    if let Some(u) = &job.update {
        policy::check_update(u, &p.join(["update"]), c);
    }
    if let Some(m) = &job.migrate {
        policy::check_migrate(m, &p.join(["migrate"]), c);
    }
    if let Some(r) = &job.reschedule {
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
    if let Some(periodic) = &job.periodic {
        policy::check_periodic(periodic, &job.job_type, &p.join(["periodic"]), c);
    }
    if let Some(param) = &job.parameterized_job {
        policy::check_parameterized(param, &job.job_type, &p.join(["parameterized"]), c);
    }

    if job.task_groups.is_empty() {
        c.at(p, "group", "Missing job task groups");
    }
    let mut seen = BTreeSet::new();
    for (i, g) in job.task_groups.iter().enumerate() {
        let gp = p.join(["group", &g.name]);
        if g.name.is_empty() {
            c.add(&gp, format!("Job task group {} missing name", i + 1));
        } else if !seen.insert(g.name.as_str()) {
            c.add(&gp, format!("Job task group {:?} redefined", g.name));
        }
        group::check_group(job, g, &gp, c);
    }
}
