//! Evaluation family: `EvalUpsert`, and the upsert used by every command that
//! carries evaluations.

use std::sync::Arc;

use crate::state::command::CommandResult;
use crate::state::error::Result;
use crate::state::job_status;
use crate::state::tables::{Table, job_key};
use crate::structs::{
    EVAL_STATUS_BLOCKED, EVAL_STATUS_CANCELLED, EVAL_STATUS_COMPLETE, Evaluation,
};

use super::Ctx;

pub(super) fn upsert_all(ctx: &mut Ctx<'_>, evals: &[Evaluation]) -> Result<CommandResult> {
    for e in evals {
        upsert(ctx, e);
    }
    Ok(CommandResult::Applied)
}

/// Inserts or updates one evaluation. Its `QueuedAllocations` become the job
/// summary's Queued counts; a successful evaluation (complete, nothing failed)
/// cancels the job's other blocked evaluations, as Nomad does.
pub(super) fn upsert(ctx: &mut Ctx<'_>, eval: &Evaluation) {
    let mut e = eval.clone();
    match ctx.t.evals.get(e.id.as_str()) {
        Some(existing) => {
            e.create_index = existing.create_index;
            if e.create_time == 0 {
                e.create_time = existing.create_time;
            }
        }
        None => e.create_index = ctx.index,
    }
    e.modify_index = ctx.index;
    let key = job_key(&e.namespace, &e.job_id);
    job_status::update_queued(ctx.t, ctx.index, &key, &e.queued_allocations);
    if e.status == EVAL_STATUS_COMPLETE && e.failed_tg_allocs.is_empty() {
        for other in ctx.t.job_evals(&key) {
            if other.id != e.id && other.status == EVAL_STATUS_BLOCKED {
                let mut c = (*other).clone();
                c.status = EVAL_STATUS_CANCELLED.to_string();
                c.status_description = format!("evaluation {:?} successful", e.id);
                c.modify_index = ctx.index;
                c.modify_time = e.modify_time;
                ctx.t.put_eval(Arc::new(c));
            }
        }
    }
    ctx.t.put_eval(Arc::new(e));
    ctx.t.touch(Table::Evals, ctx.index);
    ctx.touched_jobs.insert(key);
}
