//! The compact encoding of a plan's allocations in its Raft entry (`PlanResults::allocs_to_upsert`).
//!
//! The placements of one plan for one task group are identical but for their ID, name index, node
//! and placement metrics. They are written as a few templates (one per distinct shape) and, per
//! allocation, only what differs from its template: IDs and node IDs as 16 raw bytes when they are
//! UUIDs, the name as its index, resources only when they differ, metrics as a positional patch.
//! Decoding expands them back into the exact allocations (the state machine applies those; the
//! allocations of one template share its resources), so
//! nothing but the log's bytes changes; the HTTP API's JSON is untouched.
//!
//! ```text
//!   Vec<Allocation> --encode--> { T: [template..], A: [(t, id, name, node, node name, res?, metrics?)..] }
//!                   <--decode--  (an entry written before this encoding, a plain sequence, still decodes)
//! ```

use std::fmt;
use std::sync::Arc;

use serde::de::{self, MapAccess, SeqAccess, Visitor};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::structs::{
    AllocMetric, AllocatedResources, Allocation, NodeScoreMeta, SmallMap, alloc_name,
};

/// How many of the latest templates an allocation is compared with (keeps encoding linear when
/// every allocation has its own shape, e.g. in-place updates).
const TEMPLATE_SEARCH: usize = 8;

/// Scorer names written as their position here (append only: entries in the log refer to it).
const KNOWN_SCORES: &[&str] = &[
    "binpack",
    "job-anti-affinity",
    "node-reschedule-penalty",
    "node-affinity",
    "allocation-spread",
];

/// A plan's allocations as templates and per-allocation deltas.
#[derive(Serialize, Deserialize)]
struct Compact {
    #[serde(rename = "T")]
    templates: Vec<Allocation>,
    #[serde(rename = "A")]
    allocs: Vec<Delta>,
}

/// What one allocation changes in its template (positional: no field names in the entry).
#[derive(Serialize, Deserialize)]
struct Delta(
    /// Template index.
    u32,
    /// ID.
    Id,
    /// Name.
    Name,
    /// Node ID.
    Id,
    /// Node name.
    String,
    /// Resources, when they differ from the template's (a 1-tuple, so that "none" differs from
    /// "the template's").
    Option<(Option<Arc<AllocatedResources>>,)>,
    /// Metrics, when they differ from the template's.
    Option<MetricPatch>,
);

/// An allocation's name: its index when it is `<job>.<group>[<index>]`, else the whole name.
#[derive(Serialize, Deserialize)]
#[serde(untagged)]
enum Name {
    Index(u32),
    Full(String),
}

/// Metrics that differ from the template's.
#[derive(Serialize, Deserialize)]
enum MetricPatch {
    /// Field by field (both have metrics).
    #[serde(rename = "D")]
    Diff(Box<MetricDiff>),
    /// Whole (one of them has none).
    #[serde(rename = "W")]
    Whole(Option<Box<AllocMetric>>),
}

/// `AllocMetric`'s fields in order, each `None` when equal to the template's.
#[derive(Serialize, Deserialize, Default)]
struct MetricDiff(
    Option<i32>,
    Option<i32>,
    Option<i32>,
    Option<SmallMap<i32>>,
    Option<SmallMap<i32>>,
    Option<SmallMap<i32>>,
    Option<i32>,
    Option<SmallMap<i32>>,
    Option<SmallMap<i32>>,
    Option<Vec<String>>,
    Option<SmallMap<crate::structs::Resources>>,
    Option<SmallMap<f64>>,
    Option<Vec<ScoreMeta>>,
    Option<i64>,
    Option<i32>,
);

/// One `NodeScoreMeta`, positional: node, (scorer, score) pairs, normalized score (`None` when it
/// is [`mean`] of the scores, as the scheduler computes it).
#[derive(Serialize, Deserialize)]
struct ScoreMeta(Id, Vec<(Scorer, f64)>, Option<f64>);

/// A scorer's name: its position in [`KNOWN_SCORES`], or the name.
#[derive(Serialize, Deserialize)]
#[serde(untagged)]
enum Scorer {
    Known(u8),
    Other(String),
}

/// An ID: 16 raw bytes when it is a lowercase hyphenated UUID (what the servers generate), else
/// the string.
struct Id(String);

/// Serializes `allocs` compactly (the `serialize_with` of `allocs_to_upsert`).
pub(crate) fn serialize<S: Serializer>(allocs: &[Allocation], s: S) -> Result<S::Ok, S::Error> {
    encode(allocs).serialize(s)
}

