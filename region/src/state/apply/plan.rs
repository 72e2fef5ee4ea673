//! Plan family: `ApplyPlanResults`, the committed part of a scheduler's plan (stops,
//! placements and updates, deployment changes, follow-up evaluations).

use std::sync::Arc;

use crate::state::command::{CommandResult, PlanResults};
use crate::state::error::{Result, StateError};
use crate::state::job_status;
use crate::state::tables::{Table, job_key};
use crate::structs::{
    ALLOC_CLIENT_STATUS_LOST, ALLOC_CLIENT_STATUS_PENDING, ALLOC_CLIENT_STATUS_UNKNOWN,
    ALLOC_DESIRED_STATUS_STOP, Allocation, Deployment, Job,
};

use super::{Ctx, eval};

pub(super) fn apply_results(ctx: &mut Ctx<'_>, r: &PlanResults) -> Result<CommandResult> {
    check_jobs(ctx, r)?;
    apply_checked(ctx, r, r.allocs_to_upsert.iter().cloned())
}

/// As [`apply_results`], moving the allocations into the tables instead of copying them (a
/// follower's freshly decoded entry).
pub(super) fn apply_results_owned(ctx: &mut Ctx<'_>, mut r: PlanResults) -> Result<CommandResult> {
    check_jobs(ctx, &r)?;
    let allocs = std::mem::take(&mut r.allocs_to_upsert);
    apply_checked(ctx, &r, allocs.into_iter())
}

fn apply_checked(
    ctx: &mut Ctx<'_>,
    r: &PlanResults,
    allocs: impl Iterator<Item = Allocation>,
) -> Result<CommandResult> {
    stop_allocs(ctx, r);
    upsert_allocs(ctx, r, allocs);
    if let Some(d) = &r.deployment {
        upsert_deployment(ctx, d, r.now);
    }
    for u in &r.deployment_updates {
        if let Some(d) = ctx.t.deployments.get(&u.deployment_id) {
            let mut d = (**d).clone();
            d.status = u.status.clone();
            d.status_description = u.status_description.clone();
            d.modify_index = ctx.index;
            d.modify_time = r.now;
            ctx.t.put_deployment(Arc::new(d));
            ctx.t.touch(Table::Deployments, ctx.index);
        }
    }
    for e in &r.evals {
        eval::upsert(ctx, e);
    }
    Ok(CommandResult::Applied)
}

/// Marks allocations stopped/evicted (and `lost` when their node is gone). Unknown
/// ones are skipped: a stop of an allocation already collected changes nothing.
fn stop_allocs(ctx: &mut Ctx<'_>, r: &PlanResults) {
    for stop in &r.allocs_to_stop {
        let Some(existing) = ctx.t.allocs.get(stop.id.as_str()).cloned() else {
            continue;
        };
        let mut a = (*existing).clone();
        a.desired_status = if stop.desired_status.is_empty() {
            ALLOC_DESIRED_STATUS_STOP.to_string()
        } else {
            stop.desired_status.clone()
        };
        a.desired_description = stop.desired_description.clone();
        if let Some(cs) = &stop.client_status {
            a.client_status = cs.clone();
        }
        if let Some(f) = &stop.followup_eval_id {
            a.followup_eval_id = f.clone();
        }
        a.modify_index = ctx.index;
        a.alloc_modify_index = ctx.index;
        a.modify_time = r.now;
        job_status::update_with_alloc(ctx.t, ctx.index, Some(&existing), &a);
        ctx.touched_jobs.insert(job_key(&a.namespace, &a.job_id));
        ctx.t.put_alloc(Arc::new(a));
        ctx.t.touch(Table::Allocs, ctx.index);
    }
}

