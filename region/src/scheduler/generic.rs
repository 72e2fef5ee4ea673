//! The generic scheduler (service and batch jobs): reconcile, place, submit the
//! plan (retrying on partial commits), then record the evaluation's outcome and
//! leave a blocked eval for whatever did not fit.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use crate::structs::{
    ALLOC_CLIENT_STATUS_PENDING, ALLOC_DESIRED_STATUS_RUN, ALLOC_DESIRED_STATUS_STOP, AllocMetric,
    Allocation, DesiredUpdates, EVAL_STATUS_BLOCKED, EVAL_STATUS_COMPLETE, EVAL_STATUS_FAILED,
    EVAL_STATUS_PENDING, EVAL_TRIGGER_MAX_PLANS, EVAL_TRIGGER_QUEUED_ALLOCS,
    EVAL_TRIGGER_RETRY_FAILED_ALLOC, Evaluation, JOB_TYPE_BATCH, Job, Plan, RescheduleEvent,
    RescheduleTracker,
};

use super::feasible::{GroupChecker, in_datacenters, in_node_pool};
use super::plan_ctx::PlanCtx;
use super::rank::{SelectRequest, Selector};
use super::reconcile::{PlaceReason, Placement, reconcile};
use super::resources::task_group_ask;
use super::time::rfc3339;
use super::{Planner, Result, SchedulerContext, State};

/// Status description of a blocked eval made for unplaced allocations.
pub const BLOCKED_EVAL_DESC: &str = "created to place remaining allocations";
/// Status description of a blocked eval made after too many rejected plans.
pub const BLOCKED_EVAL_MAX_PLAN_DESC: &str = "created due to placement conflicts";

/// Everything one pass of the scheduler decided, before submission.
#[derive(Debug, Clone, Default)]
pub struct Computed {
    /// The plan.
    pub plan: Plan,
    /// Placement failures per group.
    pub failed_tg_allocs: BTreeMap<String, AllocMetric>,
    /// Unplaced allocations per group (every group of the job is listed).
    pub queued: BTreeMap<String, i32>,
    /// Delayed evaluations for failed allocations to reschedule later.
    pub followups: Vec<Evaluation>,
    /// Counts per group for `job plan`.
    pub desired_tg_updates: BTreeMap<String, DesiredUpdates>,
    /// Node classes seen eligible (true) or filtered (false).
    pub class_eligibility: BTreeMap<String, bool>,
}

/// Processes a service or batch evaluation.
pub fn process_generic(
    state: &dyn State,
    planner: &mut dyn Planner,
    eval: &Evaluation,
    ctx: &mut SchedulerContext,
) -> Result<()> {
    let batch = eval.eval_type == JOB_TYPE_BATCH;
    let max_attempts = if batch {
        ctx.config.max_batch_plan_attempts
    } else {
        ctx.config.max_service_plan_attempts
    }
    .max(1);
    let mut refreshed: Option<Box<dyn State>> = None;
    let mut attempts = 0;
    loop {
        let st: &dyn State = refreshed.as_deref().unwrap_or(state);
        let job = st.job_by_id(&eval.namespace, &eval.job_id);
        let mut computed = compute(st, eval, job.as_ref(), ctx);
        let snapshot_index = st.latest_index();
        if computed.plan.is_no_op() && computed.followups.is_empty() {
            return finish(planner, eval, ctx, computed, snapshot_index, None);
        }
        for f in &computed.followups {
            planner.create_eval(f.clone());
        }
        let plan = std::mem::take(&mut computed.plan);
        let (result, newer) = planner.submit_plan(plan)?;
        if result.refresh_index == 0 && result.rejected_nodes.is_empty() {
            return finish(planner, eval, ctx, computed, snapshot_index, None);
        }
        attempts += 1;
        if attempts >= max_attempts {
            let desc = format!("maximum attempts reached ({max_attempts})");
            return finish(planner, eval, ctx, computed, snapshot_index, Some(desc));
        }
        if let Some(s) = newer {
            refreshed = Some(s);
        }
    }
}

