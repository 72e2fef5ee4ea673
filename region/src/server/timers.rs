//! The leader's timer loop: on every tick it advances the eval broker (delayed
//! evals due, nack deadlines missed) and the heartbeat tracker (nodes that missed
//! their deadline go `down`, with `node-update` evals so the scheduler replaces
//! their allocations). It also applies the background commands other parts queue
//! (`Leader::spawn_apply`), so that their evaluations are routed like any other.

use std::sync::Arc;

use tokio::sync::mpsc;

use crate::state::Command;
use crate::structs::{NODE_STATUS_DOWN, NodeEvent, SECOND};

use super::clock::now_nanos;
use super::endpoints::node_evals;
use super::leader::Leader;

/// Runs until cancelled.
pub(crate) async fn run(leader: Arc<Leader>, mut bg_rx: mpsc::UnboundedReceiver<Command>) {
    let mut tick = tokio::time::interval(leader.config.tick);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            _ = leader.cancel.cancelled() => break,
            Some(cmd) = bg_rx.recv() => {
                if let Err(e) = leader.apply(cmd).await {
                    tracing::warn!(error = %e, "background command failed");
                }
            }
            _ = tick.tick() => on_tick(&leader).await,
        }
    }
}

async fn on_tick(leader: &Arc<Leader>) {
    if !leader.is_leader() {
        return;
    }
    let now = now_nanos();
    let effects = leader.broker().tick(now);
    leader.handle_broker_effects(effects);
    if leader.broker().ready_len() > 0 {
        leader.broker_ready.notify_waiters();
    }
    let expired = leader.heartbeats().expired(now);
    for node_id in expired {
        mark_down(leader, &node_id, now).await;
    }
}

/// Marks a node `down` after a missed heartbeat.
async fn mark_down(leader: &Arc<Leader>, node_id: &str, now: i64) {
    let snap = leader.snapshot();
    let Some(node) = snap.node_by_id(node_id) else {
        return;
    };
    if node.status == NODE_STATUS_DOWN {
        return;
    }
    tracing::warn!(node_id, "node missed its heartbeat; marking it down");
    let evals = node_evals(&snap, &node, now, false);
    let cmd = Command::NodeUpdateStatus {
        node_id: node_id.to_string(),
        status: NODE_STATUS_DOWN.to_string(),
        updated_at: now / SECOND,
        event: Some(NodeEvent {
            message: "Node heartbeat missed".into(),
            subsystem: "Cluster".into(),
            timestamp: Some(crate::state::rfc3339(now)),
            ..Default::default()
        }),
        evals,
    };
    if let Err(e) = leader.apply(cmd).await {
        tracing::warn!(node_id, error = %e, "could not mark node down");
    }
}
