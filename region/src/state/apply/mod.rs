//! Dispatch of each [`Command`] to its family's apply function. Each family lives in
//! its own file; this file only dispatches and commits.
//!
//! A command is applied to the tables in place. Every family function refuses a command
//! before its first change (it checks first, then writes), so a refused command leaves
//! no partial change behind. In place, because a copy to roll back to would share every
//! B-tree node with the live tables: each command's first write to a node would copy it,
//! which was a large part of applying a plan (readers' snapshots are unaffected either way:
//! they hold their own O(1) copies). After the family function ran, the status of every job
//! it touched is recomputed (Nomad's `setJobStatus`).

mod alloc;
mod eval;
mod job;
mod node;
mod plan;

use std::collections::BTreeSet;

use super::command::{Command, CommandResult, PlanResults};
use super::error::Result;
use super::job_status;
use super::tables::{JobKey, Tables};

/// What one apply works on.
pub(super) struct Ctx<'a> {
    pub t: &'a mut Tables,
    pub index: u64,
    /// Jobs whose status must be recomputed at the end.
    pub touched_jobs: BTreeSet<JobKey>,
}

pub(super) fn apply(tables: &mut Tables, index: u64, cmd: &Command) -> CommandResult {
    run(tables, index, |ctx| dispatch(ctx, cmd))
}

/// As [`apply`], taking the command: a plan's allocations move into the tables instead of
/// being copied.
pub(super) fn apply_owned(tables: &mut Tables, index: u64, cmd: Command) -> CommandResult {
    match cmd {
        Command::ApplyPlanResults(r) => run(tables, index, |ctx| plan::apply_results_owned(ctx, r)),
        other => apply(tables, index, &other),
    }
}

/// `ApplyPlanResults` without a `Command` around it (the plan applier's overlay, which would
/// otherwise copy the whole plan to wrap it).
pub(super) fn apply_plan_results(
    tables: &mut Tables,
    index: u64,
    results: &PlanResults,
) -> CommandResult {
    run(tables, index, |ctx| plan::apply_results(ctx, results))
}

fn dispatch(ctx: &mut Ctx<'_>, cmd: &Command) -> Result<CommandResult> {
    match cmd {
        Command::JobRegister { job, eval } => job::register(ctx, job, eval.as_ref()),
        Command::JobDeregister {
            namespace,
            job_id,
            purge,
            eval,
            now,
        } => job::deregister(ctx, namespace, job_id, *purge, eval.as_ref(), *now),
        Command::NodeRegister { node, evals } => node::register(ctx, node, evals),
        Command::NodeUpdateStatus {
            node_id,
            status,
            updated_at,
            event,
            evals,
        } => node::update_status(ctx, node_id, status, *updated_at, event.as_ref(), evals),
        Command::EvalUpsert { evals } => eval::upsert_all(ctx, evals),
        Command::ApplyPlanResults(results) => plan::apply_results(ctx, results),
        Command::AllocClientUpdate { allocs, evals, now } => {
            alloc::client_update(ctx, allocs, evals, *now)
        }
        Command::AllocUpdateDesiredTransition { allocs, evals, now } => {
            alloc::desired_transition(ctx, allocs, evals, *now)
        }
    }
}

fn run(
    tables: &mut Tables,
    index: u64,
    f: impl FnOnce(&mut Ctx<'_>) -> Result<CommandResult>,
) -> CommandResult {
    let mut ctx = Ctx {
        t: tables,
        index,
        touched_jobs: BTreeSet::new(),
    };
    match f(&mut ctx) {
        Ok(result) => {
            let touched = std::mem::take(&mut ctx.touched_jobs);
            job_status::refresh(ctx.t, index, &touched);
            ctx.t.latest_index = index;
            result
        }
        Err(e) => {
            ctx.t.latest_index = index;
            CommandResult::Rejected(e)
        }
    }
}
