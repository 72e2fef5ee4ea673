//! Ranking and selection: walk the shuffled candidate nodes, drop infeasible ones
//! (counting why), check fit (cpu, memory, disk, ports), score the rest and take
//! the best of the first few (Nomad's limit: `max(2, ceil(log2 N))` nodes for
//! service jobs, 2 for batch; up to 3 non-positive scores are skipped).

mod ports;
mod score;

pub use ports::{DIM_DYNAMIC_PORT, DIM_RESERVED_PORT, UsedPorts, parse_port_list};
pub use score::*;

use std::collections::HashMap;
use std::sync::Arc;

use crate::structs::{
    AllocMetric, AllocatedResources, Job, Node, NodeScoreMeta, OP_DISTINCT_HOSTS, SmallMap,
    TaskGroup,
};

use super::feasible::{GroupChecker, resolve_target};
use super::plan_ctx::PlanCtx;
use super::resources::{Usage, alloc_usage, node_capacity, usage_of};
use super::{SchedRng, SchedulerAlgorithm};

/// Scores with a final score at or below this are skipped while others exist.
const SKIP_SCORE_THRESHOLD: f64 = 0.0;
/// How many low-scoring nodes may be skipped.
const MAX_SKIP: usize = 3;
/// How many nodes' scores are kept in `ScoreMetaData`.
const MAX_SCORE_META: usize = 5;

/// A chosen node and what the allocation gets there.
#[derive(Debug, Clone)]
pub struct Selected {
    /// The node.
    pub node: Arc<Node>,
    /// Resources with ports assigned (the group's ask itself when it has none).
    pub resources: Arc<AllocatedResources>,
    /// Final score.
    pub score: f64,
}

/// What one placement asks for.
pub struct SelectRequest<'r> {
    /// The job.
    pub job: &'r Job,
    /// The group.
    pub tg: &'r TaskGroup,
    /// Prepared feasibility checks of the group.
    pub checker: &'r GroupChecker,
    /// Resources before port assignment.
    pub ask: &'r Arc<AllocatedResources>,
    /// Node to penalise (where a rescheduled allocation failed).
    pub penalty_node: Option<&'r str>,
    /// Nodes to consider before picking the best.
    pub limit: usize,
    /// Binpack or spread.
    pub algorithm: SchedulerAlgorithm,
}

/// The candidate nodes of one evaluation, in random order, with a cursor that
/// carries over between placements (so successive placements look at new nodes).
pub struct Selector {
    nodes: Vec<Arc<Node>>,
    cursor: usize,
}

impl Selector {
    /// Candidates from already filtered (ready, datacenter, pool) nodes.
    pub fn new(mut nodes: Vec<Arc<Node>>, rng: &mut SchedRng) -> Self {
        rng.shuffle(&mut nodes);
        Self { nodes, cursor: 0 }
    }

    /// How many candidates there are.
    pub fn len(&self) -> usize {
        self.nodes.len()
    }

    /// True when there is no candidate.
    pub fn is_empty(&self) -> bool {
        self.nodes.is_empty()
    }

    /// Picks a node for one allocation; fills `metric` either way.
    pub fn select(
        &mut self,
        pctx: &PlanCtx<'_>,
        rng: &mut SchedRng,
        req: &SelectRequest<'_>,
        metric: &mut AllocMetric,
    ) -> Option<Selected> {
        let n = self.nodes.len();
        if n == 0 {
            return None;
        }
        let property_counts = distinct_property_counts(pctx, req);
        let ask_usage = usage_of(req.ask);
        let needs_ports = has_networks(req.ask);
        let mut ranked: Vec<Ranked> = Vec::with_capacity(req.limit);
        let mut skipped: Vec<Ranked> = Vec::with_capacity(MAX_SKIP);
        // Node, scores and final score of each ranked node; only the best become metadata.
        let mut metas: Vec<(Arc<Node>, SmallMap<f64>, f64)> =
            Vec::with_capacity(req.limit + MAX_SKIP);
        let mut visited = 0;
        while visited < n && ranked.len() < req.limit {
            let node = Arc::clone(&self.nodes[(self.cursor + visited) % n]);
            visited += 1;
            metric.nodes_evaluated += 1;
            if let Err(reason) = req.checker.check(&node) {
                metric.filter_node(&node.node_class, &reason);
                continue;
            }
            // Usage, ports and collisions of what the node would run.
            let mut used = ask_usage;
            let mut ports = if needs_ports {
                UsedPorts::for_node(&node)
            } else {
                UsedPorts::default()
            };
            let mut same_group = 0usize;
            let mut same_job = 0usize;
            // Without ports to assign, the indexed totals say the same as visiting every
            // allocation the node would run.
            let totals = if needs_ports {
                None
            } else {
                pctx.proposed_totals(&node.id, &req.job.namespace, &req.job.id, &req.tg.name)
            };
            match totals {
                Some(t) => {
                    used.add(&t.used);
                    same_job = t.same_job;
                    same_group = t.same_group;
                }
                None => pctx.for_each_proposed(&node.id, |a| {
                    used.add(&alloc_usage(a));
                    if needs_ports {
                        ports.add_alloc(a);
                    }
                    if a.job_id == req.job.id && a.namespace == req.job.namespace {
                        same_job += 1;
                        if a.task_group == req.tg.name {
                            same_group += 1;
                        }
                    }
                }),
            }
            if let Some(reason) =
                distinct_violation(req, &node, same_job, same_group, &property_counts)
            {
                metric.filter_node(&node.node_class, &reason);
                continue;
            }
            let capacity = node_capacity(&node);
            if let Some(dim) = used.exceeds(&capacity) {
                metric.exhausted_node(&node.node_class, dim);
                continue;
            }
            // Without networks there is nothing node-specific to assign: the
            // chosen node gets a copy of the ask at the end.
            let mut resources = None;
            if needs_ports {
                let mut res = (**req.ask).clone();
                if let Err(dim) = ports::assign_ports(&node, &mut ports, &mut res, rng) {
                    metric.exhausted_node(&node.node_class, dim);
                    continue;
                }
                resources = Some(res);
            }
            let (score, scores) = score_node(&node, &used, &capacity, same_group, req);
            metas.push((Arc::clone(&node), scores, score));
            let sel = Ranked {
                node,
                resources,
                score,
            };
            if score <= SKIP_SCORE_THRESHOLD && skipped.len() < MAX_SKIP {
                skipped.push(sel);
            } else {
                ranked.push(sel);
            }
        }
        self.cursor = (self.cursor + visited) % n;
        // Skipped nodes fill up when there were not enough good ones.
        while ranked.len() < req.limit && !skipped.is_empty() {
            ranked.push(skipped.remove(0));
        }
        metas.sort_by(|a, b| b.2.total_cmp(&a.2));
        metas.truncate(MAX_SCORE_META);
        metric.score_meta_data = metas
            .into_iter()
            .map(|(node, scores, norm_score)| NodeScoreMeta {
                node_id: node.id.clone(),
                scores,
                norm_score,
            })
            .collect();
        let best = ranked
            .into_iter()
            .reduce(|best, s| if s.score > best.score { s } else { best })?;
        Some(Selected {
            resources: best.resources.map_or_else(|| Arc::clone(req.ask), Arc::new),
            node: best.node,
            score: best.score,
        })
    }
}

