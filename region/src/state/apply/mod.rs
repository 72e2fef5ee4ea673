//! Dispatch of each [`Command`] to its family's apply function. Each family lives in
//! its own file; this file only dispatches and commits.
//!
//! A command is applied to an O(1) copy of the tables and committed only when it
//! succeeds, so a refused command leaves no partial change behind. After the family
//! function ran, the status of every job it touched is recomputed (Nomad's
//! `setJobStatus`).

mod alloc;
mod eval;
mod job;
mod node;
mod plan;

use std::collections::BTreeSet;

use super::command::{Command, CommandResult};
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
    let mut work = tables.clone();
    let mut ctx = Ctx {
        t: &mut work,
        index,
        touched_jobs: BTreeSet::new(),
    };
    let res: Result<CommandResult> = match cmd {
        Command::JobRegister { job, eval } => job::register(&mut ctx, job, eval.as_ref()),
        Command::JobDeregister {
            namespace,
            job_id,
            purge,
            eval,
            now,
        } => job::deregister(&mut ctx, namespace, job_id, *purge, eval.as_ref(), *now),
        Command::NodeRegister { node, evals } => node::register(&mut ctx, node, evals),
        Command::NodeUpdateStatus {
            node_id,
            status,
            updated_at,
            event,
            evals,
        } => node::update_status(
            &mut ctx,
            node_id,
            status,
            *updated_at,
            event.as_ref(),
            evals,
        ),
        Command::EvalUpsert { evals } => eval::upsert_all(&mut ctx, evals),
        Command::ApplyPlanResults(results) => plan::apply_results(&mut ctx, results),
        Command::AllocClientUpdate { allocs, evals, now } => {
            alloc::client_update(&mut ctx, allocs, evals, *now)
        }
        Command::AllocUpdateDesiredTransition { allocs, evals, now } => {
            alloc::desired_transition(&mut ctx, allocs, evals, *now)
        }
    };
    match res {
        Ok(result) => {
            let touched = std::mem::take(&mut ctx.touched_jobs);
            job_status::refresh(ctx.t, index, &touched);
            work.latest_index = index;
            *tables = work;
            result
        }
        Err(e) => {
            tables.latest_index = index;
            CommandResult::Rejected(e)
        }
    }
}
