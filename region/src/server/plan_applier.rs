//! The plan applier: one task that takes the workers' plans, re-checks them against the newest
//! state (`plan_eval`) and commits the accepted part.
//!
//! Plans that queued up while the previous commit was in flight are taken together as a group:
//! each is checked in turn against the newest state plus what the plans before it in the group
//! would commit (`check_group`), so no node is promised twice, and then all of the group's
//! commands are proposed at once, in that order (the Raft batcher puts them in as few entries as
//! it can; an entry that commits implies every earlier one did). The applier waits for the
//! group's commits before it checks the next group against the state they made.
//! Workers hold the sending end (`Leader::plan_tx`) and wait on the oneshot.

use std::sync::Arc;

use tokio::sync::{mpsc, oneshot};

use crate::state::{Command, PlanResults, StateSnapshot, StateStore};
use crate::structs::{Plan, PlanResult};

use super::clock::now_nanos;
use super::error::{RegionError, Result};
use super::leader::Leader;
use super::plan_eval::evaluate_plan;

/// Most plans checked and proposed together (bounds the Raft entries a group makes).
const MAX_GROUP: usize = 8;

/// A plan and where to send its result.
pub(crate) struct PlanRequest {
    pub plan: Plan,
    pub reply: oneshot::Sender<Result<PlanResult>>,
}

/// Runs until cancelled or every sender is gone.
pub(crate) async fn run(leader: Arc<Leader>, mut rx: mpsc::Receiver<PlanRequest>) {
    loop {
        let first = tokio::select! {
            _ = leader.cancel.cancelled() => break,
            req = rx.recv() => match req { Some(r) => r, None => break },
        };
        let mut group = vec![first];
        while group.len() < MAX_GROUP {
            match rx.try_recv() {
                Ok(r) => group.push(r),
                Err(_) => break,
            }
        }
        apply_group(&leader, group).await;
    }
}

async fn apply_group(leader: &Leader, group: Vec<PlanRequest>) {
    let (mut plans, mut replies) = (Vec::new(), Vec::new());
    for req in group {
        if leader
            .broker()
            .outstanding(&req.plan.eval_id, &req.plan.eval_token)
        {
            plans.push(req.plan);
            replies.push(req.reply);
        } else {
            let err = RegionError::Internal(format!(
                "plan for evaluation {:?} is not outstanding",
                req.plan.eval_id
            ));
            // The worker may have given up; nothing to do then.
            let _ = req.reply.send(Err(err));
        }
    }
    if plans.is_empty() {
        return;
    }
    let snap = leader.snapshot();
    let (results, cmds): (Vec<_>, Vec<_>) =
        check_group(&snap, &plans, now_nanos()).into_iter().unzip();
    // Proposed in order: `join_all` polls each future once, in order, before any waits.
    let commits = cmds.into_iter().map(|cmd| async move {
        match cmd {
            Some(cmd) => leader.apply(Command::ApplyPlanResults(cmd)).await.map(Some),
            None => Ok(None),
        }
    });
    let outcomes = futures_util::future::join_all(commits).await;
    // A plan that commits nothing was checked against the commits before it in the group.
    let mut seen = snap.latest_index();
    for ((mut result, outcome), reply) in results.into_iter().zip(outcomes).zip(replies) {
        let out = outcome.map(|index| {
            let index = index.unwrap_or(seen);
            seen = seen.max(index);
            result.alloc_index = index;
            if result.refresh_index != 0 {
                result.refresh_index = index;
            }
            result
        });
        let _ = reply.send(out);
    }
}

/// Checks `plans` in order against `snap`, each also against what the ones before it would
/// commit; returns each plan's result and command (`None`: nothing to commit). Pure.
pub(crate) fn check_group(
    snap: &StateSnapshot,
    plans: &[Plan],
    now: i64,
) -> Vec<(PlanResult, Option<PlanResults>)> {
    let mut out = Vec::with_capacity(plans.len());
    let mut overlay: Option<StateStore> = None;
    for (i, plan) in plans.iter().enumerate() {
        let view = overlay
            .as_ref()
            .map_or_else(|| snap.clone(), StateStore::snapshot);
        let (result, cmd) = evaluate_plan(&view, plan, now);
        if let Some(cmd) = &cmd
            && i + 1 < plans.len()
        {
            // What the commit will do, for the plans after this one (a command the state
            // refuses changes nothing here either).
            let store = overlay.get_or_insert_with(|| StateStore::restore(snap));
            let index = store.latest_index() + 1;
            store.apply_plan_results(index, cmd);
        }
        out.push((result, cmd));
    }
    out
}

#[cfg(test)]
#[path = "plan_applier_tests.rs"]
mod tests;
