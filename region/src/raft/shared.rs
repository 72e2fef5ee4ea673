//! `SharedState`: the region's `StateStore` as both the Raft state machine (the
//! only writer) and the readers (`RaftApplier::snapshot`, blocking queries) see it.
//! The watch sender publishes the store's latest index after every applied batch;
//! every `subscribe()` receiver is its other end.

use std::sync::{Mutex, MutexGuard};

use tokio::sync::watch;

use crate::state::{StateSnapshot, StateStore};

/// The state store behind a mutex, plus the latest-index watch.
#[derive(Debug)]
pub struct SharedState {
    store: Mutex<StateStore>,
    index_tx: watch::Sender<u64>,
}

impl Default for SharedState {
    fn default() -> Self {
        Self::new(StateStore::new())
    }
}

impl SharedState {
    /// Shares `store`.
    pub fn new(store: StateStore) -> Self {
        let (index_tx, _) = watch::channel(store.latest_index());
        Self {
            store: Mutex::new(store),
            index_tx,
        }
    }

    /// The store, for the state machine. A poisoned lock still holds a consistent
    /// store (apply works on a copy and commits by assignment), so it is recovered.
    pub(super) fn lock(&self) -> MutexGuard<'_, StateStore> {
        self.store.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Publishes the store's latest index to subscribers.
    pub(super) fn publish(&self, index: u64) {
        self.index_tx.send_replace(index);
    }

    /// Replaces the whole store (snapshot install) and publishes its index.
    pub(super) fn replace(&self, store: StateStore) {
        let index = store.latest_index();
        *self.lock() = store;
        self.publish(index);
    }

    /// A consistent view of the applied state (O(1)).
    pub fn snapshot(&self) -> StateSnapshot {
        self.lock().snapshot()
    }

    /// Latest applied index; changes after every applied batch.
    pub fn subscribe(&self) -> watch::Receiver<u64> {
        self.index_tx.subscribe()
    }
}