/// One pass: reconcile and place against `st`, without submitting anything.
pub fn compute(
    st: &dyn State,
    eval: &Evaluation,
    job: Option<&Arc<Job>>,
    ctx: &mut SchedulerContext,
) -> Computed {
    let allocs = st.allocs_by_job(&eval.namespace, &eval.job_id);
    let mut nodes = HashMap::new();
    for a in &allocs {
        if !nodes.contains_key(&a.node_id)
            && let Some(n) = st.node_by_id(&a.node_id)
        {
            nodes.insert(a.node_id.clone(), n);
        }
    }
    let rec = reconcile(job.map(|j| &**j), &allocs, &nodes, ctx.now, &eval.id);
    let plan = Plan {
        eval_id: eval.id.clone(),
        priority: job.map(|j| j.effective_priority()).unwrap_or(eval.priority),
        all_at_once: job.is_some_and(|j| j.all_at_once),
        job: job.cloned(),
        snapshot_index: st.latest_index(),
        ..Default::default()
    };
    let mut pctx = PlanCtx::new(st, plan);
    for s in &rec.stop {
        pctx.stop(
            &s.alloc,
            ALLOC_DESIRED_STATUS_STOP,
            s.description,
            s.client_status,
        );
    }
    let mut out = Computed {
        desired_tg_updates: rec.desired_tg_updates.clone(),
        ..Default::default()
    };
    let Some(job) = job.filter(|j| !j.stop) else {
        out.plan = pctx.plan;
        return out;
    };
    for tg in &job.task_groups {
        out.queued.insert(tg.name.clone(), 0);
    }
    add_followups(&mut pctx, &mut out, eval, job, &rec.reschedule_later, ctx);
    for a in &rec.in_place {
        let mut updated = (**a).clone();
        updated.job = Some(Arc::clone(job));
        updated.eval_id = eval.id.clone();
        updated.modify_time = ctx.now;
        pctx.place(updated);
    }
    if !rec.place.is_empty() {
        place_all(&mut pctx, &mut out, eval, job, &rec.place, ctx);
    }
    out.plan = pctx.plan;
    out
}

fn add_followups(
    pctx: &mut PlanCtx<'_>,
    out: &mut Computed,
    eval: &Evaluation,
    job: &Job,
    later: &[(Arc<Allocation>, i64)],
    ctx: &mut SchedulerContext,
) {
    // One follow-up eval per distinct time (Nomad batches them likewise).
    let mut by_time: BTreeMap<i64, String> = BTreeMap::new();
    for (a, at) in later {
        let id = by_time.entry(*at).or_insert_with(|| ctx.rng.uuid()).clone();
        let mut marked = (**a).clone();
        marked.followup_eval_id = id;
        pctx.place(marked);
    }
    for (at, id) in by_time {
        out.followups.push(Evaluation {
            id,
            namespace: job.namespace.clone(),
            priority: job.effective_priority(),
            eval_type: job.job_type.clone(),
            triggered_by: EVAL_TRIGGER_RETRY_FAILED_ALLOC.to_string(),
            job_id: job.id.clone(),
            job_modify_index: job.job_modify_index,
            status: EVAL_STATUS_PENDING.to_string(),
            wait_until: Some(rfc3339(at)),
            previous_eval: eval.id.clone(),
            create_time: ctx.now,
            modify_time: ctx.now,
            ..Default::default()
        });
    }
}

/// The nodes a job may use: ready, in its datacenters and node pool.
pub fn candidate_nodes(
    st: &dyn State,
    job: &Job,
    metric: &mut AllocMetric,
) -> Vec<Arc<crate::structs::Node>> {
    let mut out = Vec::new();
    for n in st.nodes() {
        if !in_node_pool(job, &n) {
            continue;
        }
        metric.nodes_in_pool += 1;
        if !n.ready() || !in_datacenters(job, &n) {
            continue;
        }
        *metric.nodes_available.get_or_default(&n.datacenter) += 1;
        out.push(n);
    }
    out
}

/// Nomad's limit: service jobs look at `max(2, ceil(log2 N))` nodes, batch at 2.
pub fn select_limit(job: &Job, candidates: usize) -> usize {
    if job.job_type == JOB_TYPE_BATCH {
        return 2;
    }
    let log = (candidates.max(1) as f64).log2().ceil() as usize;
    log.max(2)
}

fn place_all(
    pctx: &mut PlanCtx<'_>,
    out: &mut Computed,
    eval: &Evaluation,
    job: &Job,
    placements: &[Placement],
    ctx: &mut SchedulerContext,
) {
    let mut base = AllocMetric::default();
    let candidates = candidate_nodes(pctx.state, job, &mut base);
    let limit = select_limit(job, candidates.len());
    let mut selector = Selector::new(candidates, &mut ctx.rng);
    let mut checkers: HashMap<&str, (GroupChecker, Arc<crate::structs::AllocatedResources>)> =
        HashMap::new();
    for p in placements {
        let Some(tg) = job.lookup_task_group(&p.task_group) else {
            continue;
        };
        if let Some(failed) = out.failed_tg_allocs.get_mut(&tg.name) {
            // The group already failed in this eval: the same nodes would refuse.
            failed.coalesced_failures += 1;
            *out.queued.entry(tg.name.clone()).or_default() += 1;
            continue;
        }
        let (checker, ask) = checkers
            .entry(tg.name.as_str())
            .or_insert_with(|| (GroupChecker::new(job, tg), Arc::new(task_group_ask(tg))));
        let penalty = match p.reason {
            PlaceReason::Reschedule => p.previous.as_ref().map(|a| a.node_id.as_str()),
            _ => None,
        };
        let req = SelectRequest {
            job,
            tg,
            checker,
            ask,
            penalty_node: penalty,
            limit,
            algorithm: ctx.config.algorithm,
        };
        let mut metric = base.clone();
        match selector.select(pctx, &mut ctx.rng, &req, &mut metric) {
            Some(sel) => {
                record_classes(
                    &mut out.class_eligibility,
                    &metric,
                    &sel.node.computed_class,
                );
                let alloc = new_alloc(eval, job, p, sel, metric, ctx);
                pctx.place(alloc);
            }
            None => {
                for class in metric.class_filtered.keys() {
                    out.class_eligibility.insert(class.to_string(), false);
                }
                *out.queued.entry(tg.name.clone()).or_default() += 1;
                out.failed_tg_allocs.insert(tg.name.clone(), metric);
            }
        }
    }
}

