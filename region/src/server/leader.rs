//! `Leader`: the shared core of a running region server. It owns the applier and
//! the leader-only cores (eval broker, blocked evals, heartbeat tracker) behind
//! short-lived locks, and is the one place that reacts to committed commands:
//!
//! * pending evaluations -> eval broker (workers are woken through `broker_ready`);
//! * blocked evaluations -> blocked set; a successful one untracks its job;
//! * capacity changes (node ready, allocation finished) -> unblock evaluations.
//!
//! Held by: `RegionHandle` (requests), workers, the plan applier and the timer loop.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use tokio::sync::{Notify, mpsc};
use tokio_util::sync::CancellationToken;

use crate::state::{Command, CommandResult, StateSnapshot};
use crate::structs::{
    EVAL_STATUS_BLOCKED, EVAL_STATUS_CANCELLED, EVAL_STATUS_COMPLETE, EVAL_STATUS_FAILED,
    EVAL_STATUS_PENDING, EVAL_TRIGGER_FAILED_FOLLOW_UP, Evaluation, NODE_STATUS_READY,
};

use super::applier::Applier;
use super::blocked::{BlockedEffect, BlockedEvals};
use super::broker::{BrokerEffect, EvalBroker};
use super::clock::{new_id, now_nanos, random_fraction};
use super::config::ServerConfig;
use super::error::{RegionError, Result};
use super::heartbeat::HeartbeatTracker;
use super::plan_applier::PlanRequest;

/// Shared state of a running region server.
pub(crate) struct Leader {
    pub applier: Arc<dyn Applier>,
    pub config: ServerConfig,
    broker: Mutex<EvalBroker>,
    /// Woken whenever an evaluation becomes ready (workers wait on it).
    pub broker_ready: Notify,
    blocked: Mutex<BlockedEvals>,
    heartbeats: Mutex<HeartbeatTracker>,
    /// To the plan applier task.
    pub plan_tx: mpsc::Sender<PlanRequest>,
    /// To the timer loop, which applies follow-up commands (cancel/fail evals)
    /// outside of the lock holders that produced them.
    bg_tx: mpsc::UnboundedSender<Command>,
    pub cancel: CancellationToken,
    /// True while this server holds leadership and its duties run (see `leadership`).
    leading: AtomicBool,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    // A panic while holding one of these locks leaves consistent data (each
    // method is a handful of map operations), so keep serving.
    m.lock().unwrap_or_else(|p| p.into_inner())
}

impl Leader {
    pub fn new(
        applier: Arc<dyn Applier>,
        config: ServerConfig,
        plan_tx: mpsc::Sender<PlanRequest>,
        bg_tx: mpsc::UnboundedSender<Command>,
        cancel: CancellationToken,
    ) -> Self {
        Self {
            broker: Mutex::new(EvalBroker::new(
                config.eval_nack_timeout,
                config.eval_delivery_limit,
            )),
            blocked: Mutex::new(BlockedEvals::new()),
            heartbeats: Mutex::new(HeartbeatTracker::new(
                config.min_heartbeat_ttl,
                config.max_heartbeats_per_second,
                config.heartbeat_grace,
            )),
            broker_ready: Notify::new(),
            applier,
            config,
            plan_tx,
            bg_tx,
            cancel,
            leading: AtomicBool::new(false),
        }
    }

    /// Whether leader duties run on this server now.
    pub fn is_leader(&self) -> bool {
        self.leading.load(Ordering::Acquire)
    }

    /// Starts leader duties: fresh cores restored from the (fully applied) state.
    pub fn establish(&self) {
        self.reset_cores();
        self.restore();
        self.leading.store(true, Ordering::Release);
        self.broker_ready.notify_waiters();
    }

    /// Stops leader duties: the cores are emptied so that workers and timers idle,
    /// and plans of evaluations dequeued before are refused as not outstanding.
    pub fn revoke(&self) {
        self.leading.store(false, Ordering::Release);
        self.reset_cores();
    }

    fn reset_cores(&self) {
        *self.broker() = EvalBroker::new(
            self.config.eval_nack_timeout,
            self.config.eval_delivery_limit,
        );
        *self.blocked() = BlockedEvals::new();
        *self.heartbeats() = HeartbeatTracker::new(
            self.config.min_heartbeat_ttl,
            self.config.max_heartbeats_per_second,
            self.config.heartbeat_grace,
        );
    }

