//! `StateMachine`: openraft's state machine over the region's `StateStore`.
//!
//! Each command of a `Normal` entry's batch is applied with
//! `StateStore::apply(log index, &cmd)`, so the Raft index is the state index. The store lives in memory: at start it is rebuilt
//! from the current snapshot, and openraft re-applies the committed log after it
//! (`read_committed`). So the last-applied id and membership are persisted with the
//! snapshot (its meta), never ahead of what the store holds.

use std::io::Cursor;
use std::sync::Arc;

use openraft::storage::RaftStateMachine;
use openraft::{
    Entry, EntryPayload, ErrorSubject, ErrorVerb, OptionalSend, RaftSnapshotBuilder, Snapshot,
    StorageIOError,
};

use super::shared::SharedState;
use super::snapshot::{self, SnapshotStore, StoredSnapshot};
use super::{LogId, RaftNodeError, SnapshotMeta, StorageError, StoredMembership, TypeConfig};
use crate::state::{CommandResult, StateSnapshot};

/// The state machine of one member.
pub struct StateMachine {
    shared: Arc<SharedState>,
    applied: Option<LogId>,
    membership: StoredMembership,
    snapshots: SnapshotStore,
}

impl StateMachine {
    /// Opens the snapshot tree in `db` and restores `shared` from the saved snapshot.
    pub fn open(db: &sled::Db, shared: Arc<SharedState>) -> super::Result<Self> {
        let snapshots = SnapshotStore::open(db)?;
        let mut sm = Self {
            shared,
            applied: None,
            membership: StoredMembership::default(),
            snapshots,
        };
        if let Some(snap) = sm.snapshots.current() {
            sm.restore(&snap.meta, &snap.data)
                .map_err(|e| RaftNodeError::Storage(e.to_string()))?;
        }
        Ok(sm)
    }

    /// The state store this machine writes.
    pub fn shared(&self) -> Arc<SharedState> {
        self.shared.clone()
    }

    fn restore(&mut self, meta: &SnapshotMeta, data: &[u8]) -> Result<(), StorageError> {
        let store = snapshot::decode(data)?;
        self.shared.replace(store);
        self.applied = meta.last_log_id;
        self.membership = meta.last_membership.clone();
        Ok(())
    }

    /// Applies a run of entries under one lock of the store (no await inside), so
    /// readers see all of it or none. Every command of an entry's batch is applied
    /// at that entry's index; blank and membership entries answer no results.
    /// An entry whose commands do not decode is a storage error (as when the log could not be
    /// read); the entries before it stay applied.
    fn apply_batch(
        &mut self,
        entries: impl Iterator<Item = Entry<TypeConfig>>,
    ) -> Result<Vec<Vec<CommandResult>>, StorageError> {
        let mut out = Vec::new();
        let mut store = self.shared.lock();
        let mut failed = None;
        for entry in entries {
            match entry.payload {
                EntryPayload::Blank => out.push(Vec::new()),
                EntryPayload::Normal(batch) => match batch.commands() {
                    // Owned when nothing else holds the decoded commands (a follower's entry;
                    // the leader's are still in its log cache).
                    Ok(cmds) => out.push(match Arc::try_unwrap(cmds) {
                        Ok(owned) => owned
                            .into_iter()
                            .map(|cmd| store.apply_owned(entry.log_id.index, cmd))
                            .collect(),
                        Err(shared) => shared
                            .iter()
                            .map(|cmd| store.apply(entry.log_id.index, cmd))
                            .collect(),
                    }),
                    Err(e) => {
                        failed = Some(StorageIOError::new(
                            ErrorSubject::Log(entry.log_id),
                            ErrorVerb::Read,
                            openraft::AnyError::new(&e),
                        ));
                        break;
                    }
                },
                EntryPayload::Membership(m) => {
                    self.membership = StoredMembership::new(Some(entry.log_id), m);
                    out.push(Vec::new());
                }
            }
            self.applied = Some(entry.log_id);
        }
        let index = store.latest_index();
        drop(store);
        self.shared.publish(index);
        match failed {
            Some(e) => Err(e.into()),
            None => Ok(out),
        }
    }
}

fn to_snapshot(s: StoredSnapshot) -> Snapshot<TypeConfig> {
    Snapshot {
        meta: s.meta,
        snapshot: Box::new(Cursor::new(s.data.as_ref().clone())),
    }
}

impl RaftStateMachine<TypeConfig> for StateMachine {
    type SnapshotBuilder = SnapshotBuilder;

    async fn applied_state(&mut self) -> Result<(Option<LogId>, StoredMembership), StorageError> {
        Ok((self.applied, self.membership.clone()))
    }

    async fn apply<I>(&mut self, entries: I) -> Result<Vec<Vec<CommandResult>>, StorageError>
    where
        I: IntoIterator<Item = Entry<TypeConfig>> + OptionalSend,
        I::IntoIter: OptionalSend,
    {
        self.apply_batch(entries.into_iter())
    }

    async fn get_snapshot_builder(&mut self) -> SnapshotBuilder {
        SnapshotBuilder {
            state: self.shared.snapshot(),
            applied: self.applied,
            membership: self.membership.clone(),
            snapshots: self.snapshots.clone(),
        }
    }

    async fn begin_receiving_snapshot(&mut self) -> Result<Box<Cursor<Vec<u8>>>, StorageError> {
        Ok(Box::new(Cursor::new(Vec::new())))
    }

    async fn install_snapshot(
        &mut self,
        meta: &SnapshotMeta,
        snapshot: Box<Cursor<Vec<u8>>>,
    ) -> Result<(), StorageError> {
        let data = snapshot.into_inner();
        self.restore(meta, &data)?;
        self.snapshots
            .save(StoredSnapshot {
                meta: meta.clone(),
                data: Arc::new(data),
            })
            .await
    }

    async fn get_current_snapshot(&mut self) -> Result<Option<Snapshot<TypeConfig>>, StorageError> {
        Ok(self.snapshots.current().map(to_snapshot))
    }
}

/// Builds a snapshot from a point-in-time copy of the state machine (O(1) to take).
pub struct SnapshotBuilder {
    state: StateSnapshot,
    applied: Option<LogId>,
    membership: StoredMembership,
    snapshots: SnapshotStore,
}

impl RaftSnapshotBuilder<TypeConfig> for SnapshotBuilder {
    async fn build_snapshot(&mut self) -> Result<Snapshot<TypeConfig>, StorageError> {
        let data = Arc::new(snapshot::encode(&self.state)?);
        let at = self
            .applied
            .map(|l| l.to_string())
            .unwrap_or_else(|| "empty".into());
        let meta = SnapshotMeta {
            last_log_id: self.applied,
            last_membership: self.membership.clone(),
            snapshot_id: format!("{at}-{}", uuid::Uuid::new_v4()),
        };
        let snap = StoredSnapshot { meta, data };
        self.snapshots.save(snap.clone()).await?;
        Ok(to_snapshot(snap))
    }
}
