//! The updater: collects allocation updates from every AllocRunner and sends them
//! to the servers in batches (newest update of each allocation wins), retrying
//! while the servers are unreachable (a batch they keep refusing is dropped).
//!
//! The other end of `rx` is held by each AllocRunner (`updates_out`).

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use nomad_region::structs::Allocation;
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

use super::rpc::{RpcError, ServerRpc};

/// Refusals in a row after which a batch is dropped.
const MAX_REJECTIONS: u32 = 5;

/// How long the last flush at shutdown may take.
const FINAL_FLUSH: Duration = Duration::from_secs(2);

/// Runs until `cancel`, then makes one last attempt to flush what is pending.
pub async fn run<R: ServerRpc>(
    rpc: Arc<R>,
    mut rx: mpsc::UnboundedReceiver<Allocation>,
    retry: Duration,
    cancel: CancellationToken,
) {
    let mut pending: BTreeMap<String, Allocation> = BTreeMap::new();
    let mut rejections = 0u32;
    loop {
        if pending.is_empty() {
            tokio::select! {
                a = rx.recv() => match a {
                    Some(a) => { pending.insert(a.id.clone(), a); }
                    None => return,
                },
                _ = cancel.cancelled() => return final_flush(rpc.as_ref(), &mut rx, pending).await,
            }
        }
        while let Ok(a) = rx.try_recv() {
            pending.insert(a.id.clone(), a);
        }
        let batch: Vec<Allocation> = pending.values().cloned().collect();
        match rpc.update_allocs(batch).await {
            Ok(()) => {
                pending.clear();
                rejections = 0;
            }
            Err(RpcError::Server(e)) if rejections + 1 >= MAX_REJECTIONS => {
                // The servers keep refusing this batch: drop it rather than block
                // every later update behind it. Runners send their full state each
                // time, so the next change of an allocation repairs the picture.
                tracing::error!(error = %e, "servers refused allocation updates; dropping them");
                pending.clear();
                rejections = 0;
            }
            Err(e) => {
                if matches!(e, RpcError::Server(_)) {
                    rejections += 1;
                }
                tracing::warn!(error = %e, "failed to update allocations; retrying");
                tokio::select! {
                    _ = tokio::time::sleep(retry) => {}
                    _ = cancel.cancelled() => return final_flush(rpc.as_ref(), &mut rx, pending).await,
                }
            }
        }
    }
}

/// One last, bounded attempt to send what is pending (the servers may be gone).
async fn final_flush<R: ServerRpc>(
    rpc: &R,
    rx: &mut mpsc::UnboundedReceiver<Allocation>,
    mut pending: BTreeMap<String, Allocation>,
) {
    while let Ok(a) = rx.try_recv() {
        pending.insert(a.id.clone(), a);
    }
    if !pending.is_empty() {
        let batch = pending.into_values().collect();
        if tokio::time::timeout(FINAL_FLUSH, rpc.update_allocs(batch))
            .await
            .is_err()
        {
            tracing::warn!("gave up sending the last allocation updates");
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Mutex;

    use nomad_region::structs::Node;

    use super::*;
    use crate::client::rpc::RpcResult;

    /// Refuses the first `refuse` update calls, records every batch.
    struct Picky {
        refuse: Mutex<u32>,
        batches: Mutex<Vec<Vec<String>>>,
    }

    impl ServerRpc for Picky {
        async fn register_node(&self, _: Node) -> RpcResult<Duration> {
            Ok(Duration::from_secs(1))
        }
        async fn heartbeat(&self, _: String) -> RpcResult<Duration> {
            Ok(Duration::from_secs(1))
        }
        async fn allocs_for_node(
            &self,
            _: String,
            _: u64,
            _: Duration,
        ) -> RpcResult<(Vec<Allocation>, u64)> {
            Ok((Vec::new(), 1))
        }
        async fn update_allocs(&self, allocs: Vec<Allocation>) -> RpcResult<()> {
            self.batches
                .lock()
                .unwrap()
                .push(allocs.iter().map(|a| a.id.clone()).collect());
            let mut r = self.refuse.lock().unwrap();
            if *r > 0 {
                *r -= 1;
                return Err(RpcError::Server("no".into()));
            }
            Ok(())
        }
    }

    fn alloc(id: &str) -> Allocation {
        Allocation {
            id: id.into(),
            ..Default::default()
        }
    }

    #[tokio::test]
    async fn drops_a_refused_batch_then_carries_on() {
        let rpc = Arc::new(Picky {
            refuse: Mutex::new(MAX_REJECTIONS),
            batches: Mutex::default(),
        });
        let (tx, rx) = mpsc::unbounded_channel();
        let cancel = CancellationToken::new();
        let task = tokio::spawn(run(
            rpc.clone(),
            rx,
            Duration::from_millis(1),
            cancel.clone(),
        ));
        tx.send(alloc("a")).unwrap();
        while rpc.batches.lock().unwrap().len() < MAX_REJECTIONS as usize {
            tokio::time::sleep(Duration::from_millis(2)).await;
        }
        tx.send(alloc("b")).unwrap();
        drop(tx);
        task.await.unwrap();
        let batches = rpc.batches.lock().unwrap().clone();
        assert_eq!(batches.len(), MAX_REJECTIONS as usize + 1);
        assert_eq!(
            batches.last().unwrap(),
            &vec!["b".to_string()],
            "the refused batch was dropped"
        );
    }
}
