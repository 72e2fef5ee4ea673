//! `plan_job`: the dry run behind `nomad job plan`. The new job is scheduled
//! against a view of the state in which it replaces the registered one; nothing is
//! submitted. The result carries Nomad's annotations (`DesiredTGUpdates`), the
//! placement failures and the annotated job diff.

use std::collections::BTreeMap;
use std::sync::Arc;

use serde::{Deserialize, Serialize};

use crate::structs::{
    AllocMetric, Allocation, DesiredUpdates, EVAL_STATUS_PENDING, EVAL_TRIGGER_JOB_REGISTER,
    Evaluation, Job, Node, PlanAnnotations,
};

use super::diff::{DIFF_ADDED, DIFF_DELETED, DIFF_EDITED, JobDiff, job_diff};
use super::generic::compute;
use super::update::tasks_updated;
use super::{Result, SchedulerContext, SchedulerError, State};

/// What `PUT /v1/job/:id/plan` returns (Nomad's `JobPlanResponse`).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct JobPlanResult {
    /// Per-group counts of what would happen.
    pub annotations: Option<PlanAnnotations>,
    /// Groups that could not be placed, with why.
    #[serde(rename = "FailedTGAllocs")]
    pub failed_tg_allocs: BTreeMap<String, AllocMetric>,
    /// `JobModifyIndex` of the registered job (0 for a new job): the value for
    /// `job run -check-index`.
    pub job_modify_index: u64,
    /// Evaluations the plan created (none for a dry run).
    pub created_evals: Vec<Evaluation>,
    /// Old vs new job (when asked for).
    pub diff: Option<JobDiff>,
    /// Next launch of a periodic job, RFC 3339 (Nomad's zero time when none).
    pub next_periodic_launch: Option<String>,
    /// Warnings.
    pub warnings: String,
}

/// The state with `job` in place of the registered version.
struct Overlay<'a> {
    inner: &'a dyn State,
    job: Arc<Job>,
}

impl State for Overlay<'_> {
    fn job_by_id(&self, namespace: &str, id: &str) -> Option<Arc<Job>> {
        if namespace == self.job.namespace && id == self.job.id {
            Some(Arc::clone(&self.job))
        } else {
            self.inner.job_by_id(namespace, id)
        }
    }
    fn nodes(&self) -> Vec<Arc<Node>> {
        self.inner.nodes()
    }
    fn node_by_id(&self, node_id: &str) -> Option<Arc<Node>> {
        self.inner.node_by_id(node_id)
    }
    fn allocs_by_job(&self, namespace: &str, job_id: &str) -> Vec<Arc<Allocation>> {
        self.inner.allocs_by_job(namespace, job_id)
    }
    fn allocs_by_node(&self, node_id: &str) -> Vec<Arc<Allocation>> {
        self.inner.allocs_by_node(node_id)
    }
    fn latest_index(&self) -> u64 {
        self.inner.latest_index()
    }
    fn node_usage(&self, node_id: &str) -> Option<super::resources::Usage> {
        self.inner.node_usage(node_id)
    }
    fn alloc_by_id(&self, id: &str) -> Option<Arc<Allocation>> {
        self.inner.alloc_by_id(id)
    }
}

/// True when two versions of a job differ in their specification (not merely in
/// status, version or Raft indexes).
pub fn spec_changed(old: &Job, new: &Job) -> bool {
    let strip = |j: &Job| Job {
        status: String::new(),
        status_description: String::new(),
        stable: false,
        version: 0,
        submit_time: 0,
        create_index: 0,
        modify_index: 0,
        job_modify_index: 0,
        ..j.clone()
    };
    strip(old) != strip(new)
}

