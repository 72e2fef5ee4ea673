//! The plan applier: one task that takes plans one at a time from the workers,
//! re-checks them against the newest state (`plan_eval`) and commits the accepted
//! part. Serial on purpose: each plan is checked against every plan before it.
//! Workers hold the sending end (`Leader::plan_tx`) and wait on the oneshot.

use std::sync::Arc;

use tokio::sync::{mpsc, oneshot};

use crate::state::Command;
use crate::structs::{Plan, PlanResult};

use super::clock::now_nanos;
use super::error::{RegionError, Result};
use super::leader::Leader;
use super::plan_eval::evaluate_plan;

/// A plan and where to send its result.
pub(crate) struct PlanRequest {
    pub plan: Plan,
    pub reply: oneshot::Sender<Result<PlanResult>>,
}

/// Runs until cancelled or every sender is gone.
pub(crate) async fn run(leader: Arc<Leader>, mut rx: mpsc::Receiver<PlanRequest>) {
    loop {
        let req = tokio::select! {
            _ = leader.cancel.cancelled() => break,
            req = rx.recv() => match req { Some(r) => r, None => break },
        };
        let out = apply_plan(&leader, &req.plan).await;
        // The worker may have given up; nothing to do then.
        let _ = req.reply.send(out);
    }
}

async fn apply_plan(leader: &Leader, plan: &Plan) -> Result<PlanResult> {
    if !leader.broker().outstanding(&plan.eval_id, &plan.eval_token) {
        return Err(RegionError::Internal(format!(
            "plan for evaluation {:?} is not outstanding",
            plan.eval_id
        )));
    }
    let snap = leader.snapshot();
    let (mut result, cmd) = evaluate_plan(&snap, plan, now_nanos());
    match cmd {
        Some(cmd) => {
            let index = leader.apply(Command::ApplyPlanResults(cmd)).await?;
            result.alloc_index = index;
            if result.refresh_index != 0 {
                result.refresh_index = index;
            }
        }
        None => result.alloc_index = snap.latest_index(),
    }
    Ok(result)
}
