//! Node family: `NodeRegister` and `NodeUpdateStatus`.

use std::sync::Arc;

use crate::state::command::CommandResult;
use crate::state::error::{Result, StateError};
use crate::state::tables::Table;
use crate::state::{MAX_RETAINED_NODE_EVENTS, rfc3339};
use crate::structs::{Evaluation, NODE_STATUS_DOWN, Node, NodeEvent};

use super::{Ctx, eval};

/// Registers a node. A known node keeps its drain state, eligibility and events
/// (the client does not own those); a new one gets a "Node registered" event.
pub(super) fn register(
    ctx: &mut Ctx<'_>,
    node: &Node,
    evals: &[Evaluation],
) -> Result<CommandResult> {
    if node.id.is_empty() {
        return Err(StateError::Invalid("node without an ID".into()));
    }
    let mut n = node.clone();
    match ctx.t.nodes.get(n.id.as_str()) {
        Some(existing) => {
            n.create_index = existing.create_index;
            n.events = existing.events.clone();
            if existing.status == NODE_STATUS_DOWN && n.status != NODE_STATUS_DOWN {
                let e = event("Node re-registered", n.status_updated_at, ctx.index);
                push_event(&mut n, e);
            }
            n.drain = existing.drain;
            n.drain_strategy = existing.drain_strategy.clone();
            n.scheduling_eligibility = existing.scheduling_eligibility.clone();
            n.last_drain = existing.last_drain.clone();
        }
        None => {
            n.create_index = ctx.index;
            n.events = vec![event("Node registered", n.status_updated_at, ctx.index)];
        }
    }
    n.modify_index = ctx.index;
    ctx.t.put_node(Arc::new(n));
    ctx.t.touch(Table::Nodes, ctx.index);
    for e in evals {
        eval::upsert(ctx, e);
    }
    Ok(CommandResult::Applied)
}

/// Sets a node's status (and records `event`).
pub(super) fn update_status(
    ctx: &mut Ctx<'_>,
    node_id: &str,
    status: &str,
    updated_at: i64,
    ev: Option<&NodeEvent>,
    evals: &[Evaluation],
) -> Result<CommandResult> {
    let Some(existing) = ctx.t.nodes.get(node_id) else {
        return Err(StateError::NodeNotFound(node_id.to_string()));
    };
    let mut n = (**existing).clone();
    n.status = status.to_string();
    n.status_updated_at = updated_at;
    if let Some(e) = ev {
        let mut e = e.clone();
        e.create_index = ctx.index;
        push_event(&mut n, e);
    }
    n.modify_index = ctx.index;
    ctx.t.put_node(Arc::new(n));
    ctx.t.touch(Table::Nodes, ctx.index);
    for e in evals {
        eval::upsert(ctx, e);
    }
    Ok(CommandResult::Applied)
}

fn event(message: &str, unix_secs: i64, index: u64) -> NodeEvent {
    NodeEvent {
        message: message.to_string(),
        subsystem: "Cluster".to_string(),
        timestamp: Some(rfc3339(unix_secs.saturating_mul(1_000_000_000))),
        create_index: index,
        ..Default::default()
    }
}

fn push_event(n: &mut Node, e: NodeEvent) {
    n.events.push(e);
    if n.events.len() > MAX_RETAINED_NODE_EVENTS {
        let extra = n.events.len() - MAX_RETAINED_NODE_EVENTS;
        n.events.drain(..extra);
    }
}