/// Decodes the compact form, or the plain sequence older entries carry.
pub(crate) fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<Allocation>, D::Error> {
    struct AllocsVisitor;
    impl<'de> Visitor<'de> for AllocsVisitor {
        type Value = Vec<Allocation>;
        fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
            f.write_str("compact allocations or a sequence of allocations")
        }
        fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
            Ok(Vec::new())
        }
        fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
            let mut out = Vec::new();
            while let Some(a) = seq.next_element()? {
                out.push(a);
            }
            Ok(out)
        }
        fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Self::Value, A::Error> {
            let c = Compact::deserialize(de::value::MapAccessDeserializer::new(map))?;
            decode(c).map_err(de::Error::custom)
        }
    }
    d.deserialize_any(AllocsVisitor)
}

/// Whether `a` equals template `t` in everything deltas do not carry. Destructured so that a
/// new `Allocation` field cannot be forgotten here (nor cloned to compare).
fn same_shape(a: &Allocation, t: &Allocation) -> bool {
    let Allocation {
        id: _,
        name: _,
        node_id: _,
        node_name: _,
        allocated_resources: _,
        metrics: _,
        namespace,
        eval_id,
        job_id,
        job,
        task_group,
        desired_status,
        desired_description,
        desired_transition,
        client_status,
        client_description,
        task_states,
        deployment_id,
        deployment_status,
        reschedule_tracker,
        followup_eval_id,
        previous_allocation,
        next_allocation,
        preempted_allocations,
        preempted_by_allocation,
        alloc_modify_index,
        create_index,
        modify_index,
        create_time,
        modify_time,
    } = a;
    *create_time == t.create_time
        && *modify_time == t.modify_time
        && *create_index == t.create_index
        && *modify_index == t.modify_index
        && *alloc_modify_index == t.alloc_modify_index
        && *task_group == t.task_group
        && *job_id == t.job_id
        && *eval_id == t.eval_id
        && *namespace == t.namespace
        && *desired_status == t.desired_status
        && *client_status == t.client_status
        && *desired_description == t.desired_description
        && *client_description == t.client_description
        && *desired_transition == t.desired_transition
        && *deployment_id == t.deployment_id
        && *deployment_status == t.deployment_status
        && *reschedule_tracker == t.reschedule_tracker
        && *followup_eval_id == t.followup_eval_id
        && *previous_allocation == t.previous_allocation
        && *next_allocation == t.next_allocation
        && *preempted_allocations == t.preempted_allocations
        && *preempted_by_allocation == t.preempted_by_allocation
        && *task_states == t.task_states
        && match (job, &t.job) {
            (Some(x), Some(y)) => Arc::ptr_eq(x, y) || x == y,
            (None, None) => true,
            _ => false,
        }
}

fn encode(allocs: &[Allocation]) -> Compact {
    let mut templates: Vec<Allocation> = Vec::new();
    let mut deltas = Vec::with_capacity(allocs.len());
    for a in allocs {
        let from = templates.len().saturating_sub(TEMPLATE_SEARCH);
        let t = match (from..templates.len())
            .rev()
            .find(|&i| same_shape(a, &templates[i]))
        {
            Some(i) => i,
            None => {
                templates.push(Allocation {
                    id: String::new(),
                    name: String::new(),
                    node_id: String::new(),
                    node_name: String::new(),
                    ..a.clone()
                });
                templates.len() - 1
            }
        };
        let tpl = &templates[t];
        let name = match a.index() {
            Some(i) if a.name == alloc_name(&tpl.job_id, &tpl.task_group, i) => Name::Index(i),
            _ => Name::Full(a.name.clone()),
        };
        let resources = (a.allocated_resources != tpl.allocated_resources)
            .then(|| (a.allocated_resources.clone(),));
        let metrics = match (&a.metrics, &tpl.metrics) {
            (m, tm) if m == tm => None,
            (Some(m), Some(tm)) => Some(MetricPatch::Diff(Box::new(diff(m, tm)))),
            (m, _) => Some(MetricPatch::Whole(m.as_deref().cloned().map(Box::new))),
        };
        deltas.push(Delta(
            t as u32,
            Id(a.id.clone()),
            name,
            Id(a.node_id.clone()),
            a.node_name.clone(),
            resources,
            metrics,
        ));
    }
    Compact {
        templates,
        allocs: deltas,
    }
}

