//! Allocation requests from clients: status updates (Nomad's `Node.UpdateAlloc`).

use std::collections::BTreeSet;

use crate::state::Command;
use crate::structs::{ALLOC_CLIENT_STATUS_FAILED, Allocation, EVAL_TRIGGER_RETRY_FAILED_ALLOC};

use super::super::clock::now_nanos;
use super::super::error::Result;
use super::super::handle::RegionHandle;
use super::jobs::job_eval;

impl RegionHandle {
    /// Records what a client reports about its allocations. A newly failed
    /// allocation the servers still want running gets its job an `alloc-failure`
    /// evaluation, so the scheduler can reschedule it. Returns the write's index.
    pub async fn alloc_client_update(&self, allocs: Vec<Allocation>) -> Result<u64> {
        if allocs.is_empty() {
            return Ok(self.snapshot().latest_index());
        }
        let snap = self.snapshot();
        let now = now_nanos();
        let mut jobs = BTreeSet::new();
        let mut evals = Vec::new();
        for update in &allocs {
            let Some(stored) = snap.alloc_by_id(&update.id) else {
                continue;
            };
            if update.client_status == ALLOC_CLIENT_STATUS_FAILED
                && stored.client_status != ALLOC_CLIENT_STATUS_FAILED
                && !stored.server_terminal_status()
                && jobs.insert((stored.namespace.clone(), stored.job_id.clone()))
                && let Some(job) = snap.job_by_id(&stored.namespace, &stored.job_id)
                && !job.stop
            {
                evals.push(job_eval(&job, EVAL_TRIGGER_RETRY_FAILED_ALLOC, now));
            }
        }
        self.leader
            .apply(Command::AllocClientUpdate { allocs, evals, now })
            .await
    }
}
