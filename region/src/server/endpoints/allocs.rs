//! Allocation requests: status updates from clients (Nomad's `Node.UpdateAlloc`) and
//! `alloc stop` from users (Nomad's `Alloc.Stop`).

use std::collections::{BTreeMap, BTreeSet};

use crate::state::Command;
use crate::structs::{
    ALLOC_CLIENT_STATUS_FAILED, Allocation, DesiredTransition, EVAL_TRIGGER_ALLOC_STOP,
    EVAL_TRIGGER_RETRY_FAILED_ALLOC,
};

use super::super::clock::now_nanos;
use super::super::error::{RegionError, Result};
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

    /// Stops an allocation so that it is replaced (`alloc stop`): marks it to migrate
    /// and creates an `alloc-stop` evaluation of its job, which stops it and places its
    /// replacement. Returns the evaluation's ID and the write's index.
    pub async fn alloc_stop(&self, alloc_id: &str) -> Result<(String, u64)> {
        let snap = self.snapshot();
        let alloc = snap
            .alloc_by_id(alloc_id)
            .ok_or_else(|| RegionError::NotFound(format!("alloc not found: {alloc_id}")))?;
        let job = snap
            .job_by_id(&alloc.namespace, &alloc.job_id)
            .ok_or_else(|| RegionError::NotFound(format!("job not found: {}", alloc.job_id)))?;
        let eval = job_eval(&job, EVAL_TRIGGER_ALLOC_STOP, now_nanos());
        let eval_id = eval.id.clone();
        let transition = DesiredTransition {
            migrate: Some(true),
            ..Default::default()
        };
        let index = self
            .leader
            .apply(Command::AllocUpdateDesiredTransition {
                allocs: BTreeMap::from([(alloc.id.clone(), transition)]),
                evals: vec![eval],
                now: now_nanos(),
            })
            .await?;
        Ok((eval_id, index))
    }
}
