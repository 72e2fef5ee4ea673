//! Scheduler workers: each takes an evaluation from the broker, waits until the
//! state has caught up with it, runs `scheduler::process_eval` on a blocking thread
//! (the scheduler is synchronous and CPU-bound) and acks or nacks it.
//! `WorkerPlanner` is the scheduler's `Planner`: plans go to the plan applier,
//! evaluation changes through the leader's apply path.

use std::sync::Arc;
use std::time::Duration;

use tokio::runtime::Handle;
use tokio::sync::oneshot;

use crate::scheduler::{self, Planner, RefreshedState, SchedulerContext, SchedulerError};
use crate::state::Command;
use crate::structs::{EVAL_STATUS_BLOCKED, Evaluation, Plan, PlanResult};

use super::clock::{new_id, now_nanos, random_u64};
use super::leader::Leader;
use super::plan_applier::PlanRequest;

/// Scheduler types the workers serve.
const SCHEDULERS: &[&str] = &["service", "batch", "system", "sysbatch"];
/// How long a worker waits for the state to reach an evaluation's index.
const INDEX_WAIT: Duration = Duration::from_secs(5);

/// One worker loop; returns on cancellation.
pub(crate) async fn run(leader: Arc<Leader>, id: usize) {
    loop {
        let token = new_id();
        let Some(eval) = leader.dequeue(SCHEDULERS, &token).await else {
            break;
        };
        tracing::debug!(worker = id, eval_id = %eval.id, job_id = %eval.job_id, "processing evaluation");
        let snap = leader
            .wait_for_index_at_least(eval.modify_index, INDEX_WAIT)
            .await;
        let l = leader.clone();
        let e = eval.clone();
        let t = token.clone();
        let rt = Handle::current();
        let outcome = tokio::task::spawn_blocking(move || {
            let mut planner = WorkerPlanner {
                leader: l,
                token: t,
                rt,
                snapshot_index: snap.latest_index(),
            };
            let mut ctx = SchedulerContext::new(now_nanos(), random_u64());
            scheduler::process_eval(&snap, &mut planner, &e, &mut ctx)
        })
        .await;
        let result = match outcome {
            Ok(r) => r,
            Err(join) => Err(SchedulerError::Planner(format!(
                "scheduler panicked: {join}"
            ))),
        };
        let effects = match result {
            Ok(()) => leader.broker().ack(&eval.id, &token),
            Err(err) => {
                tracing::warn!(eval_id = %eval.id, error = %err, "evaluation failed; nacking");
                leader.broker().nack(&eval.id, &token, now_nanos())
            }
        };
        match effects {
            Ok(effects) => leader.handle_broker_effects(effects),
            Err(e) => tracing::warn!(eval_id = %eval.id, ?e, "ack/nack refused"),
        }
        // An ack may have released another eval of the same job.
        leader.broker_ready.notify_waiters();
    }
}

/// The `Planner` a worker hands the scheduler. Runs on a blocking thread, so it
/// may block on the runtime.
struct WorkerPlanner {
    leader: Arc<Leader>,
    token: String,
    rt: Handle,
    snapshot_index: u64,
}

impl WorkerPlanner {
    fn upsert(&mut self, mut eval: Evaluation) {
        if eval.status == EVAL_STATUS_BLOCKED {
            // What the scheduler saw: capacity freed after it is a missed unblock.
            eval.snapshot_index = eval.snapshot_index.max(self.snapshot_index);
        }
        let now = now_nanos();
        if eval.create_time == 0 {
            eval.create_time = now;
        }
        eval.modify_time = now;
        let leader = self.leader.clone();
        if let Err(e) = self
            .rt
            .block_on(leader.apply(Command::EvalUpsert { evals: vec![eval] }))
        {
            tracing::warn!(error = %e, "evaluation update failed");
        }
    }
}

impl Planner for WorkerPlanner {
    fn submit_plan(
        &mut self,
        mut plan: Plan,
    ) -> scheduler::Result<(PlanResult, Option<RefreshedState>)> {
        plan.eval_token = self.token.clone();
        let (tx, rx) = oneshot::channel();
        self.leader
            .plan_tx
            .blocking_send(PlanRequest { plan, reply: tx })
            .map_err(|_| SchedulerError::Planner("plan applier stopped".into()))?;
        let result = rx
            .blocking_recv()
            .map_err(|_| SchedulerError::Planner("plan applier dropped the plan".into()))?
            .map_err(|e| SchedulerError::Planner(e.to_string()))?;
        if result.refresh_index == 0 {
            return Ok((result, None));
        }
        let leader = self.leader.clone();
        let snap = self
            .rt
            .block_on(leader.wait_for_index_at_least(result.refresh_index, INDEX_WAIT));
        self.snapshot_index = snap.latest_index();
        Ok((result, Some(Box::new(snap))))
    }

    fn update_eval(&mut self, eval: Evaluation) {
        self.upsert(eval);
    }

    fn create_eval(&mut self, eval: Evaluation) {
        self.upsert(eval);
    }

    fn reblock_eval(&mut self, eval: Evaluation) {
        self.upsert(eval);
    }
}
