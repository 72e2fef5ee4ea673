//! `Applier`: the one door through which the server changes state. `LocalApplier`
//! applies commands to an in-process `StateStore` (index + 1 per command); issue #5
//! puts a Raft-backed one behind the same trait.

use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex};

use tokio::sync::watch;

use crate::state::{Command, CommandResult, StateSnapshot, StateStore};

use super::error::{RegionError, Result};

/// A boxed `Send` future (object-safe async trait methods).
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// Applies commands and exposes the resulting state.
pub trait Applier: Send + Sync + 'static {
    /// Applies `cmd` once it is committed; returns its index and result.
    fn apply(&self, cmd: Command) -> BoxFuture<'_, Result<(u64, CommandResult)>>;
    /// The latest applied state.
    fn snapshot(&self) -> StateSnapshot;
    /// The latest applied index; changes after every apply (for blocking queries).
    fn subscribe(&self) -> watch::Receiver<u64>;

    /// Whether this server leads the region now; changes when leadership moves. The
    /// default (a single in-memory server) always leads.
    fn leadership(&self) -> watch::Receiver<bool> {
        watch::channel(true).1
    }

    /// Waits until everything committed before this server became leader is applied
    /// locally (Nomad's barrier before leader duties restore from state).
    fn barrier(&self) -> BoxFuture<'_, Result<()>> {
        Box::pin(async { Ok(()) })
    }

    /// The leader's RPC address when another server leads (`None`: unknown, or this one).
    fn leader_addr(&self) -> Option<String> {
        None
    }

    /// RPC addresses of every voting member (empty: a single server, this one).
    fn peers(&self) -> Vec<String> {
        Vec::new()
    }

    /// The Raft configuration: (member ID, RPC address, voter) of every member (empty: a single
    /// in-memory server).
    fn raft_servers(&self) -> Vec<(u64, String, bool)> {
        Vec::new()
    }

    /// Milliseconds since the leader was last heard from (0 on the leader; `None`: never).
    fn last_contact_ms(&self) -> Option<u64> {
        Some(0)
    }

    /// Removes member `id` from the Raft configuration (`operator raft remove-peer`); only the
    /// leader can. The default (a single in-memory server) has no peers to remove.
    fn remove_peer(&self, id: u64) -> BoxFuture<'_, Result<()>> {
        Box::pin(async move {
            Err(RegionError::NotFound(format!(
                "id \"{id}\" was not found in the Raft configuration"
            )))
        })
    }
}

/// A single-server applier: a mutex around the store. The watch sender is the
/// other end of every `subscribe()` receiver.
pub struct LocalApplier {
    store: Mutex<StateStore>,
    index_tx: watch::Sender<u64>,
}

impl LocalApplier {
    /// An applier over an empty store.
    pub fn new() -> Arc<Self> {
        Self::with_store(StateStore::new())
    }

    /// An applier over an existing store.
    pub fn with_store(store: StateStore) -> Arc<Self> {
        let (index_tx, _) = watch::channel(store.latest_index());
        Arc::new(Self {
            store: Mutex::new(store),
            index_tx,
        })
    }

    fn apply_now(&self, cmd: &Command) -> Result<(u64, CommandResult)> {
        let mut store = self
            .store
            .lock()
            .map_err(|_| RegionError::Internal("state store lock poisoned".into()))?;
        let index = store.latest_index() + 1;
        let result = store.apply(index, cmd);
        drop(store);
        self.index_tx.send_replace(index);
        Ok((index, result))
    }
}

impl Applier for LocalApplier {
    fn apply(&self, cmd: Command) -> BoxFuture<'_, Result<(u64, CommandResult)>> {
        let out = self.apply_now(&cmd);
        Box::pin(async move { out })
    }

    fn snapshot(&self) -> StateSnapshot {
        match self.store.lock() {
            Ok(s) => s.snapshot(),
            Err(poisoned) => poisoned.into_inner().snapshot(),
        }
    }

    fn subscribe(&self) -> watch::Receiver<u64> {
        self.index_tx.subscribe()
    }
}
