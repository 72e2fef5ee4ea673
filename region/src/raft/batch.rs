//! `WriteBatcher`, which gathers concurrent writes into [`CommandBatch`] entries (one or more
//! state-store commands, applied in order at the entry's index).
//!
//! openraft 0.9 hands the log store one entry per `client_write` and waits for
//! that append to be flushed before it looks at the next write, so a write costs
//! a whole fsync on the leader. The batcher keeps at most `in_flight`
//! entries in flight; writes that arrive meanwhile wait in a queue and go out
//! together in the next entry, so one flush (and one `AppendEntries`) carries
//! all of them. A lone writer finds an empty pipeline and is sent at once.

use std::sync::Arc;

use openraft::error::{ClientWriteError, RaftError};
use tokio::sync::{Semaphore, mpsc, oneshot};

use super::{CommandBatch, Raft, RaftNodeError, Result};
use crate::state::{Command, CommandResult};

/// How much the batcher gathers (`RaftOptions::write_batch_max`, `writes_in_flight`).
#[derive(Debug, Clone, Copy)]
pub(super) struct BatchLimits {
    /// Most commands in one log entry (keeps entries, and followers' appends, bounded).
    pub max_batch: usize,
    /// Entries proposed but not yet answered; writes arriving meanwhile are batched.
    pub in_flight: usize,
}

impl Default for BatchLimits {
    fn default() -> Self {
        Self {
            max_batch: 256,
            in_flight: 2,
        }
    }
}

type Reply = oneshot::Sender<Result<(u64, CommandResult)>>;

/// Gathers writes into [`CommandBatch`] entries proposed to the local Raft.
/// Cloning shares the queue; the batching task ends when the last clone is gone.
#[derive(Clone)]
pub(super) struct WriteBatcher {
    tx: mpsc::UnboundedSender<(Command, Reply)>,
}

impl WriteBatcher {
    /// Starts the batching task (needs a Tokio runtime).
    pub(super) fn spawn(raft: Raft, limits: BatchLimits) -> Self {
        let (tx, rx) = mpsc::unbounded_channel();
        tokio::spawn(run(raft, rx, limits));
        Self { tx }
    }

    /// Commits `cmd` (in some batch); its log index and what applying it gave.
    pub(super) async fn write(&self, cmd: Command) -> Result<(u64, CommandResult)> {
        let (reply, rx) = oneshot::channel();
        self.tx.send((cmd, reply)).map_err(|_| stopped())?;
        rx.await.map_err(|_| stopped())?
    }
}

fn stopped() -> RaftNodeError {
    RaftNodeError::Raft("raft is shutting down".into())
}

async fn run(raft: Raft, mut rx: mpsc::UnboundedReceiver<(Command, Reply)>, limits: BatchLimits) {
    let slots = Arc::new(Semaphore::new(limits.in_flight.max(1)));
    while let Some(first) = rx.recv().await {
        // Waiting for a free slot is what lets the queue fill up behind `first`.
        let Ok(slot) = slots.clone().acquire_owned().await else {
            return;
        };
        let mut cmds = vec![first.0];
        let mut replies = vec![first.1];
        while cmds.len() < limits.max_batch {
            match rx.try_recv() {
                Ok((cmd, reply)) => {
                    cmds.push(cmd);
                    replies.push(reply);
                }
                Err(_) => break,
            }
        }
        // Encoded once here: the log, replication and the network move these bytes as they are.
        let batch = match CommandBatch::new(cmds) {
            Ok(b) => b,
            Err(e) => {
                for reply in replies {
                    let _ = reply.send(Err(e.clone()));
                }
                continue;
            }
        };
        // Proposed here, in queue order; answered by a task of its own.
        let pending = raft.client_write_ff(batch).await;
        tokio::spawn(async move {
            let outcome = match pending {
                Ok(rx) => match rx.await {
                    Ok(r) => r.map_err(RaftError::APIError),
                    Err(_) => Err(RaftError::Fatal(openraft::error::Fatal::Stopped)),
                },
                Err(fatal) => Err(RaftError::Fatal(fatal)),
            };
            drop(slot);
            answer(outcome, replies);
        });
    }
}

type WriteOutcome = std::result::Result<
    openraft::raft::ClientWriteResponse<super::TypeConfig>,
    RaftError<super::NodeId, ClientWriteError<super::NodeId, super::RaftMember>>,
>;

fn answer(outcome: WriteOutcome, replies: Vec<Reply>) {
    match outcome {
        Ok(resp) => {
            let index = resp.log_id.index;
            let mut results = resp.data.into_iter();
            for reply in replies {
                let r = results.next().map(|res| (index, res)).ok_or_else(|| {
                    RaftNodeError::Raft("state machine returned too few results".into())
                });
                let _ = reply.send(r);
            }
        }
        Err(e) => {
            let err = match e {
                RaftError::APIError(ClientWriteError::ForwardToLeader(f)) => {
                    RaftNodeError::NotLeader {
                        leader_id: f.leader_id,
                        leader_addr: f.leader_node.map(|n| n.rpc_addr),
                    }
                }
                e => RaftNodeError::Raft(e.to_string()),
            };
            for reply in replies {
                let _ = reply.send(Err(err.clone()));
            }
        }
    }
}
