//! Snapshots: what a snapshot's bytes contain, and where the current one is kept.
//!
//! Body: rmp-serde of `{ format, state: StateDump }`, the state store's objects
//! and indexes (not the log that produced them); installing one rebuilds the store
//! with `StateStore::from_dump`. The format number lets the body change later.
//!
//! The current snapshot lives in sled tree `raft_snapshot` (keys `meta` and
//! `data`, written in one batch and flushed), so a restarted member starts from it.

use std::sync::{Arc, Mutex};

use openraft::{ErrorSubject, ErrorVerb, StorageIOError};
use serde::{Deserialize, Serialize};

use super::{SnapshotMeta, StorageError};
use crate::state::{StateDump, StateSnapshot, StateStore};

const SNAPSHOT_TREE: &str = "raft_snapshot";
const KEY_META: &str = "meta";
const KEY_DATA: &str = "data";
/// Body format 1: a `StateDump`.
const FORMAT_DUMP: u32 = 1;

#[derive(Serialize)]
struct BodyRef<'a> {
    format: u32,
    state: &'a StateDump,
}

#[derive(Deserialize)]
struct Body {
    format: u32,
    state: StateDump,
}

fn snap_err(verb: ErrorVerb, e: &(impl std::error::Error + 'static)) -> StorageError {
    StorageIOError::new(
        ErrorSubject::Snapshot(None),
        verb,
        openraft::AnyError::new(e),
    )
    .into()
}

/// Encodes the state as snapshot bytes.
pub(super) fn encode(state: &StateSnapshot) -> Result<Vec<u8>, StorageError> {
    let dump = state.dump();
    let body = BodyRef {
        format: FORMAT_DUMP,
        state: &dump,
    };
    rmp_serde::to_vec_named(&body).map_err(|e| snap_err(ErrorVerb::Write, &e))
}

/// Rebuilds the store from snapshot bytes.
pub(super) fn decode(bytes: &[u8]) -> Result<StateStore, StorageError> {
    let body: Body = rmp_serde::from_slice(bytes).map_err(|e| snap_err(ErrorVerb::Read, &e))?;
    if body.format != FORMAT_DUMP {
        let e = std::io::Error::other(format!("unknown snapshot format {}", body.format));
        return Err(snap_err(ErrorVerb::Read, &e));
    }
    Ok(StateStore::from_dump(body.state))
}

/// A stored snapshot: metadata and body bytes.
#[derive(Debug, Clone)]
pub(super) struct StoredSnapshot {
    pub meta: SnapshotMeta,
    pub data: Arc<Vec<u8>>,
}

/// The current snapshot, in memory and in sled. Clones share both.
#[derive(Debug, Clone)]
pub(super) struct SnapshotStore {
    tree: sled::Tree,
    current: Arc<Mutex<Option<StoredSnapshot>>>,
}

impl SnapshotStore {
    /// Opens the snapshot tree and loads the snapshot saved there, if any.
    pub fn open(db: &sled::Db) -> super::Result<Self> {
        let tree = db.open_tree(SNAPSHOT_TREE)?;
        let current = match (tree.get(KEY_META)?, tree.get(KEY_DATA)?) {
            (Some(meta), Some(data)) => Some(StoredSnapshot {
                meta: rmp_serde::from_slice(&meta)?,
                data: Arc::new(data.to_vec()),
            }),
            _ => None,
        };
        Ok(Self {
            tree,
            current: Arc::new(Mutex::new(current)),
        })
    }

    /// The current snapshot.
    pub fn current(&self) -> Option<StoredSnapshot> {
        self.current
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    /// Makes `snap` the current snapshot, durably, unless a newer one is already
    /// current (a slow build finishing after an install).
    pub async fn save(&self, snap: StoredSnapshot) -> Result<(), StorageError> {
        if let Some(cur) = self.current()
            && cur.meta.last_log_id > snap.meta.last_log_id
        {
            return Ok(());
        }
        let meta =
            rmp_serde::to_vec_named(&snap.meta).map_err(|e| snap_err(ErrorVerb::Write, &e))?;
        let mut batch = sled::Batch::default();
        batch.insert(KEY_META, meta);
        batch.insert(KEY_DATA, snap.data.as_slice());
        self.tree
            .apply_batch(batch)
            .map_err(|e| snap_err(ErrorVerb::Write, &e))?;
        self.tree
            .flush_async()
            .await
            .map_err(|e| snap_err(ErrorVerb::Write, &e))?;
        *self.current.lock().unwrap_or_else(|p| p.into_inner()) = Some(snap);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scheduler::testing::{mock_job, mock_node, register_eval};
    use crate::state::{Command, Table};

    fn register(name: &str) -> Command {
        let job = mock_job(name, 2);
        let eval = register_eval(&format!("eval-{name}"), &job);
        Command::JobRegister {
            job,
            eval: Some(eval),
        }
    }

    #[test]
    fn snapshot_rebuilds_the_same_store() {
        let mut store = StateStore::new();
        // Indexes with gaps, as blank/membership entries leave them; one refused command.
        let cmds = [
            (3, register("web")),
            (
                4,
                Command::NodeRegister {
                    node: mock_node("n1"),
                    evals: vec![],
                },
            ),
            (5, register("api")),
            (7, register("web")),
            (
                9,
                Command::JobRegister {
                    job: mock_job("", 1),
                    eval: None,
                },
            ),
        ];
        for (index, cmd) in cmds {
            let result = store.apply(index, &cmd);
            assert_eq!(result.error().is_some(), index == 9, "{result:?}");
        }
        let bytes = encode(&store.snapshot()).expect("encode");
        let restored = decode(&bytes).expect("decode");
        let (a, b) = (store.snapshot(), restored.snapshot());
        assert_eq!(b.latest_index(), 9);
        assert_eq!(b.index(Table::Nodes), 4);
        assert_eq!(a.jobs(), b.jobs());
        assert_eq!(b.job_versions("default", "web").len(), 2);
        assert_eq!(
            a.job_versions("default", "web"),
            b.job_versions("default", "web")
        );
        assert_eq!(
            a.job_summary("default", "api"),
            b.job_summary("default", "api")
        );
        assert_eq!(a.evals(), b.evals());
        assert_eq!(a.nodes(), b.nodes());
        assert_eq!(a.dump(), b.dump());
    }

    #[test]
    fn garbage_is_an_error_not_a_panic() {
        assert!(decode(b"\xc1not msgpack").is_err());
        let dump = StateDump::default();
        let other_format = rmp_serde::to_vec_named(&BodyRef {
            format: 99,
            state: &dump,
        })
        .expect("encode");
        assert!(decode(&other_format).is_err());
    }
}
