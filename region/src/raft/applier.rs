//! `RaftApplier`: the region server's [`Applier`] backed by Raft. A write is
//! proposed with `client_write` and answered once this member (the leader) has
//! committed and applied it; a follower answers [`RaftNodeError::NotLeader`] with
//! the leader it knows of (forwarding to it is the caller's job).

use std::sync::Arc;

use openraft::error::{ClientWriteError, RaftError};
use tokio::sync::watch;

use super::shared::SharedState;
use super::{Raft, RaftNodeError, Result};
use crate::server::{Applier, BoxFuture, RegionError};
use crate::state::{Command, CommandResult, StateSnapshot};

/// Writes through Raft, reads the local state store.
#[derive(Clone)]
pub struct RaftApplier {
    raft: Raft,
    shared: Arc<SharedState>,
}

impl RaftApplier {
    /// Writes through `raft`, whose state machine applies to `shared`.
    pub fn new(raft: Raft, shared: Arc<SharedState>) -> Self {
        Self { raft, shared }
    }

    /// Commits `cmd`; returns its log index (= state index) and what applying it gave.
    pub async fn write(&self, cmd: Command) -> Result<(u64, CommandResult)> {
        match self.raft.client_write(cmd).await {
            Ok(resp) => Ok((resp.log_id.index, resp.data)),
            Err(RaftError::APIError(ClientWriteError::ForwardToLeader(f))) => {
                Err(RaftNodeError::NotLeader {
                    leader_id: f.leader_id,
                    leader_addr: f.leader_node.map(|n| n.rpc_addr),
                })
            }
            Err(e) => Err(RaftNodeError::Raft(e.to_string())),
        }
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
}