fn decode(c: Compact) -> Result<Vec<Allocation>, String> {
    let mut out = Vec::with_capacity(c.allocs.len());
    for Delta(t, id, name, node_id, node_name, resources, metrics) in c.allocs {
        let tpl = c
            .templates
            .get(t as usize)
            .ok_or_else(|| format!("allocation {:?} refers to missing template {t}", id.0))?;
        let name = match name {
            Name::Index(i) => alloc_name(&tpl.job_id, &tpl.task_group, i),
            Name::Full(n) => n,
        };
        let metrics = match metrics {
            None => tpl.metrics.clone(),
            Some(MetricPatch::Whole(m)) => m.map(|m| Arc::new(*m)),
            Some(MetricPatch::Diff(d)) => {
                let base = tpl.metrics.as_ref().ok_or_else(|| {
                    format!(
                        "allocation {:?}: metrics patch without template metrics",
                        id.0
                    )
                })?;
                Some(Arc::new(patch(base, *d)))
            }
        };
        out.push(Allocation {
            id: id.0,
            name,
            node_id: node_id.0,
            node_name,
            allocated_resources: match resources {
                Some((r,)) => r,
                None => tpl.allocated_resources.clone(),
            },
            metrics,
            ..tpl.clone()
        });
    }
    Ok(out)
}

/// `Some(new)` when it differs from `old`.
fn changed<T: PartialEq + Clone>(new: &T, old: &T) -> Option<T> {
    (new != old).then(|| new.clone())
}

fn diff(m: &AllocMetric, t: &AllocMetric) -> MetricDiff {
    MetricDiff(
        changed(&m.nodes_evaluated, &t.nodes_evaluated),
        changed(&m.nodes_filtered, &t.nodes_filtered),
        changed(&m.nodes_in_pool, &t.nodes_in_pool),
        changed(&m.nodes_available, &t.nodes_available),
        changed(&m.class_filtered, &t.class_filtered),
        changed(&m.constraint_filtered, &t.constraint_filtered),
        changed(&m.nodes_exhausted, &t.nodes_exhausted),
        changed(&m.class_exhausted, &t.class_exhausted),
        changed(&m.dimension_exhausted, &t.dimension_exhausted),
        changed(&m.quota_exhausted, &t.quota_exhausted),
        changed(&m.resources_exhausted, &t.resources_exhausted),
        changed(&m.scores, &t.scores),
        (m.score_meta_data != t.score_meta_data)
            .then(|| m.score_meta_data.iter().map(score_meta).collect()),
        changed(&m.allocation_time, &t.allocation_time),
        changed(&m.coalesced_failures, &t.coalesced_failures),
    )
}

fn patch(t: &AllocMetric, d: MetricDiff) -> AllocMetric {
    let MetricDiff(
        nodes_evaluated,
        nodes_filtered,
        nodes_in_pool,
        nodes_available,
        class_filtered,
        constraint_filtered,
        nodes_exhausted,
        class_exhausted,
        dimension_exhausted,
        quota_exhausted,
        resources_exhausted,
        scores,
        score_meta_data,
        allocation_time,
        coalesced_failures,
    ) = d;
    AllocMetric {
        nodes_evaluated: nodes_evaluated.unwrap_or(t.nodes_evaluated),
        nodes_filtered: nodes_filtered.unwrap_or(t.nodes_filtered),
        nodes_in_pool: nodes_in_pool.unwrap_or(t.nodes_in_pool),
        nodes_available: nodes_available.unwrap_or_else(|| t.nodes_available.clone()),
        class_filtered: class_filtered.unwrap_or_else(|| t.class_filtered.clone()),
        constraint_filtered: constraint_filtered.unwrap_or_else(|| t.constraint_filtered.clone()),
        nodes_exhausted: nodes_exhausted.unwrap_or(t.nodes_exhausted),
        class_exhausted: class_exhausted.unwrap_or_else(|| t.class_exhausted.clone()),
        dimension_exhausted: dimension_exhausted.unwrap_or_else(|| t.dimension_exhausted.clone()),
        quota_exhausted: quota_exhausted.unwrap_or_else(|| t.quota_exhausted.clone()),
        resources_exhausted: resources_exhausted.unwrap_or_else(|| t.resources_exhausted.clone()),
        scores: scores.unwrap_or_else(|| t.scores.clone()),
        score_meta_data: match score_meta_data {
            Some(v) => v.into_iter().map(node_score_meta).collect(),
            None => t.score_meta_data.clone(),
        },
        allocation_time: allocation_time.unwrap_or(t.allocation_time),
        coalesced_failures: coalesced_failures.unwrap_or(t.coalesced_failures),
    }
}