    pub fn broker(&self) -> MutexGuard<'_, EvalBroker> {
        lock(&self.broker)
    }

    pub fn heartbeats(&self) -> MutexGuard<'_, HeartbeatTracker> {
        lock(&self.heartbeats)
    }

    pub fn blocked(&self) -> MutexGuard<'_, BlockedEvals> {
        lock(&self.blocked)
    }

    /// Applies a command, then routes what it changed (see the module docs).
    /// A command the state refused becomes `RegionError::State`.
    pub async fn apply(&self, cmd: Command) -> Result<u64> {
        self.apply_with_result(cmd).await.map(|(index, _)| index)
    }

    /// Like [`Leader::apply`], returning the command's result too.
    pub async fn apply_with_result(&self, cmd: Command) -> Result<(u64, CommandResult)> {
        if self.cancel.is_cancelled() {
            return Err(RegionError::ShuttingDown);
        }
        // What routing needs, taken before the command moves into the log (a plan's
        // allocations are not copied for it).
        let evals: Vec<Evaluation> = cmd.evals().into_iter().cloned().collect();
        let capacity = CapacityHint::of(&cmd);
        let (index, result) = self.applier.apply(cmd).await?;
        if let CommandResult::Rejected(e) = result {
            return Err(e.into());
        }
        self.after_apply(&evals, &capacity, index);
        Ok((index, result))
    }

    fn after_apply(&self, evals: &[Evaluation], capacity: &CapacityHint, index: u64) {
        let now = now_nanos();
        let snap = self.applier.snapshot();
        for eval in evals {
            // Route the stored copy: it carries the indexes apply assigned.
            let stored = snap
                .eval_by_id(&eval.id)
                .map(|e| (*e).clone())
                .unwrap_or_else(|| eval.clone());
            self.route_eval(stored, now);
        }
        for class in capacity.classes(&snap) {
            let effects = self.blocked().unblock(&class, index);
            self.handle_blocked_effects(effects, now);
        }
    }

    fn route_eval(&self, eval: Evaluation, now: i64) {
        match eval.status.as_str() {
            EVAL_STATUS_PENDING => {
                self.broker().enqueue(eval, now);
                self.broker_ready.notify_waiters();
            }
            EVAL_STATUS_BLOCKED => {
                let effects = self.blocked().block(eval);
                self.handle_blocked_effects(effects, now);
            }
            EVAL_STATUS_COMPLETE if eval.failed_tg_allocs.is_empty() => {
                self.blocked().untrack(&eval.namespace, &eval.job_id);
            }
            _ => {}
        }
    }

    fn handle_blocked_effects(&self, effects: Vec<BlockedEffect>, now: i64) {
        let mut cancel = Vec::new();
        for effect in effects {
            match effect {
                BlockedEffect::Enqueue(e) => {
                    self.broker().enqueue(e, now);
                    self.broker_ready.notify_waiters();
                }
                BlockedEffect::Cancel(e) => cancel.push(e),
            }
        }
        self.spawn_mark(
            cancel,
            EVAL_STATUS_CANCELLED,
            "canceled: superseded by a newer blocked eval",
        );
    }

    /// Acts on broker effects: failed evaluations are marked failed and get a
    /// delayed `failed-follow-up` evaluation; superseded ones are canceled.
    pub fn handle_broker_effects(&self, effects: Vec<BrokerEffect>) {
        let (mut failed, mut cancel) = (Vec::new(), Vec::new());
        for effect in effects {
            match effect {
                BrokerEffect::Failed(e) => failed.push(e),
                BrokerEffect::Cancel(e) => cancel.push(e),
            }
        }
        self.spawn_mark(
            cancel,
            EVAL_STATUS_CANCELLED,
            "canceled after more recent eval was processed",
        );
        if failed.is_empty() {
            return;
        }
        let now = now_nanos();
        let mut evals = Vec::new();
        for mut e in failed {
            let follow = Evaluation {
                id: new_id(),
                namespace: e.namespace.clone(),
                priority: e.priority,
                eval_type: e.eval_type.clone(),
                triggered_by: EVAL_TRIGGER_FAILED_FOLLOW_UP.into(),
                job_id: e.job_id.clone(),
                status: EVAL_STATUS_PENDING.into(),
                previous_eval: e.id.clone(),
                wait_until: Some(crate::state::rfc3339(
                    now + self.config.eval_failed_followup_delay,
                )),
                create_time: now,
                modify_time: now,
                ..Default::default()
            };
            e.status = EVAL_STATUS_FAILED.into();
            e.status_description = format!(
                "evaluation reached delivery limit ({})",
                self.config.eval_delivery_limit
            );
            e.next_eval = follow.id.clone();
            e.modify_time = now;
            evals.push(e);
            evals.push(follow);
        }
        self.spawn_apply(Command::EvalUpsert { evals });
    }

    fn spawn_mark(&self, evals: Vec<Evaluation>, status: &str, why: &str) {
        if evals.is_empty() {
            return;
        }
        let now = now_nanos();
        let evals = evals
            .into_iter()
            .map(|mut e| {
                e.status = status.to_string();
                e.status_description = why.to_string();
                e.modify_time = now;
                e
            })
            .collect();
        self.spawn_apply(Command::EvalUpsert { evals });
    }

    /// Queues a command for the timer loop to apply (and route) in the background.
    fn spawn_apply(&self, cmd: Command) {
        if self.bg_tx.send(cmd).is_err() {
            tracing::debug!("background command dropped: server stopping");
        }
    }

    /// On becoming leader: pending evaluations go back to the broker, blocked ones
    /// to the blocked set, and every live node gets a fresh heartbeat deadline
    /// (Nomad's `restoreEvals` and `initializeHeartbeatTimers`).
    pub fn restore(&self) {
        let snap = self.snapshot();
        let now = now_nanos();
        for eval in snap.evals() {
            if matches!(
                eval.status.as_str(),
                EVAL_STATUS_PENDING | EVAL_STATUS_BLOCKED
            ) {
                self.route_eval((*eval).clone(), now);
            }
        }
        let mut hb = self.heartbeats();
        for node in snap.nodes() {
            if !node.terminal_status() {
                hb.reset(&node.id, now, random_fraction());
            }
        }
    }

    /// The latest state.
    pub fn snapshot(&self) -> StateSnapshot {
        self.applier.snapshot()
    }

    /// Waits until the applied index is at least `index` (or `timeout` passes) and
    /// returns the state then.
    pub async fn wait_for_index_at_least(&self, index: u64, timeout: Duration) -> StateSnapshot {
        let mut rx = self.applier.subscribe();
        if *rx.borrow() < index {
            let _ = tokio::time::timeout(timeout, rx.wait_for(|i| *i >= index)).await;
        }
        self.applier.snapshot()
    }

    /// Waits for a ready evaluation of one of `types`; `None` on shutdown.
    pub async fn dequeue(&self, types: &[&str], token: &str) -> Option<Evaluation> {
        loop {
            let notified = self.broker_ready.notified();
            tokio::pin!(notified);
            notified.as_mut().enable();
            if let Some(e) = self.broker().dequeue(types, token, now_nanos()) {
                return Some(e);
            }
            tokio::select! {
                _ = &mut notified => {}
                _ = self.cancel.cancelled() => return None,
            }
        }
    }
}