fn record_classes(classes: &mut BTreeMap<String, bool>, metric: &AllocMetric, chosen: &str) {
    for class in metric.class_filtered.keys() {
        classes.entry(class.to_string()).or_insert(false);
    }
    if !chosen.is_empty() {
        classes.insert(chosen.to_string(), true);
    }
}

fn new_alloc(
    eval: &Evaluation,
    job: &Job,
    p: &Placement,
    sel: super::rank::Selected,
    metric: AllocMetric,
    ctx: &mut SchedulerContext,
) -> Allocation {
    let mut alloc = Allocation {
        id: ctx.rng.uuid(),
        namespace: job.namespace.clone(),
        eval_id: eval.id.clone(),
        name: p.name.clone(),
        node_id: sel.node.id.clone(),
        node_name: sel.node.name.clone(),
        job_id: job.id.clone(),
        // The plan carries the job once; the plan applier's commit attaches it to every new
        // allocation (Nomad normalizes plans the same way).
        job: None,
        task_group: p.task_group.clone(),
        allocated_resources: Some(sel.resources),
        metrics: Some(Arc::new(metric)),
        desired_status: ALLOC_DESIRED_STATUS_RUN.to_string(),
        client_status: ALLOC_CLIENT_STATUS_PENDING.to_string(),
        create_time: ctx.now,
        modify_time: ctx.now,
        ..Default::default()
    };
    if let Some(prev) = &p.previous {
        alloc.previous_allocation = prev.id.clone();
        if p.reason == PlaceReason::Reschedule {
            let mut tracker: RescheduleTracker =
                prev.reschedule_tracker.clone().unwrap_or_default();
            let delay = ctx.now.saturating_sub(prev.modify_time).max(0);
            tracker.events.push(RescheduleEvent {
                reschedule_time: ctx.now,
                prev_alloc_id: prev.id.clone(),
                prev_node_id: prev.node_id.clone(),
                delay,
            });
            alloc.reschedule_tracker = Some(tracker);
        }
    }
    alloc
}

/// Records the outcome: eval complete (or failed after too many rejected plans),
/// with a blocked eval for unplaced allocations.
fn finish(
    planner: &mut dyn Planner,
    eval: &Evaluation,
    ctx: &mut SchedulerContext,
    computed: Computed,
    snapshot_index: u64,
    max_plans: Option<String>,
) -> Result<()> {
    let mut updated = eval.clone();
    updated.failed_tg_allocs = computed.failed_tg_allocs.clone();
    updated.queued_allocations = computed.queued.clone();
    updated.snapshot_index = snapshot_index;
    updated.modify_time = ctx.now;
    let needs_block = !computed.failed_tg_allocs.is_empty() || max_plans.is_some();
    if needs_block && eval.status == EVAL_STATUS_BLOCKED && max_plans.is_none() {
        // A blocked eval that still cannot place everything goes back to waiting.
        updated.class_eligibility = computed.class_eligibility;
        updated.escaped_computed_class = true;
        planner.reblock_eval(updated);
        return Ok(());
    }
    if needs_block {
        let blocked = Evaluation {
            id: ctx.rng.uuid(),
            namespace: eval.namespace.clone(),
            priority: eval.priority,
            eval_type: eval.eval_type.clone(),
            triggered_by: if max_plans.is_some() {
                EVAL_TRIGGER_MAX_PLANS.to_string()
            } else {
                EVAL_TRIGGER_QUEUED_ALLOCS.to_string()
            },
            job_id: eval.job_id.clone(),
            job_modify_index: eval.job_modify_index,
            status: EVAL_STATUS_BLOCKED.to_string(),
            status_description: if max_plans.is_some() {
                BLOCKED_EVAL_MAX_PLAN_DESC.to_string()
            } else {
                BLOCKED_EVAL_DESC.to_string()
            },
            previous_eval: eval.id.clone(),
            class_eligibility: computed.class_eligibility,
            escaped_computed_class: true,
            snapshot_index,
            create_time: ctx.now,
            modify_time: ctx.now,
            ..Default::default()
        };
        updated.blocked_eval = blocked.id.clone();
        planner.create_eval(blocked);
    }
    match max_plans {
        Some(desc) => {
            updated.status = EVAL_STATUS_FAILED.to_string();
            updated.status_description = desc;
        }
        None => {
            updated.status = EVAL_STATUS_COMPLETE.to_string();
            updated.status_description = String::new();
        }
    }
    planner.update_eval(updated);
    Ok(())
}
