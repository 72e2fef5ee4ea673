//! Job requests: register (with `enforce_index`), deregister (stop or purge).

use serde::{Deserialize, Serialize};

use crate::scheduler::plan_job::spec_changed;
use crate::state::{Command, CommandResult};
use crate::structs::{
    EVAL_STATUS_PENDING, EVAL_TRIGGER_JOB_DEREGISTER, EVAL_TRIGGER_JOB_REGISTER, Evaluation, Job,
};

use super::super::clock::{new_id, now_nanos};
use super::super::error::{ENFORCE_INDEX_ERR_PREFIX, RegionError, Result};
use super::super::handle::RegionHandle;

/// Options of a job registration.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RegisterOptions {
    /// Register only if the job's `JobModifyIndex` is this (0: only if it does not exist).
    pub enforce_index: Option<u64>,
}

/// Nomad's `JobRegisterResponse`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct JobRegisterResponse {
    /// The evaluation created (empty for periodic/parameterized jobs).
    #[serde(rename = "EvalID")]
    pub eval_id: String,
    /// Its create index.
    pub eval_create_index: u64,
    /// The job's `JobModifyIndex` after registration.
    pub job_modify_index: u64,
    /// Non-fatal warnings.
    pub warnings: String,
    /// Index of the write.
    #[serde(skip)]
    pub index: u64,
}

/// Nomad's `JobDeregisterResponse`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct JobDeregisterResponse {
    /// The evaluation created.
    #[serde(rename = "EvalID")]
    pub eval_id: String,
    /// Its create index.
    pub eval_create_index: u64,
    /// The job's `JobModifyIndex` after the stop (the old one on purge).
    pub job_modify_index: u64,
    /// Index of the write.
    #[serde(skip)]
    pub index: u64,
}

/// A new pending evaluation of `job`.
pub(crate) fn job_eval(job: &Job, trigger: &str, now: i64) -> Evaluation {
    Evaluation {
        id: new_id(),
        namespace: job.namespace.clone(),
        priority: job.effective_priority(),
        eval_type: job.job_type.clone(),
        triggered_by: trigger.to_string(),
        job_id: job.id.clone(),
        status: EVAL_STATUS_PENDING.to_string(),
        create_time: now,
        modify_time: now,
        ..Default::default()
    }
}

impl RegionHandle {
    /// Registers (creates or updates) a job: canonicalizes and validates it,
    /// enforces the index if asked, stores it and creates its evaluation. An
    /// unchanged job only gets a new evaluation, as in Nomad.
    pub async fn job_register(
        &self,
        mut job: Job,
        opts: RegisterOptions,
    ) -> Result<JobRegisterResponse> {
        job.canonicalize();
        job.validate().map_err(RegionError::Validation)?;
        let snap = self.snapshot();
        let existing = snap.job_by_id(&job.namespace, &job.id);
        if let Some(jmi) = opts.enforce_index {
            match &existing {
                Some(_) if jmi == 0 => {
                    return Err(RegionError::IndexMismatch(format!(
                        "{ENFORCE_INDEX_ERR_PREFIX} 0: job already exists"
                    )));
                }
                Some(e) if jmi != e.job_modify_index => {
                    return Err(RegionError::IndexMismatch(format!(
                        "{ENFORCE_INDEX_ERR_PREFIX} {jmi}: job exists with conflicting job modify index: {}",
                        e.job_modify_index
                    )));
                }
                None if jmi != 0 => {
                    return Err(RegionError::IndexMismatch(format!(
                        "{ENFORCE_INDEX_ERR_PREFIX} {jmi}: job does not exist"
                    )));
                }
                _ => {}
            }
        }
        let now = now_nanos();
        job.submit_time = now;
        let eval = (!job.is_periodic() && !job.is_parameterized())
            .then(|| job_eval(&job, EVAL_TRIGGER_JOB_REGISTER, now));
        let eval_id = eval.as_ref().map(|e| e.id.clone()).unwrap_or_default();
        let changed = existing.as_deref().is_none_or(|e| spec_changed(e, &job));
        let (index, job_modify_index) = if changed {
            let (index, result) = self
                .leader
                .apply_with_result(Command::JobRegister { job, eval })
                .await?;
            let jmi = match result {
                CommandResult::JobRegistered {
                    job_modify_index, ..
                } => job_modify_index,
                _ => index,
            };
            (index, jmi)
        } else {
            let jmi = existing.as_deref().map_or(0, |e| e.job_modify_index);
            match eval {
                Some(e) => (
                    self.leader
                        .apply(Command::EvalUpsert { evals: vec![e] })
                        .await?,
                    jmi,
                ),
                None => (snap.latest_index(), jmi),
            }
        };
        let eval_create_index = if eval_id.is_empty() { 0 } else { index };
        Ok(JobRegisterResponse {
            eval_id,
            eval_create_index,
            job_modify_index,
            warnings: String::new(),
            index,
        })
    }

    /// Stops a job (a new version with `Stop`) or purges it, with a
    /// `job-deregister` evaluation that stops its allocations.
    pub async fn job_deregister(
        &self,
        namespace: &str,
        job_id: &str,
        purge: bool,
    ) -> Result<JobDeregisterResponse> {
        let snap = self.snapshot();
        let Some(job) = snap.job_by_id(namespace, job_id) else {
            return Err(RegionError::NotFound("job not found".into()));
        };
        let now = now_nanos();
        let eval = (!job.is_periodic() && !job.is_parameterized())
            .then(|| job_eval(&job, EVAL_TRIGGER_JOB_DEREGISTER, now));
        let eval_id = eval.as_ref().map(|e| e.id.clone()).unwrap_or_default();
        let cmd = Command::JobDeregister {
            namespace: namespace.to_string(),
            job_id: job_id.to_string(),
            purge,
            eval,
            now,
        };
        let (index, result) = self.leader.apply_with_result(cmd).await?;
        let job_modify_index = match result {
            CommandResult::JobRegistered {
                job_modify_index, ..
            } => job_modify_index,
            _ => job.job_modify_index,
        };
        let eval_create_index = if eval_id.is_empty() { 0 } else { index };
        Ok(JobDeregisterResponse {
            eval_id,
            eval_create_index,
            job_modify_index,
            index,
        })
    }
}
