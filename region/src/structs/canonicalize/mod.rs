//! `Job::canonicalize`: fills in Nomad's defaults (what `nomad job run` does before
//! submitting) and merges job-level policy blocks into each group and group restart
//! policies into each task. Idempotent: a canonical job is left unchanged.

mod defaults;
mod group;
mod task;

pub use defaults::*;

use crate::structs::{
    DEFAULT_NAMESPACE, DEFAULT_NODE_POOL, DEFAULT_PRIORITY, DEFAULT_REGION, JOB_TYPE_BATCH,
    JOB_TYPE_SERVICE, JOB_TYPE_SYSBATCH, JOB_TYPE_SYSTEM, Job, PAYLOAD_OPTIONAL,
    PERIODIC_SPEC_CRON, UpdateStrategy,
};

impl Job {
    /// Applies Nomad's defaults in place. See the module docs.
    pub fn canonicalize(&mut self) {
        if self.region.is_empty() {
            self.region = DEFAULT_REGION.to_string();
        }
        if self.namespace.is_empty() {
            self.namespace = DEFAULT_NAMESPACE.to_string();
        }
        if self.name.is_empty() {
            self.name = self.id.clone();
        }
        if self.job_type.is_empty() {
            self.job_type = JOB_TYPE_SERVICE.to_string();
        }
        self.priority.get_or_insert(DEFAULT_PRIORITY);
        if self.datacenters.is_empty() {
            self.datacenters = vec!["*".to_string()];
        }
        if self.node_pool.is_empty() {
            self.node_pool = DEFAULT_NODE_POOL.to_string();
        }
        if let Some(p) = self.periodic.as_mut() {
            p.enabled.get_or_insert(true);
            if p.spec_type.is_empty() {
                p.spec_type = PERIODIC_SPEC_CRON.to_string();
            }
            if p.time_zone.is_empty() {
                p.time_zone = "UTC".to_string();
            }
        }
        if let Some(p) = self.parameterized_job.as_mut()
            && p.payload.is_empty()
        {
            p.payload = PAYLOAD_OPTIONAL.to_string();
        }
        self.canonicalize_job_update();

        let ctx = group::JobContext {
            job_type: self.job_type.clone(),
            job_name: self.name.clone(),
            update: self.update.clone(),
            reschedule: self.reschedule.clone(),
            migrate: self.migrate.clone(),
        };
        for g in &mut self.task_groups {
            g.canonicalize(&ctx);
        }
    }

    /// Service jobs always get an update block; system jobs keep (and complete) the
    /// one they have; batch-like jobs have no deployments, so theirs is dropped.
    fn canonicalize_job_update(&mut self) {
        self.update = match self.job_type.as_str() {
            JOB_TYPE_SERVICE => Some(complete_update(self.update.as_ref())),
            JOB_TYPE_SYSTEM => self.update.as_ref().map(|u| complete_update(Some(u))),
            JOB_TYPE_BATCH | JOB_TYPE_SYSBATCH => None,
            _ => self.update.take(),
        };
    }
}

/// The update defaults with `given` on top.
pub(super) fn complete_update(given: Option<&UpdateStrategy>) -> UpdateStrategy {
    layered(default_update_strategy(), given, UpdateStrategy::merge)
}

#[cfg(test)]
mod tests;
