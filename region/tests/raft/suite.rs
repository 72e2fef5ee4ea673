//! openraft's own `testing::Suite` against the sled log store and the state machine.

use std::sync::Arc;

use nomad_region::raft::{LogStore, SharedState, StateMachine, TypeConfig};
use openraft::testing::{StoreBuilder, Suite};
use openraft::{StorageError, StorageIOError};
use tempfile::TempDir;

struct SledBuilder;

fn storage_err(e: impl std::fmt::Display) -> StorageError<u64> {
    StorageIOError::write(openraft::AnyError::error(e.to_string())).into()
}

impl StoreBuilder<TypeConfig, LogStore, StateMachine, TempDir> for SledBuilder {
    async fn build(&self) -> Result<(TempDir, LogStore, StateMachine), StorageError<u64>> {
        let dir = tempfile::tempdir().map_err(storage_err)?;
        let db = sled::open(dir.path()).map_err(storage_err)?;
        let log = LogStore::open(&db).map_err(storage_err)?;
        let sm = StateMachine::open(&db, Arc::new(SharedState::default())).map_err(storage_err)?;
        Ok((dir, log, sm))
    }
}

#[test]
fn sled_storage_passes_openraft_suite() -> anyhow::Result<()> {
    Suite::test_all(SledBuilder)?;
    Ok(())
}
