//! The scheduler: a pure function from (state snapshot, evaluation) to a plan.
//!
//! It reads only through [`State`] and writes only through [`Planner`]; it never
//! touches a clock, the network or an OS random source (all in
//! [`SchedulerContext`]). Flow for service and batch jobs, as Nomad's generic
//! scheduler:
//!
//! ```text
//! eval -> reconcile (desired vs existing allocs: place/stop/update/lost/reschedule)
//!      -> for each placement: feasibility (datacenter, drivers, constraints)
//!                             -> ranking (BestFit-v3 binpack, job anti-affinity)
//!      -> plan -> Planner::submit_plan (retry on partial commit)
//!      -> eval status; blocked eval for what did not fit; follow-up evals
//! ```

mod context;
mod error;
mod traits;

pub use context::*;
pub use error::*;
pub use traits::*;

pub mod diff;
pub mod feasible;
pub mod generic;
#[cfg(test)]
mod generic_tests;
mod plan_ctx;
pub mod plan_job;
#[cfg(test)]
mod plan_tests;
pub mod rank;
pub mod reconcile;
pub mod reschedule;
pub mod resources;
pub mod testing;
mod time;
pub mod update;

pub use diff::JobDiff;
pub use plan_ctx::{PlanCtx, ProposedTotals};
pub use plan_job::{JobPlanResult, plan_job};
pub use time::rfc3339;

use crate::structs::{Evaluation, JOB_TYPE_BATCH, JOB_TYPE_SERVICE};

/// Processes one evaluation: reads `state`, submits plans and eval updates to
/// `planner`. Dispatches on the evaluation's type (the job's scheduler).
pub fn process_eval(
    state: &dyn State,
    planner: &mut dyn Planner,
    eval: &Evaluation,
    ctx: &mut SchedulerContext,
) -> Result<()> {
    match eval.eval_type.as_str() {
        JOB_TYPE_SERVICE | JOB_TYPE_BATCH => generic::process_generic(state, planner, eval, ctx),
        other => Err(SchedulerError::UnknownSchedulerType(other.to_string())),
    }
}