/// Refuses the plan, before it changes anything, when an allocation would be stored without a
/// job: it has none, the plan carries none and no stored version of it has one.
fn check_jobs(ctx: &Ctx<'_>, r: &PlanResults) -> Result<()> {
    if r.job.is_some() {
        return Ok(());
    }
    for a in r.allocs_to_upsert.iter().filter(|a| a.job.is_none()) {
        let stored = ctx.t.allocs.get(a.id.as_str());
        if stored.is_none_or(|old| old.job.is_none()) {
            return Err(StateError::Invalid(format!(
                "attempting to upsert allocation {:?} without a job",
                a.id
            )));
        }
    }
    Ok(())
}

/// Inserts placements and updates. An update keeps what the client owns (task
/// states, and the client status unless the scheduler marks it lost/unknown); an
/// allocation without a job gets the plan's; a replacement links its predecessor's
/// `NextAllocation`.
fn upsert_allocs(ctx: &mut Ctx<'_>, r: &PlanResults, allocs: impl Iterator<Item = Allocation>) {
    let plan_job = r.job.as_ref().map(|j| shared_job(ctx, j));
    for mut a in allocs {
        let existing = ctx.t.allocs.get(a.id.as_str()).cloned();
        match &existing {
            Some(old) => {
                a.create_index = old.create_index;
                a.create_time = old.create_time;
                a.task_states = old.task_states.clone();
                if a.client_status != ALLOC_CLIENT_STATUS_LOST
                    && a.client_status != ALLOC_CLIENT_STATUS_UNKNOWN
                {
                    a.client_status = old.client_status.clone();
                    a.client_description = old.client_description.clone();
                }
                if a.job.is_none() {
                    a.job = old.job.clone();
                }
            }
            None => {
                a.create_index = ctx.index;
                if a.create_time == 0 {
                    a.create_time = r.now;
                }
                if a.client_status.is_empty() {
                    a.client_status = ALLOC_CLIENT_STATUS_PENDING.to_string();
                }
            }
        }
        if a.job.is_none() {
            a.job = plan_job.clone();
        }
        debug_assert!(
            a.job.is_some(),
            "check_jobs let a jobless allocation through"
        );
        a.modify_index = ctx.index;
        a.alloc_modify_index = ctx.index;
        a.modify_time = r.now;
        if let Some(ds) = a.deployment_status.as_mut() {
            ds.modify_index = ctx.index;
        }
        job_status::update_with_alloc(ctx.t, ctx.index, existing.as_deref(), &a);
        if !a.previous_allocation.is_empty()
            && let Some(prev) = ctx.t.allocs.get(a.previous_allocation.as_str()).cloned()
            && prev.next_allocation != a.id
        {
            let mut p = (*prev).clone();
            p.next_allocation = a.id.clone();
            p.modify_index = ctx.index;
            ctx.t.put_alloc(Arc::new(p));
        }
        ctx.touched_jobs.insert(job_key(&a.namespace, &a.job_id));
        ctx.t.put_alloc(Arc::new(a));
        ctx.t.touch(Table::Allocs, ctx.index);
    }
}

/// The plan's job, as the job table's copy when that is the same version, so that every
/// allocation of a version shares one job on every server (a follower decodes its own
/// copy from the log entry).
fn shared_job(ctx: &Ctx<'_>, job: &Arc<Job>) -> Arc<Job> {
    match ctx.t.jobs.get(&job_key(&job.namespace, &job.id)) {
        Some(stored) if Arc::ptr_eq(stored, job) || **stored == **job => Arc::clone(stored),
        _ => Arc::clone(job),
    }
}

fn upsert_deployment(ctx: &mut Ctx<'_>, d: &Deployment, now: i64) {
    let mut d = d.clone();
    match ctx.t.deployments.get(&d.id) {
        Some(old) => {
            d.create_index = old.create_index;
            d.create_time = old.create_time;
        }
        None => {
            d.create_index = ctx.index;
            if d.create_time == 0 {
                d.create_time = now;
            }
        }
    }
    d.modify_index = ctx.index;
    d.modify_time = now;
    ctx.t.put_deployment(Arc::new(d));
    ctx.t.touch(Table::Deployments, ctx.index);
}
