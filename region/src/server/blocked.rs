//! `BlockedEvals`: evaluations that could not place everything, parked until
//! capacity changes on a node class they could use. Sans-IO: the driver calls
//! `unblock` when a node registers/becomes ready or an allocation finishes, and
//! enqueues what comes back into the eval broker.
//!
//! An eval records per computed node class whether it was eligible
//! (`ClassEligibility`); a change on a class it found ineligible does not wake it.
//! An eval whose constraints escaped class caching (`EscapedComputedClass`) wakes
//! on any change. One blocked eval per job: a newer one replaces the older, which
//! the driver cancels. A change that happened after the scheduler's snapshot but
//! before the eval was blocked ("missed unblock") wakes it at once.

use std::collections::HashMap;

use crate::structs::Evaluation;

type JobKey = (String, String);

/// What the driver must do.
#[derive(Debug, Clone, PartialEq)]
pub enum BlockedEffect {
    /// Put this evaluation into the eval broker.
    Enqueue(Evaluation),
    /// Mark this evaluation canceled (superseded by a newer blocked eval of its job).
    Cancel(Evaluation),
}

/// The set of blocked evaluations.
#[derive(Debug, Default)]
pub struct BlockedEvals {
    by_id: HashMap<String, Evaluation>,
    by_job: HashMap<JobKey, String>,
    /// Last capacity change per computed class.
    class_changes: HashMap<String, u64>,
    /// Last capacity change of any class.
    any_change: u64,
}

impl BlockedEvals {
    /// An empty set.
    pub fn new() -> Self {
        Self::default()
    }

    /// Parks `eval` (status `blocked`).
    pub fn block(&mut self, eval: Evaluation) -> Vec<BlockedEffect> {
        let mut effects = Vec::new();
        let k = (eval.namespace.clone(), eval.job_id.clone());
        if let Some(old_id) = self.by_job.get(&k).cloned()
            && old_id != eval.id
            && let Some(old) = self.by_id.get(&old_id)
        {
            if old.create_index > eval.create_index {
                // Ours is the stale one.
                return vec![BlockedEffect::Cancel(eval)];
            }
            if let Some(old) = self.by_id.remove(&old_id) {
                effects.push(BlockedEffect::Cancel(old));
            }
        }
        if self.missed_unblock(&eval) {
            self.by_id.remove(&eval.id);
            if self.by_job.get(&k) == Some(&eval.id) {
                self.by_job.remove(&k);
            }
            effects.push(BlockedEffect::Enqueue(eval));
            return effects;
        }
        self.by_job.insert(k, eval.id.clone());
        self.by_id.insert(eval.id.clone(), eval);
        effects
    }

    fn missed_unblock(&self, eval: &Evaluation) -> bool {
        let seen = eval.snapshot_index;
        if eval.escaped_computed_class || eval.class_eligibility.is_empty() {
            return self.any_change > seen;
        }
        self.class_changes.iter().any(|(class, index)| {
            *index > seen && eval.class_eligibility.get(class) != Some(&false)
        })
    }

    /// Capacity changed on `class` at `index`: returns the evaluations to enqueue.
    pub fn unblock(&mut self, class: &str, index: u64) -> Vec<BlockedEffect> {
        self.class_changes.insert(class.to_string(), index);
        self.any_change = self.any_change.max(index);
        let woken: Vec<String> = self
            .by_id
            .values()
            .filter(|e| e.escaped_computed_class || e.class_eligibility.get(class) != Some(&false))
            .map(|e| e.id.clone())
            .collect();
        woken
            .into_iter()
            .filter_map(|id| self.take(&id))
            .map(BlockedEffect::Enqueue)
            .collect()
    }

    /// Forgets the job's blocked eval (it was canceled or the job was scheduled).
    pub fn untrack(&mut self, namespace: &str, job_id: &str) {
        if let Some(id) = self
            .by_job
            .remove(&(namespace.to_string(), job_id.to_string()))
        {
            self.by_id.remove(&id);
        }
    }

    fn take(&mut self, id: &str) -> Option<Evaluation> {
        let e = self.by_id.remove(id)?;
        self.by_job.remove(&(e.namespace.clone(), e.job_id.clone()));
        Some(e)
    }

    /// Number of blocked evaluations.
    pub fn len(&self) -> usize {
        self.by_id.len()
    }

    /// True when nothing is blocked.
    pub fn is_empty(&self) -> bool {
        self.by_id.is_empty()
    }

    /// The job's blocked evaluation, if any.
    pub fn for_job(&self, namespace: &str, job_id: &str) -> Option<&Evaluation> {
        let id = self
            .by_job
            .get(&(namespace.to_string(), job_id.to_string()))?;
        self.by_id.get(id)
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;

    fn blocked(id: &str, job: &str, create_index: u64, classes: &[(&str, bool)]) -> Evaluation {
        Evaluation {
            id: id.into(),
            namespace: "default".into(),
            job_id: job.into(),
            status: "blocked".into(),
            create_index,
            snapshot_index: create_index,
            class_eligibility: classes
                .iter()
                .map(|(c, e)| (c.to_string(), *e))
                .collect::<BTreeMap<_, _>>(),
            ..Default::default()
        }
    }

    #[test]
    fn unblocks_on_eligible_or_unknown_class_only() {
        let mut b = BlockedEvals::new();
        assert!(
            b.block(blocked("e1", "web", 5, &[("gpu", false), ("std", true)]))
                .is_empty()
        );
        assert!(b.unblock("gpu", 6).is_empty(), "gpu nodes can't run it");
        assert_eq!(b.len(), 1);
        let woken = b.unblock("std", 7);
        assert_eq!(woken.len(), 1);
        assert!(matches!(&woken[0], BlockedEffect::Enqueue(e) if e.id == "e1"));
        assert!(b.is_empty());
        // A class never seen may fit.
        b.block(blocked("e2", "api", 8, &[("gpu", false)]));
        assert_eq!(b.unblock("new-class", 9).len(), 1);
    }

    #[test]
    fn escaped_evals_wake_on_anything() {
        let mut b = BlockedEvals::new();
        let mut e = blocked("e1", "web", 5, &[("gpu", false)]);
        e.escaped_computed_class = true;
        b.block(e);
        assert_eq!(b.unblock("gpu", 6).len(), 1);
    }

    #[test]
    fn one_per_job_newer_wins() {
        let mut b = BlockedEvals::new();
        b.block(blocked("old", "web", 5, &[]));
        let effects = b.block(blocked("new", "web", 7, &[]));
        assert!(matches!(&effects[..], [BlockedEffect::Cancel(e)] if e.id == "old"));
        assert_eq!(
            b.for_job("default", "web").map(|e| e.id.as_str()),
            Some("new")
        );
        let effects = b.block(blocked("stale", "web", 6, &[]));
        assert!(matches!(&effects[..], [BlockedEffect::Cancel(e)] if e.id == "stale"));
        assert_eq!(b.len(), 1);
        b.untrack("default", "web");
        assert!(b.is_empty());
    }

    #[test]
    fn missed_unblock_wakes_immediately() {
        let mut b = BlockedEvals::new();
        b.unblock("std", 10);
        // The scheduler looked at index 8, before the change at 10.
        let effects = b.block(blocked("e1", "web", 8, &[("std", true)]));
        assert!(matches!(&effects[..], [BlockedEffect::Enqueue(e)] if e.id == "e1"));
        assert!(b.is_empty());
        // It had seen index 12: stays blocked.
        assert!(
            b.block(blocked("e2", "web", 12, &[("std", true)]))
                .is_empty()
        );
        assert_eq!(b.len(), 1);
    }
}
