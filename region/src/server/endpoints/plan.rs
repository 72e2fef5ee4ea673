//! `job plan`: a dry run of the scheduler (`scheduler::plan_job`) against the
//! latest state. Nothing is written.

use crate::scheduler::{self, JobPlanResult, SchedulerContext};
use crate::structs::Job;

use super::super::clock::{now_nanos, random_u64};
use super::super::error::{RegionError, Result};
use super::super::handle::RegionHandle;

impl RegionHandle {
    /// Plans `job` without changing anything (`nomad job plan`); `diff` asks for
    /// the job diff. The state's index is `self.snapshot().latest_index()`.
    pub async fn job_plan(&self, mut job: Job, diff: bool) -> Result<JobPlanResult> {
        job.canonicalize();
        job.validate().map_err(RegionError::Validation)?;
        let snap = self.snapshot();
        tokio::task::spawn_blocking(move || {
            let mut ctx = SchedulerContext::new(now_nanos(), random_u64());
            scheduler::plan_job(&snap, &job, diff, &mut ctx)
        })
        .await
        .map_err(|e| RegionError::Internal(format!("scheduler panicked: {e}")))?
        .map_err(|e| RegionError::Invalid(e.to_string()))
    }
}
