//! Job family: `JobRegister` (create, or a new version) and `JobDeregister` (stop =
//! a new version with `Stop`, or purge).

use std::sync::Arc;

use crate::state::JOB_TRACKED_VERSIONS;
use crate::state::command::CommandResult;
use crate::state::error::{Result, StateError};
use crate::state::job_status;
use crate::state::tables::{Table, job_key};
use crate::structs::{Evaluation, JOB_STATUS_PENDING, Job};

use super::{Ctx, eval};

/// Stores `job` at this index: a new job gets version 0, a known one the next
/// version; `JobModifyIndex` and `ModifyIndex` become the index.
pub(super) fn register(
    ctx: &mut Ctx<'_>,
    job: &Job,
    ev: Option<&Evaluation>,
) -> Result<CommandResult> {
    if job.id.is_empty() {
        return Err(StateError::Invalid("job without an ID".into()));
    }
    let mut job = job.clone();
    let key = job_key(&job.namespace, &job.id);
    match ctx.t.jobs.get(&key) {
        Some(existing) => {
            job.create_index = existing.create_index;
            job.version = existing.version + 1;
            job.status = existing.status.clone();
        }
        None => {
            job.create_index = ctx.index;
            job.version = 0;
            job.status = JOB_STATUS_PENDING.to_string();
        }
    }
    job.modify_index = ctx.index;
    job.job_modify_index = ctx.index;
    job.stable = false;
    let (jmi, version) = (job.job_modify_index, job.version);
    store_version(ctx, job);
    if let Some(e) = ev {
        // The eval is for the version stored by this very entry.
        let mut e = e.clone();
        e.job_modify_index = jmi;
        eval::upsert(ctx, &e);
    }
    Ok(CommandResult::JobRegistered {
        job_modify_index: jmi,
        version,
    })
}

/// Stops the job (new version, `Stop = true`) or, with `purge`, removes it with its
/// versions and summary (its allocations and evaluations stay until GC, as in Nomad).
pub(super) fn deregister(
    ctx: &mut Ctx<'_>,
    namespace: &str,
    job_id: &str,
    purge: bool,
    ev: Option<&Evaluation>,
    now: i64,
) -> Result<CommandResult> {
    let key = job_key(namespace, job_id);
    let Some(existing) = ctx.t.jobs.get(&key).cloned() else {
        return Err(StateError::JobNotFound(job_id.to_string()));
    };
    let result = if purge {
        ctx.t.jobs.remove(&key);
        ctx.t.job_versions.remove(&key);
        ctx.t.job_summaries.remove(&key);
        for table in [Table::Jobs, Table::JobVersions, Table::JobSummaries] {
            ctx.t.touch(table, ctx.index);
        }
        CommandResult::Applied
    } else {
        let mut job = (*existing).clone();
        job.stop = true;
        job.version = existing.version + 1;
        job.modify_index = ctx.index;
        job.job_modify_index = ctx.index;
        job.submit_time = now;
        job.stable = false;
        let (jmi, version) = (job.job_modify_index, job.version);
        store_version(ctx, job);
        CommandResult::JobRegistered {
            job_modify_index: jmi,
            version,
        }
    };
    if let Some(e) = ev {
        let mut e = e.clone();
        if let CommandResult::JobRegistered {
            job_modify_index, ..
        } = result
        {
            e.job_modify_index = job_modify_index;
        }
        eval::upsert(ctx, &e);
    }
    Ok(result)
}

/// Writes the job, prepends it to its versions (keeping the newest few) and makes
/// sure its summary knows every group.
fn store_version(ctx: &mut Ctx<'_>, job: Job) {
    let key = job_key(&job.namespace, &job.id);
    job_status::ensure_summary(ctx.t, ctx.index, &job);
    let job = Arc::new(job);
    let mut versions = ctx.t.job_versions.get(&key).cloned().unwrap_or_default();
    versions.push_front(job.clone());
    versions.truncate(JOB_TRACKED_VERSIONS);
    ctx.t.job_versions.insert(key.clone(), versions);
    ctx.t.jobs.insert(key.clone(), job);
    ctx.t.touch(Table::Jobs, ctx.index);
    ctx.t.touch(Table::JobVersions, ctx.index);
    ctx.touched_jobs.insert(key);
}