/// A ranked node; resources only when ports had to be assigned on it.
struct Ranked {
    node: Arc<Node>,
    resources: Option<AllocatedResources>,
    score: f64,
}

fn has_networks(res: &AllocatedResources) -> bool {
    !res.shared.networks.is_empty() || res.tasks.values().any(|t| !t.networks.is_empty())
}

fn score_node(
    node: &Node,
    used: &Usage,
    capacity: &Usage,
    same_group: usize,
    req: &SelectRequest<'_>,
) -> (f64, SmallMap<f64>) {
    let mut scores = SmallMap::new();
    scores.insert(SCORE_BINPACK, fit_score(used, capacity, req.algorithm));
    if let Some(p) = anti_affinity(same_group, req.tg.desired_count()) {
        scores.insert(SCORE_JOB_ANTI_AFFINITY, p);
    }
    if req.penalty_node == Some(node.id.as_str()) {
        scores.insert(SCORE_RESCHEDULE_PENALTY, -1.0);
    }
    (final_score(scores.values()), scores)
}

/// For each `distinct_property` constraint, how many proposed allocations (of the
/// job, or of the group) sit on nodes with each property value.
fn distinct_property_counts(
    pctx: &PlanCtx<'_>,
    req: &SelectRequest<'_>,
) -> Vec<HashMap<String, usize>> {
    let props: Vec<_> = req
        .checker
        .distinct
        .iter()
        .filter(|d| d.constraint.operand != OP_DISTINCT_HOSTS)
        .collect();
    if props.is_empty() {
        return Vec::new();
    }
    let allocs = pctx.proposed_job_allocs(&req.job.namespace, &req.job.id);
    let mut node_cache: HashMap<String, Option<Arc<Node>>> = HashMap::new();
    props
        .iter()
        .map(|d| {
            let mut counts = HashMap::new();
            for a in allocs
                .iter()
                .filter(|a| !d.group_level || a.task_group == req.tg.name)
            {
                let node = node_cache
                    .entry(a.node_id.clone())
                    .or_insert_with(|| pctx.state.node_by_id(&a.node_id));
                if let Some(v) = node
                    .as_ref()
                    .and_then(|n| resolve_target(&d.constraint.l_target, n))
                {
                    *counts.entry(v).or_insert(0) += 1;
                }
            }
            counts
        })
        .collect()
}

fn distinct_violation(
    req: &SelectRequest<'_>,
    node: &Node,
    same_job: usize,
    same_group: usize,
    property_counts: &[HashMap<String, usize>],
) -> Option<String> {
    let mut props = property_counts.iter();
    for d in &req.checker.distinct {
        let c = &d.constraint;
        if c.operand == OP_DISTINCT_HOSTS {
            // `value = "false"` switches the constraint off.
            let on = !matches!(c.r_target.as_str(), "false" | "0");
            let count = if d.group_level { same_group } else { same_job };
            if on && count > 0 {
                return Some(OP_DISTINCT_HOSTS.to_string());
            }
            continue;
        }
        let counts = props.next()?;
        let limit: usize = c.r_target.trim().parse().unwrap_or(1);
        match resolve_target(&c.l_target, node) {
            None => return Some(c.to_string()),
            Some(v) if counts.get(&v).copied().unwrap_or(0) >= limit => return Some(c.to_string()),
            Some(_) => {}
        }
    }
    None
}
