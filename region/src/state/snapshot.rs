//! `StateSnapshot`: an immutable view of the state at one index, and the read API
//! the HTTP layer, the scheduler and the server use. Lists come sorted by ID (jobs by
//! namespace then ID); values are `Arc`s shared with the store.

use std::borrow::Borrow;
use std::sync::Arc;

use imbl::OrdMap;

use crate::scheduler::resources::Usage;
use crate::structs::{Allocation, Deployment, Evaluation, Job, JobSummary, Node};

use super::tables::{Table, Tables, job_key};

/// A consistent read-only view; cloning it is O(1).
#[derive(Debug, Clone, Default)]
pub struct StateSnapshot {
    t: Tables,
}

impl StateSnapshot {
    pub(super) fn new(t: Tables) -> Self {
        Self { t }
    }

    pub(super) fn tables(&self) -> &Tables {
        &self.t
    }

    /// Index of the last command applied before this snapshot was taken.
    pub fn latest_index(&self) -> u64 {
        self.t.latest_index
    }

    /// Index of the last change to `table` (0 if never changed).
    pub fn index(&self, table: Table) -> u64 {
        self.t.indexes.get(&table).copied().unwrap_or(0)
    }

    /// The highest index among `tables` (for blocking queries that read several).
    pub fn max_index(&self, tables: &[Table]) -> u64 {
        tables.iter().map(|t| self.index(*t)).max().unwrap_or(0)
    }

    // ---- jobs ----

    /// The job `(namespace, id)`.
    pub fn job_by_id(&self, namespace: &str, id: &str) -> Option<Arc<Job>> {
        self.t.jobs.get(&job_key(namespace, id)).cloned()
    }

    /// Every job of every namespace.
    pub fn jobs(&self) -> Vec<Arc<Job>> {
        self.t.jobs.values().cloned().collect()
    }

    /// Jobs of one namespace whose ID starts with `prefix` (all of them for `""`).
    pub fn jobs_by_id_prefix(&self, namespace: &str, prefix: &str) -> Vec<Arc<Job>> {
        self.t
            .jobs
            .range(job_key(namespace, prefix)..)
            .take_while(|((ns, id), _)| ns == namespace && id.starts_with(prefix))
            .map(|(_, j)| j.clone())
            .collect()
    }

    /// Stored versions of a job, newest first.
    pub fn job_versions(&self, namespace: &str, id: &str) -> Vec<Arc<Job>> {
        self.t
            .job_versions
            .get(&job_key(namespace, id))
            .map(|v| v.iter().cloned().collect())
            .unwrap_or_default()
    }

    /// One stored version of a job.
    pub fn job_by_version(&self, namespace: &str, id: &str, version: u64) -> Option<Arc<Job>> {
        self.job_versions(namespace, id)
            .into_iter()
            .find(|j| j.version == version)
    }

    /// The job's summary.
    pub fn job_summary(&self, namespace: &str, id: &str) -> Option<Arc<JobSummary>> {
        self.t.job_summaries.get(&job_key(namespace, id)).cloned()
    }

    // ---- nodes ----

    /// One node.
    pub fn node_by_id(&self, id: &str) -> Option<Arc<Node>> {
        self.t.nodes.get(id).cloned()
    }

    /// Every node.
    pub fn nodes(&self) -> Vec<Arc<Node>> {
        self.t.nodes.values().cloned().collect()
    }

    /// Nodes whose ID starts with `prefix`.
    pub fn nodes_by_id_prefix(&self, prefix: &str) -> Vec<Arc<Node>> {
        by_prefix(&self.t.nodes, prefix)
    }

    // ---- allocations ----

    /// One allocation.
    pub fn alloc_by_id(&self, id: &str) -> Option<Arc<Allocation>> {
        self.t.allocs.get(id).cloned()
    }

    /// Every allocation.
    pub fn allocs(&self) -> Vec<Arc<Allocation>> {
        self.t.allocs.values().cloned().collect()
    }

    /// Allocations whose ID starts with `prefix`.
    pub fn allocs_by_id_prefix(&self, prefix: &str) -> Vec<Arc<Allocation>> {
        by_prefix(&self.t.allocs, prefix)
    }