/// Where a command may have freed or added capacity: a node that is ready after it, or
/// the nodes of allocations that reached a terminal client status.
enum CapacityHint {
    None,
    Node(String),
    Allocs(Vec<String>),
}

impl CapacityHint {
    fn of(cmd: &Command) -> Self {
        match cmd {
            Command::NodeRegister { node, .. } if node.status == NODE_STATUS_READY => {
                Self::Node(node.id.clone())
            }
            Command::NodeUpdateStatus {
                node_id, status, ..
            } if status == NODE_STATUS_READY => Self::Node(node_id.clone()),
            Command::AllocClientUpdate { allocs, .. } => Self::Allocs(
                allocs
                    .iter()
                    .filter(|a| a.client_terminal_status())
                    .map(|a| a.id.clone())
                    .collect(),
            ),
            _ => Self::None,
        }
    }

    /// Computed classes whose capacity grew, read from the state after the command.
    fn classes(&self, snap: &StateSnapshot) -> Vec<String> {
        let class_of = |node_id: &str| snap.node_by_id(node_id).map(|n| n.computed_class.clone());
        let mut classes: Vec<String> = match self {
            Self::None => Vec::new(),
            Self::Node(id) => class_of(id).into_iter().collect(),
            Self::Allocs(ids) => ids
                .iter()
                .filter_map(|id| snap.alloc_by_id(id))
                .filter_map(|a| class_of(&a.node_id))
                .collect(),
        };
        classes.sort();
        classes.dedup();
        classes
    }
}
