//! Node requests: register, heartbeat (status update); and the `node-update`
//! evaluations that follow a node's change.

use std::collections::BTreeSet;
use std::sync::Arc;

use serde::{Deserialize, Serialize};

use crate::state::{Command, StateSnapshot};
use crate::structs::{
    EVAL_STATUS_PENDING, EVAL_TRIGGER_NODE_UPDATE, Evaluation, NODE_SCHEDULING_ELIGIBLE,
    NODE_STATUS_DOWN, NODE_STATUS_INIT, NODE_STATUS_READY, Node, NodeEvent, SECOND,
};

use super::super::clock::{new_id, now_nanos, random_fraction};
use super::super::error::{RegionError, Result};
use super::super::handle::RegionHandle;
use super::super::node_class::computed_class;

/// Nomad's `NodeUpdateResponse` (what register and heartbeat return).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct NodeUpdateResponse {
    /// Heartbeat again within this long, nanoseconds.
    #[serde(rename = "HeartbeatTTL")]
    pub heartbeat_ttl: i64,
    /// Evaluations created by the change.
    #[serde(rename = "EvalIDs")]
    pub eval_ids: Vec<String>,
    /// Their create index.
    pub eval_create_index: u64,
    /// The node's modify index.
    pub node_modify_index: u64,
    /// Index of the write.
    pub index: u64,
}

/// `node-update` evaluations for a node that changed: one per job with a live
/// allocation there, plus (when the node can take work) every system job.
pub(crate) fn node_evals(
    snap: &StateSnapshot,
    node: &Node,
    now: i64,
    include_system: bool,
) -> Vec<Evaluation> {
    let mut jobs = BTreeSet::new();
    for a in snap.allocs_by_node(&node.id) {
        if !a.terminal_status() {
            jobs.insert((a.namespace.clone(), a.job_id.clone()));
        }
    }
    if include_system {
        for j in snap.jobs() {
            if j.is_system_like() && !j.stop {
                jobs.insert((j.namespace.clone(), j.id.clone()));
            }
        }
    }
    jobs.into_iter()
        .filter_map(|(ns, id)| snap.job_by_id(&ns, &id))
        .map(|job: Arc<_>| Evaluation {
            id: new_id(),
            namespace: job.namespace.clone(),
            priority: job.effective_priority(),
            eval_type: job.job_type.clone(),
            triggered_by: EVAL_TRIGGER_NODE_UPDATE.into(),
            job_id: job.id.clone(),
            node_id: node.id.clone(),
            node_modify_index: node.modify_index,
            status: EVAL_STATUS_PENDING.into(),
            create_time: now,
            modify_time: now,
            ..Default::default()
        })
        .collect()
}

impl RegionHandle {
    /// Registers or re-registers a client node; returns its heartbeat TTL.
    pub async fn node_register(&self, mut node: Node) -> Result<NodeUpdateResponse> {
        if node.id.is_empty() {
            return Err(RegionError::Invalid(
                "missing node ID for client registration".into(),
            ));
        }
        if node.datacenter.is_empty() {
            return Err(RegionError::Invalid(
                "missing datacenter for client registration".into(),
            ));
        }
        if node.secret_id.is_empty() {
            return Err(RegionError::Invalid(
                "missing node secret ID for client registration".into(),
            ));
        }
        let now = now_nanos();
        if node.status.is_empty() {
            node.status = NODE_STATUS_INIT.into();
        }
        if node.scheduling_eligibility.is_empty() {
            node.scheduling_eligibility = NODE_SCHEDULING_ELIGIBLE.into();
        }
        if node.node_pool.is_empty() {
            node.node_pool = crate::structs::DEFAULT_NODE_POOL.into();
        }
        node.computed_class = computed_class(&node);
        node.status_updated_at = now / SECOND;
        let snap = self.snapshot();
        let was_ready = snap
            .node_by_id(&node.id)
            .is_some_and(|n| n.status == NODE_STATUS_READY);
        let evals = if node.status == NODE_STATUS_READY && !was_ready {
            node_evals(&snap, &node, now, true)
        } else {
            Vec::new()
        };
        let eval_ids: Vec<String> = evals.iter().map(|e| e.id.clone()).collect();
        let node_id = node.id.clone();
        let index = self
            .leader
            .apply(Command::NodeRegister { node, evals })
            .await?;
        let ttl = self
            .leader
            .heartbeats()
            .reset(&node_id, now, random_fraction());
        Ok(NodeUpdateResponse {
            heartbeat_ttl: ttl,
            eval_create_index: if eval_ids.is_empty() { 0 } else { index },
            eval_ids,
            node_modify_index: index,
            index,
        })
    }

    /// A heartbeat (Nomad's `Node.UpdateStatus`): resets the node's TTL and sets
    /// its status (a node that was `down` comes back `ready`).
    pub async fn node_update_status(
        &self,
        node_id: &str,
        status: &str,
    ) -> Result<NodeUpdateResponse> {
        let snap = self.snapshot();
        let Some(node) = snap.node_by_id(node_id) else {
            return Err(RegionError::NotFound(format!("node not found: {node_id}")));
        };
        let now = now_nanos();
        let mut index = snap.latest_index();
        let mut eval_ids = Vec::new();
        if node.status != status {
            let evals = if status == NODE_STATUS_READY || status == NODE_STATUS_DOWN {
                node_evals(&snap, &node, now, status == NODE_STATUS_READY)
            } else {
                Vec::new()
            };
            eval_ids = evals.iter().map(|e| e.id.clone()).collect();
            let event =
                (node.status == NODE_STATUS_DOWN && status == NODE_STATUS_READY).then(|| {
                    NodeEvent {
                        message: "Node reregistered by heartbeat".into(),
                        subsystem: "Cluster".into(),
                        timestamp: Some(crate::state::rfc3339(now)),
                        ..Default::default()
                    }
                });
            let cmd = Command::NodeUpdateStatus {
                node_id: node_id.to_string(),
                status: status.to_string(),
                updated_at: now / SECOND,
                event,
                evals,
            };
            index = self.leader.apply(cmd).await?;
        }
        let ttl = if status == NODE_STATUS_DOWN {
            self.leader.heartbeats().remove(node_id);
            0
        } else {
            self.leader
                .heartbeats()
                .reset(node_id, now, random_fraction())
        };
        Ok(NodeUpdateResponse {
            heartbeat_ttl: ttl,
            eval_create_index: if eval_ids.is_empty() { 0 } else { index },
            eval_ids,
            node_modify_index: index,
            index,
        })
    }

    /// A client's periodic heartbeat: keeps the node `ready`; returns the TTL.
    pub async fn node_heartbeat(&self, node_id: &str) -> Result<i64> {
        Ok(self
            .node_update_status(node_id, NODE_STATUS_READY)
            .await?
            .heartbeat_ttl)
    }
}