fn score_meta(m: &NodeScoreMeta) -> ScoreMeta {
    let scores = m
        .scores
        .iter()
        .map(|(k, v)| {
            let key = match KNOWN_SCORES.iter().position(|s| *s == k) {
                Some(i) => Scorer::Known(i as u8),
                None => Scorer::Other(k.to_string()),
            };
            (key, *v)
        })
        .collect();
    let mean = mean(m.scores.values().copied());
    let norm = (mean.to_bits() != m.norm_score.to_bits()).then_some(m.norm_score);
    ScoreMeta(Id(m.node_id.clone()), scores, norm)
}

/// The mean of scores in order (0 without any); encoder and decoder compute it the same way, so
/// it is bit-exact.
fn mean(scores: impl Iterator<Item = f64>) -> f64 {
    let (sum, n) = scores.fold((0.0, 0u32), |(s, n), v| (s + v, n + 1));
    if n == 0 { 0.0 } else { sum / f64::from(n) }
}

fn node_score_meta(m: ScoreMeta) -> NodeScoreMeta {
    let ScoreMeta(node, scores, norm_score) = m;
    let norm_score = norm_score.unwrap_or_else(|| mean(scores.iter().map(|(_, v)| *v)));
    NodeScoreMeta {
        node_id: node.0,
        scores: scores
            .into_iter()
            .map(|(k, v)| {
                let key: std::borrow::Cow<'static, str> = match k {
                    Scorer::Known(i) => KNOWN_SCORES
                        .get(i as usize)
                        .map_or_else(|| format!("scorer-{i}").into(), |s| (*s).into()),
                    Scorer::Other(s) => s.into(),
                };
                (key, v)
            })
            .collect(),
        norm_score,
    }
}

/// The 16 bytes of a lowercase hyphenated UUID (the only form that is written as bytes, so that
/// decoding gives back the same string).
fn uuid_bytes(s: &str) -> Option<[u8; 16]> {
    let b = s.as_bytes();
    if b.len() != 36 {
        return None;
    }
    let mut out = [0u8; 16];
    let mut n = 0;
    let mut hi: Option<u8> = None;
    for (i, &c) in b.iter().enumerate() {
        if matches!(i, 8 | 13 | 18 | 23) {
            if c != b'-' {
                return None;
            }
            continue;
        }
        let v = match c {
            b'0'..=b'9' => c - b'0',
            b'a'..=b'f' => c - b'a' + 10,
            _ => return None,
        };
        match hi.take() {
            None => hi = Some(v),
            Some(h) => {
                out[n] = (h << 4) | v;
                n += 1;
            }
        }
    }
    Some(out)
}

fn uuid_string(b: &[u8]) -> Option<String> {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    if b.len() != 16 {
        return None;
    }
    // One allocation: followers decode a plan's IDs on every apply, so this is on the hot path.
    let mut out = String::with_capacity(36);
    for (i, &x) in b.iter().enumerate() {
        if matches!(i, 4 | 6 | 8 | 10) {
            out.push('-');
        }
        out.push(HEX[usize::from(x >> 4)] as char);
        out.push(HEX[usize::from(x & 0xf)] as char);
    }
    Some(out)
}

impl Serialize for Id {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match uuid_bytes(&self.0) {
            Some(b) => s.serialize_bytes(&b),
            None => s.serialize_str(&self.0),
        }
    }
}

impl<'de> Deserialize<'de> for Id {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct IdVisitor;
        impl<'de> Visitor<'de> for IdVisitor {
            type Value = Id;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("an ID as a string or 16 bytes")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Id, E> {
                Ok(Id(v.to_string()))
            }
            fn visit_string<E: de::Error>(self, v: String) -> Result<Id, E> {
                Ok(Id(v))
            }
            fn visit_bytes<E: de::Error>(self, v: &[u8]) -> Result<Id, E> {
                uuid_string(v)
                    .map(Id)
                    .ok_or_else(|| E::invalid_length(v.len(), &"16 bytes"))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Id, A::Error> {
                // Formats without a bytes type (JSON) write them as a sequence of numbers.
                let mut b = Vec::with_capacity(16);
                while let Some(x) = seq.next_element::<u8>()? {
                    b.push(x);
                }
                self.visit_bytes(&b)
            }
        }
        d.deserialize_any(IdVisitor)
    }
}

#[cfg(test)]
#[path = "placements_tests.rs"]
mod tests;
