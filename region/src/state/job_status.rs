//! Derived job data kept by apply: the job's `Status` (pending/running/dead, computed
//! from its allocations and evaluations as Nomad does) and its summary's per-group
//! counts (Queued/Starting/Running/Failed/Complete/Lost/Unknown).

use std::collections::BTreeSet;
use std::sync::Arc;

use crate::structs::{
    ALLOC_CLIENT_STATUS_COMPLETE, ALLOC_CLIENT_STATUS_FAILED, ALLOC_CLIENT_STATUS_LOST,
    ALLOC_CLIENT_STATUS_PENDING, ALLOC_CLIENT_STATUS_RUNNING, ALLOC_CLIENT_STATUS_UNKNOWN,
    Allocation, JOB_STATUS_DEAD, JOB_STATUS_PENDING, JOB_STATUS_RUNNING, JOB_TYPE_SYSTEM, Job,
    JobSummary, TaskGroupSummary,
};

use super::tables::{JobKey, Table, Tables, job_key};

/// The status Nomad gives `job`: system, periodic and parameterized jobs run until
/// stopped; others run while an allocation is non-terminal, are pending while an
/// evaluation is, and are dead once they had either and all are terminal.
pub(super) fn compute_status(t: &Tables, job: &Job) -> &'static str {
    if job.job_type == JOB_TYPE_SYSTEM || job.is_parameterized() || job.is_periodic() {
        return if job.stop {
            JOB_STATUS_DEAD
        } else {
            JOB_STATUS_RUNNING
        };
    }
    let key = job_key(&job.namespace, &job.id);
    // Lazily: a running job is known at its first live allocation (this runs after every plan).
    let mut any_alloc = false;
    for a in t.job_allocs_iter(&key) {
        if !a.terminal_status() {
            return JOB_STATUS_RUNNING;
        }
        any_alloc = true;
    }
    let mut any_eval = false;
    for e in t.job_evals_iter(&key) {
        if !e.terminal_status() {
            return JOB_STATUS_PENDING;
        }
        any_eval = true;
    }
    if any_alloc || any_eval {
        JOB_STATUS_DEAD
    } else {
        JOB_STATUS_PENDING
    }
}

/// Recomputes the status of each job in `keys`; a change bumps the job's `ModifyIndex`.
pub(super) fn refresh(t: &mut Tables, index: u64, keys: &BTreeSet<JobKey>) {
    for key in keys {
        let Some(job) = t.jobs.get(key).cloned() else {
            continue;
        };
        let status = compute_status(t, &job);
        if job.status != status {
            let mut j = (*job).clone();
            j.status = status.to_string();
            j.modify_index = index;
            t.jobs.insert(key.clone(), Arc::new(j));
            t.touch(Table::Jobs, index);
        }
    }
}

/// Makes sure the job has a summary with an entry per task group (groups are never
/// removed, as in Nomad).
pub(super) fn ensure_summary(t: &mut Tables, index: u64, job: &Job) {
    let key = job_key(&job.namespace, &job.id);
    let mut summary = match t.job_summaries.get(&key) {
        Some(s) => (**s).clone(),
        None => JobSummary {
            job_id: job.id.clone(),
            namespace: job.namespace.clone(),
            create_index: index,
            ..Default::default()
        },
    };
    let before = summary.clone();
    for tg in &job.task_groups {
        summary.summary.entry(tg.name.clone()).or_default();
    }
    if summary != before || !t.job_summaries.contains_key(&key) {
        summary.modify_index = index;
        t.job_summaries.insert(key, Arc::new(summary));
        t.touch(Table::JobSummaries, index);
    }
}

/// Moves one allocation between the count bins of its group (Nomad's
/// `updateSummaryWithAlloc`): a new non-stopped allocation is Starting (one fewer
/// Queued); a client-status change moves it from the old bin to the new one
/// (Complete and Failed are final and never decremented).
pub(super) fn update_with_alloc(
    t: &mut Tables,
    index: u64,
    existing: Option<&Allocation>,
    alloc: &Allocation,
) {
    let key = job_key(&alloc.namespace, &alloc.job_id);
    let Some(summary) = t.job_summaries.get(&key) else {
        return;
    };
    let mut summary = (**summary).clone();
    let Some(tg) = summary.summary.get_mut(&alloc.task_group) else {
        return;
    };
    let before = tg.clone();
    match existing {
        None => {
            if alloc.server_terminal_status() {
                return;
            }
            if alloc.client_status == ALLOC_CLIENT_STATUS_PENDING || alloc.client_status.is_empty()
            {
                tg.starting += 1;
                if tg.queued > 0 {
                    tg.queued -= 1;
                }
            }
        }
        Some(old) if old.client_status != alloc.client_status => {
            if let Some(bin) = bin(tg, &alloc.client_status) {
                *bin += 1;
            }
            let old_status = if old.client_status.is_empty() {
                ALLOC_CLIENT_STATUS_PENDING
            } else {
                old.client_status.as_str()
            };
            if !matches!(
                old_status,
                ALLOC_CLIENT_STATUS_COMPLETE | ALLOC_CLIENT_STATUS_FAILED
            ) && let Some(bin) = bin(tg, old_status)
                && *bin > 0
            {
                *bin -= 1;
            }
        }
        Some(_) => {}
    }
    if *tg != before {
        summary.modify_index = index;
        t.job_summaries.insert(key, Arc::new(summary));
        t.touch(Table::JobSummaries, index);
    }
}

/// Sets the Queued count of each group named by an evaluation's `QueuedAllocations`.
pub(super) fn update_queued(
    t: &mut Tables,
    index: u64,
    key: &JobKey,
    queued: &std::collections::BTreeMap<String, i32>,
) {
    let Some(summary) = t.job_summaries.get(key) else {
        return;
    };
    let mut summary = (**summary).clone();
    let mut changed = false;
    for (group, n) in queued {
        if let Some(tg) = summary.summary.get_mut(group)
            && tg.queued != i64::from(*n)
        {
            tg.queued = i64::from(*n);
            changed = true;
        }
    }
    if changed {
        summary.modify_index = index;
        t.job_summaries.insert(key.clone(), Arc::new(summary));
        t.touch(Table::JobSummaries, index);
    }
}

fn bin<'a>(tg: &'a mut TaskGroupSummary, status: &str) -> Option<&'a mut i64> {
    match status {
        ALLOC_CLIENT_STATUS_RUNNING => Some(&mut tg.running),
        ALLOC_CLIENT_STATUS_PENDING => Some(&mut tg.starting),
        ALLOC_CLIENT_STATUS_COMPLETE => Some(&mut tg.complete),
        ALLOC_CLIENT_STATUS_FAILED => Some(&mut tg.failed),
        ALLOC_CLIENT_STATUS_LOST => Some(&mut tg.lost),
        ALLOC_CLIENT_STATUS_UNKNOWN => Some(&mut tg.unknown),
        _ => None,
    }
}