    /// Allocations of a job. Without `all`, only those of the current incarnation of
    /// the job (same `CreateIndex`: a purged and re-registered job starts afresh).
    pub fn allocs_by_job(&self, namespace: &str, id: &str, all: bool) -> Vec<Arc<Allocation>> {
        let allocs = self.t.job_allocs(&job_key(namespace, id));
        if all {
            return allocs;
        }
        match self.job_by_id(namespace, id) {
            Some(job) => allocs
                .into_iter()
                .filter(|a| {
                    a.job
                        .as_ref()
                        .is_none_or(|j| j.create_index == job.create_index)
                })
                .collect(),
            None => allocs,
        }
    }

    /// Allocations on a node (terminal included).
    pub fn allocs_by_node(&self, node_id: &str) -> Vec<Arc<Allocation>> {
        self.t
            .allocs_by_node
            .get(node_id)
            .map(|ids| {
                ids.iter()
                    .filter_map(|id| self.t.allocs.get(id).cloned())
                    .collect()
            })
            .unwrap_or_default()
    }

    /// What the node's non-terminal allocations use together (kept as an index).
    pub fn node_usage(&self, node_id: &str) -> Usage {
        self.t.node_usage.get(node_id).copied().unwrap_or_default()
    }

    /// Allocations created or last changed by an evaluation.
    pub fn allocs_by_eval(&self, eval_id: &str) -> Vec<Arc<Allocation>> {
        let Some(eval) = self.eval_by_id(eval_id) else {
            return Vec::new();
        };
        self.t
            .job_allocs(&job_key(&eval.namespace, &eval.job_id))
            .into_iter()
            .filter(|a| a.eval_id == eval_id)
            .collect()
    }

    // ---- evaluations ----

    /// One evaluation.
    pub fn eval_by_id(&self, id: &str) -> Option<Arc<Evaluation>> {
        self.t.evals.get(id).cloned()
    }

    /// Every evaluation.
    pub fn evals(&self) -> Vec<Arc<Evaluation>> {
        self.t.evals.values().cloned().collect()
    }

    /// Evaluations whose ID starts with `prefix`.
    pub fn evals_by_id_prefix(&self, prefix: &str) -> Vec<Arc<Evaluation>> {
        by_prefix(&self.t.evals, prefix)
    }

    /// Evaluations of a job.
    pub fn evals_by_job(&self, namespace: &str, id: &str) -> Vec<Arc<Evaluation>> {
        self.t.job_evals(&job_key(namespace, id))
    }

    // ---- deployments ----

    /// One deployment.
    pub fn deployment_by_id(&self, id: &str) -> Option<Arc<Deployment>> {
        self.t.deployments.get(id).cloned()
    }

    /// Every deployment.
    pub fn deployments(&self) -> Vec<Arc<Deployment>> {
        self.t.deployments.values().cloned().collect()
    }

    /// Deployments whose ID starts with `prefix`.
    pub fn deployments_by_id_prefix(&self, prefix: &str) -> Vec<Arc<Deployment>> {
        by_prefix(&self.t.deployments, prefix)
    }

    /// Deployments of a job.
    pub fn deployments_by_job(&self, namespace: &str, id: &str) -> Vec<Arc<Deployment>> {
        self.t
            .deployments_by_job
            .get(&job_key(namespace, id))
            .map(|ids| {
                ids.iter()
                    .filter_map(|d| self.t.deployments.get(&**d).cloned())
                    .collect()
            })
            .unwrap_or_default()
    }

    /// The job's most recently created deployment.
    pub fn latest_deployment_by_job(&self, namespace: &str, id: &str) -> Option<Arc<Deployment>> {
        self.deployments_by_job(namespace, id)
            .into_iter()
            .max_by_key(|d| d.create_index)
    }
}

fn by_prefix<K: Ord + Clone + Borrow<str>, V: Clone>(
    map: &OrdMap<K, Arc<V>>,
    prefix: &str,
) -> Vec<Arc<V>> {
    use std::ops::Bound;
    map.range::<_, str>((Bound::Included(prefix), Bound::Unbounded))
        .take_while(|(k, _)| (*k).borrow().starts_with(prefix))
        .map(|(_, v)| v.clone())
        .collect()
}