/// Dry-runs `job` (canonicalized, validated) against `state`. `with_diff` asks
/// for the job diff.
pub fn plan_job(
    state: &dyn State,
    job: &Job,
    with_diff: bool,
    ctx: &mut SchedulerContext,
) -> Result<JobPlanResult> {
    if job.id.is_empty() {
        return Err(SchedulerError::InvalidJob("Missing job ID".into()));
    }
    let existing = state.job_by_id(&job.namespace, &job.id);
    let mut planned = job.clone();
    match existing.as_deref() {
        Some(old) if !spec_changed(old, job) => {
            planned.version = old.version;
            planned.job_modify_index = old.job_modify_index;
        }
        Some(old) => {
            planned.version = old.version + 1;
            planned.job_modify_index = state.latest_index() + 1;
        }
        None => planned.job_modify_index = state.latest_index() + 1,
    }
    let planned = Arc::new(planned);
    let overlay = Overlay {
        inner: state,
        job: Arc::clone(&planned),
    };
    let eval = Evaluation {
        id: ctx.rng.uuid(),
        namespace: job.namespace.clone(),
        priority: job.effective_priority(),
        eval_type: job.job_type.clone(),
        triggered_by: EVAL_TRIGGER_JOB_REGISTER.to_string(),
        job_id: job.id.clone(),
        job_modify_index: planned.job_modify_index,
        status: EVAL_STATUS_PENDING.to_string(),
        annotate_plan: true,
        ..Default::default()
    };
    let computed = compute(&overlay, &eval, Some(&planned), ctx);
    let diff = with_diff.then(|| {
        let mut d = job_diff(existing.as_deref(), job);
        annotate_diff(
            &mut d,
            existing.as_deref(),
            job,
            &computed.desired_tg_updates,
        );
        d
    });
    Ok(JobPlanResult {
        annotations: Some(PlanAnnotations {
            desired_tg_updates: computed.desired_tg_updates,
            preempted_allocs: Vec::new(),
        }),
        failed_tg_allocs: computed.failed_tg_allocs,
        job_modify_index: existing.map(|j| j.job_modify_index).unwrap_or(0),
        created_evals: Vec::new(),
        diff,
        next_periodic_launch: None,
        warnings: String::new(),
    })
}

/// Nomad's names for the counts, as `TaskGroupDiff.Updates` keys.
pub fn update_counts(du: &DesiredUpdates) -> BTreeMap<String, u64> {
    let pairs = [
        ("create", du.place),
        ("destroy", du.stop),
        ("migrate", du.migrate),
        ("canary", du.canary),
        ("in-place update", du.in_place_update),
        ("create/destroy update", du.destructive_update),
        ("ignore", du.ignore),
    ];
    pairs
        .into_iter()
        .filter(|(_, n)| *n > 0)
        .map(|(k, n)| (k.to_string(), n))
        .collect()
}

/// Adds the scheduler's counts to each group and the "forces ..." annotations to
/// tasks and to a changed `Count`.
fn annotate_diff(
    d: &mut JobDiff,
    old: Option<&Job>,
    new: &Job,
    updates: &BTreeMap<String, DesiredUpdates>,
) {
    for g in &mut d.task_groups {
        if let Some(du) = updates.get(&g.name) {
            g.updates = update_counts(du);
        }
        for f in g
            .fields
            .iter_mut()
            .filter(|f| f.name == "Count" && f.diff_type == DIFF_EDITED)
        {
            let (o, n) = (
                f.old.parse::<i64>().unwrap_or(0),
                f.new.parse::<i64>().unwrap_or(0),
            );
            f.annotations = vec![
                if n > o {
                    "forces create"
                } else {
                    "forces destroy"
                }
                .to_string(),
            ];
        }
        let destructive = old.is_some_and(|o| tasks_updated(o, new, &g.name));
        for t in &mut g.tasks {
            let note = match t.diff_type.as_str() {
                DIFF_ADDED => "forces create",
                DIFF_DELETED => "forces destroy",
                DIFF_EDITED if destructive => "forces create/destroy update",
                DIFF_EDITED => "forces in-place update",
                _ => continue,
            };
            t.annotations = vec![note.to_string()];
        }
    }
}
