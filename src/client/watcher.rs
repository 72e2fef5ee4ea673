//! The alloc watcher: a blocking query loop on this node's allocations that starts
//! an AllocRunner for each new one and forwards server-side changes (e.g. desired
//! status `stop`) to the runners already going.

use std::collections::HashSet;
use std::sync::Arc;

use nomad_region::structs::Allocation;
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

use super::alloc_runner::{self, AllocCommand, AllocRunnerConfig};
use super::rpc::ServerRpc;
use super::{AllocEntry, Shared};

/// What identifies a server-side change of an allocation.
fn server_version(a: &Allocation) -> (u64, String, Option<bool>) {
    (
        a.alloc_modify_index,
        a.desired_status.clone(),
        a.desired_transition.migrate,
    )
}

/// Watches until `cancel`.
pub async fn run<R: ServerRpc>(rpc: Arc<R>, shared: Arc<Shared>, cancel: CancellationToken) {
    let mut index = 0u64;
    loop {
        let res = tokio::select! {
            r = rpc.allocs_for_node(shared.node.id.clone(), index, shared.config.alloc_watch_wait) => r,
            _ = cancel.cancelled() => return,
        };
        match res {
            Ok((allocs, new_index)) => {
                // An index going backwards means the servers restarted: start over.
                index = if new_index < index { 0 } else { new_index };
                reconcile(&shared, allocs);
            }
            Err(e) => {
                tracing::warn!(error = %e, "failed to fetch allocations; retrying");
                tokio::select! {
                    _ = tokio::time::sleep(shared.config.retry_interval) => {}
                    _ = cancel.cancelled() => return,
                }
            }
        }
    }
}

/// Starts runners for new allocations and forwards changes to known ones.
pub fn reconcile(shared: &Shared, allocs: Vec<Allocation>) {
    let mut map = shared.lock_allocs();
    let seen: HashSet<String> = allocs.iter().map(|a| a.id.clone()).collect();
    for a in allocs {
        let version = server_version(&a);
        if let Some(entry) = map.get_mut(&a.id) {
            if entry.version != version {
                entry.version = version;
                let _ = entry.commands.send(AllocCommand::Update(Arc::new(a)));
            }
            continue;
        }
        if a.terminal_status() {
            // Finished before we knew it (e.g. from an earlier run of this client).
            continue;
        }
        tracing::debug!(alloc_id = %a.id, "starting allocation");
        let (tx, rx) = mpsc::unbounded_channel();
        let slots = Arc::default();
        let cfg = AllocRunnerConfig {
            alloc: Arc::new(a.clone()),
            node: shared.node.clone(),
            drivers: shared.drivers.clone(),
            alloc_root: shared.config.alloc_root(),
            mhz_per_core: shared.mhz_per_core,
            updates_out: shared.updates_tx.clone(),
            slots: Arc::clone(&slots),
        };
        let join = tokio::spawn(alloc_runner::run(cfg, rx));
        map.insert(
            a.id.clone(),
            AllocEntry {
                version,
                commands: tx,
                slots,
                join: Some(join),
            },
        );
    }
    // Allocations the servers dropped (garbage-collected): stop whatever still runs.
    for (id, entry) in map.iter() {
        if !seen.contains(id) {
            let _ = entry.commands.send(AllocCommand::Shutdown);
        }
    }
}
