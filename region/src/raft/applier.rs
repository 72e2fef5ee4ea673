//! `RaftApplier`: the region server's [`Applier`] backed by Raft. A write is
//! proposed through the node's write batcher (concurrent writes share a log
//! entry, see `batch.rs`) and answered once this member (the leader) has
//! committed and applied it; a follower answers [`RaftNodeError::NotLeader`] with
//! the leader it knows of (forwarding to it is the caller's job).

use std::collections::BTreeSet;
use std::sync::{Arc, OnceLock};

use openraft::ChangeMembers;
use openraft::error::{ClientWriteError, RaftError};
use tokio::sync::watch;

use super::batch::{BatchLimits, WriteBatcher};
use super::shared::SharedState;
use super::{Raft, RaftNodeError, Result};
use crate::server::{Applier, BoxFuture, RegionError};
use crate::state::{Command, CommandResult, StateSnapshot};

/// Writes through Raft, reads the local state store.
#[derive(Clone)]
pub struct RaftApplier {
    raft: Raft,
    shared: Arc<SharedState>,
    /// From the node's leadership task (`RaftNode::start`); true while this member leads.
    leading: watch::Receiver<bool>,
    /// Started on the first write (that one runs inside the runtime).
    batcher: Arc<OnceLock<WriteBatcher>>,
    limits: BatchLimits,
}

impl RaftApplier {
    /// Writes through `raft`, whose state machine applies to `shared`; `leading`
    /// follows this member's leadership.
    pub fn new(raft: Raft, shared: Arc<SharedState>, leading: watch::Receiver<bool>) -> Self {
        Self {
            raft,
            shared,
            leading,
            batcher: Arc::new(OnceLock::new()),
            limits: BatchLimits::default(),
        }
    }

    /// Like [`RaftApplier::new`], batching with every applier that shares `batcher`.
    pub(super) fn with_batcher(
        raft: Raft,
        shared: Arc<SharedState>,
        leading: watch::Receiver<bool>,
        batcher: Arc<OnceLock<WriteBatcher>>,
        limits: BatchLimits,
    ) -> Self {
        Self {
            raft,
            shared,
            leading,
            batcher,
            limits,
        }
    }

    /// Commits `cmd`; returns its log index (= state index) and what applying it gave.
    /// Concurrent writes through this applier (and its clones) share log entries.
    pub async fn write(&self, cmd: Command) -> Result<(u64, CommandResult)> {
        self.batcher
            .get_or_init(|| WriteBatcher::spawn(self.raft.clone(), self.limits))
            .write(cmd)
            .await
    }
}

impl Applier for RaftApplier {
    fn apply(
        &self,
        cmd: Command,
    ) -> BoxFuture<'_, std::result::Result<(u64, CommandResult), RegionError>> {
        Box::pin(async move { self.write(cmd).await.map_err(RegionError::from) })
    }

    fn snapshot(&self) -> StateSnapshot {
        self.shared.snapshot()
    }

    fn subscribe(&self) -> watch::Receiver<u64> {
        self.shared.subscribe()
    }

    fn leadership(&self) -> watch::Receiver<bool> {
        self.leading.clone()
    }

    fn barrier(&self) -> BoxFuture<'_, std::result::Result<(), RegionError>> {
        Box::pin(async move {
            self.raft
                .ensure_linearizable()
                .await
                .map(|_| ())
                .map_err(|e| RegionError::from(RaftNodeError::Raft(e.to_string())))
        })
    }

    fn leader_addr(&self) -> Option<String> {
        let m = self.raft.metrics().borrow().clone();
        let id = m.current_leader?;
        m.membership_config
            .membership()
            .get_node(&id)
            .map(|n| n.rpc_addr.clone())
    }

    fn peers(&self) -> Vec<String> {
        let m = self.raft.metrics().borrow().clone();
        let membership = m.membership_config.membership();
        membership
            .voter_ids()
            .filter_map(|id| membership.get_node(&id).map(|n| n.rpc_addr.clone()))
            .collect()
    }

    fn raft_servers(&self) -> Vec<(u64, String, bool)> {
        let m = self.raft.metrics().borrow().clone();
        let membership = m.membership_config.membership();
        let voters: std::collections::BTreeSet<u64> = membership.voter_ids().collect();
        membership
            .nodes()
            .map(|(id, n)| (*id, n.rpc_addr.clone(), voters.contains(id)))
            .collect()
    }

    fn remove_peer(&self, id: u64) -> BoxFuture<'_, std::result::Result<(), RegionError>> {
        Box::pin(async move {
            let membership = self
                .raft
                .metrics()
                .borrow()
                .membership_config
                .membership()
                .clone();
            if membership.get_node(&id).is_none() {
                return Err(RegionError::NotFound(format!(
                    "id \"{id}\" was not found in the Raft configuration"
                )));
            }
            let change = if membership.voter_ids().any(|v| v == id) {
                ChangeMembers::RemoveVoters(BTreeSet::from([id]))
            } else {
                ChangeMembers::RemoveNodes(BTreeSet::from([id]))
            };
            match self.raft.change_membership(change, false).await {
                Ok(_) => Ok(()),
                Err(RaftError::APIError(ClientWriteError::ForwardToLeader(_))) => {
                    Err(RegionError::NoLeader)
                }
                Err(e) => Err(RegionError::from(RaftNodeError::Raft(e.to_string()))),
            }
        })
    }

    fn last_contact_ms(&self) -> Option<u64> {
        let m = self.raft.metrics().borrow().clone();
        if m.current_leader == Some(m.id) {
            return Some(0);
        }
        // openraft 0.9 reports quorum acks only on the leader; a follower that knows
        // a leader in the current term heard from it within an election timeout.
        m.current_leader
            .map(|_| m.millis_since_quorum_ack.unwrap_or(0))
    }
}
