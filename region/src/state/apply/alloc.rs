//! Allocation family: `AllocClientUpdate`, the client-owned fields of allocations, and
//! `AllocUpdateDesiredTransition`, the servers' requests to move allocations.

use std::collections::BTreeMap;
use std::sync::Arc;

use crate::state::command::CommandResult;
use crate::state::error::{Result, StateError};
use crate::state::job_status;
use crate::state::tables::{Table, job_key};
use crate::structs::{Allocation, DesiredTransition, Evaluation};

use super::{Ctx, eval};

/// Copies what the client owns (`ClientStatus`, `ClientDescription`, `TaskStates`,
/// deployment health) onto the stored allocations. Unknown allocations are skipped
/// (garbage collected meanwhile), as Nomad does.
pub(super) fn client_update(
    ctx: &mut Ctx<'_>,
    allocs: &[Allocation],
    evals: &[Evaluation],
    now: i64,
) -> Result<CommandResult> {
    for update in allocs {
        let Some(existing) = ctx.t.allocs.get(update.id.as_str()).cloned() else {
            continue;
        };
        let mut a = (*existing).clone();
        a.client_status = update.client_status.clone();
        a.client_description = update.client_description.clone();
        a.task_states = update.task_states.clone();
        if let Some(health) = &update.deployment_status {
            let mut ds = a.deployment_status.clone().unwrap_or_default();
            ds.healthy = health.healthy;
            ds.timestamp = health.timestamp.clone();
            ds.modify_index = ctx.index;
            a.deployment_status = Some(ds);
        }
        a.modify_index = ctx.index;
        a.modify_time = now;
        job_status::update_with_alloc(ctx.t, ctx.index, Some(&existing), &a);
        ctx.touched_jobs.insert(job_key(&a.namespace, &a.job_id));
        ctx.t.put_alloc(Arc::new(a));
        ctx.t.touch(Table::Allocs, ctx.index);
    }
    for e in evals {
        eval::upsert(ctx, e);
    }
    Ok(CommandResult::Applied)
}

/// Merges each transition into its allocation (set fields win) and creates the
/// evaluations. An unknown allocation refuses the whole command.
pub(super) fn desired_transition(
    ctx: &mut Ctx<'_>,
    allocs: &BTreeMap<String, DesiredTransition>,
    evals: &[Evaluation],
    now: i64,
) -> Result<CommandResult> {
    // All checked before the first change (see `super`).
    if let Some(id) = allocs
        .keys()
        .find(|id| !ctx.t.allocs.contains_key(id.as_str()))
    {
        return Err(StateError::AllocNotFound(id.clone()));
    }
    for (id, t) in allocs {
        let Some(existing) = ctx.t.allocs.get(id.as_str()).cloned() else {
            continue;
        };
        let mut a = (*existing).clone();
        let d = &mut a.desired_transition;
        d.migrate = t.migrate.or(d.migrate);
        d.reschedule = t.reschedule.or(d.reschedule);
        d.force_reschedule = t.force_reschedule.or(d.force_reschedule);
        d.no_shutdown_delay = t.no_shutdown_delay.or(d.no_shutdown_delay);
        a.modify_index = ctx.index;
        a.modify_time = now;
        ctx.t.put_alloc(Arc::new(a));
        ctx.t.touch(Table::Allocs, ctx.index);
    }
    for e in evals {
        eval::upsert(ctx, e);
    }
    Ok(CommandResult::Applied)
}
