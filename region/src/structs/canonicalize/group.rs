//! Group-level defaults: count, ephemeral disk, and the restart / reschedule /
//! update / migrate blocks layered as Nomad does (defaults <- job <- group).

use super::{DEFAULT_EPHEMERAL_DISK_MB, default_restart_policy};
use super::{complete_update, default_migrate_strategy, default_reschedule_policy, layered};
use crate::structs::{
    EphemeralDisk, JOB_TYPE_SERVICE, JOB_TYPE_SYSTEM, MigrateStrategy, NETWORK_MODE_HOST,
    ReschedulePolicy, RestartPolicy, TaskGroup, UpdateStrategy,
};

/// What a group needs to know about its job while being canonicalized.
pub(super) struct JobContext {
    pub job_type: String,
    pub job_name: String,
    pub update: Option<UpdateStrategy>,
    pub reschedule: Option<ReschedulePolicy>,
    pub migrate: Option<MigrateStrategy>,
}

impl TaskGroup {
    pub(super) fn canonicalize(&mut self, job: &JobContext) {
        self.count.get_or_insert(1);
        let disk = self
            .ephemeral_disk
            .get_or_insert_with(EphemeralDisk::default);
        disk.size_mb.get_or_insert(DEFAULT_EPHEMERAL_DISK_MB);

        let restart = layered(
            default_restart_policy(&job.job_type),
            self.restart_policy.as_ref(),
            RestartPolicy::merge,
        );
        self.restart_policy = Some(restart.clone());

        if let Some(defaults) = default_reschedule_policy(&job.job_type) {
            let with_job = layered(defaults, job.reschedule.as_ref(), ReschedulePolicy::merge);
            self.reschedule_policy = Some(layered(
                with_job,
                self.reschedule_policy.as_ref(),
                ReschedulePolicy::merge,
            ));
        }

        self.update = match job.job_type.as_str() {
            JOB_TYPE_SERVICE => Some(group_update(job, self.update.as_ref())),
            JOB_TYPE_SYSTEM if job.update.is_some() || self.update.is_some() => {
                Some(group_update(job, self.update.as_ref()))
            }
            JOB_TYPE_SYSTEM => None,
            // Batch-like jobs have no deployments; unknown types are left to validate.
            _ if is_batch_like(&job.job_type) => None,
            _ => self.update.take(),
        };

        if job.job_type == JOB_TYPE_SERVICE {
            let with_job = layered(
                default_migrate_strategy(),
                job.migrate.as_ref(),
                MigrateStrategy::merge,
            );
            self.migrate = Some(layered(
                with_job,
                self.migrate.as_ref(),
                MigrateStrategy::merge,
            ));
        }

        for n in &mut self.networks {
            if n.mode.is_empty() {
                n.mode = NETWORK_MODE_HOST.to_string();
            }
        }
        let default_service_name = format!("{}-{}", job.job_name, self.name);
        for s in &mut self.services {
            super::task::canonicalize_service(s, &default_service_name);
        }
        for t in &mut self.tasks {
            t.canonicalize(&job.job_name, &self.name, &restart);
        }
    }
}

fn is_batch_like(job_type: &str) -> bool {
    job_type == crate::structs::JOB_TYPE_BATCH || job_type == crate::structs::JOB_TYPE_SYSBATCH
}

/// The job's (already complete) update block with the group's on top.
fn group_update(job: &JobContext, group: Option<&UpdateStrategy>) -> UpdateStrategy {
    layered(
        complete_update(job.update.as_ref()),
        group,
        UpdateStrategy::merge,
    )
}
