//! The tables themselves: persistent maps (cloning them is O(1), so a snapshot is a
//! clone), the secondary indexes kept beside them, and per-table Raft indexes.
//!
//! Values are `Arc`s: a read hands out a pointer, never a deep copy. Only the apply
//! functions (`super::apply`) mutate a `Tables`, through the helpers below that keep
//! the secondary indexes in step with the primary maps.

use std::sync::Arc;

use imbl::{OrdMap, OrdSet, Vector};
use serde::{Deserialize, Serialize};

use crate::scheduler::resources::{Usage, alloc_usage};
use crate::structs::{Allocation, Deployment, Evaluation, Job, JobSummary, Node};

/// `(namespace, job id)`.
pub(crate) type JobKey = (String, String);

pub(crate) use super::key::Id;

/// A table, for [`super::StateSnapshot::index`] (Nomad's table names).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum Table {
    /// `jobs`.
    Jobs,
    /// `job_version`.
    JobVersions,
    /// `job_summary`.
    JobSummaries,
    /// `nodes`.
    Nodes,
    /// `allocs`.
    Allocs,
    /// `evals`.
    Evals,
    /// `deployment`.
    Deployments,
}

impl Table {
    /// Nomad's name of the table.
    pub fn name(self) -> &'static str {
        match self {
            Table::Jobs => "jobs",
            Table::JobVersions => "job_version",
            Table::JobSummaries => "job_summary",
            Table::Nodes => "nodes",
            Table::Allocs => "allocs",
            Table::Evals => "evals",
            Table::Deployments => "deployment",
        }
    }
}

/// Every table of the store.
#[derive(Debug, Clone, Default)]
pub(crate) struct Tables {
    pub jobs: OrdMap<JobKey, Arc<Job>>,
    /// Newest first, at most `JOB_TRACKED_VERSIONS`.
    pub job_versions: OrdMap<JobKey, Vector<Arc<Job>>>,
    pub job_summaries: OrdMap<JobKey, Arc<JobSummary>>,
    pub nodes: OrdMap<Id, Arc<Node>>,
    pub allocs: OrdMap<Id, Arc<Allocation>>,
    pub allocs_by_job: OrdMap<JobKey, OrdSet<Id>>,
    pub allocs_by_node: OrdMap<Id, OrdSet<Id>>,
    /// Per node, what its non-terminal allocations use together: fit checks (scheduler, plan
    /// applier) read this instead of visiting every allocation on the node. Kept by `put_alloc`;
    /// a node whose live allocations use nothing has no entry.
    pub node_usage: OrdMap<Id, Usage>,
    pub evals: OrdMap<Id, Arc<Evaluation>>,
    pub evals_by_job: OrdMap<JobKey, OrdSet<Id>>,
    pub deployments: OrdMap<String, Arc<Deployment>>,
    pub deployments_by_job: OrdMap<JobKey, OrdSet<Id>>,
    pub indexes: OrdMap<Table, u64>,
    pub latest_index: u64,
}

pub(crate) fn job_key(namespace: &str, id: &str) -> JobKey {
    (namespace.to_string(), id.to_string())
}

impl Tables {
    /// Records that `table` changed at `index`.
    pub fn touch(&mut self, table: Table, index: u64) {
        self.indexes.insert(table, index);
    }

    /// Inserts or replaces an allocation, keeping the by-job and by-node indexes.
    pub fn put_alloc(&mut self, alloc: Arc<Allocation>) {
        let id = Id::from(alloc.id.as_str());
        if !alloc.terminal_status() {
            adjust_usage(
                &mut self.node_usage,
                &alloc.node_id,
                &alloc_usage(&alloc),
                1,
            );
        }
        add_to(
            &mut self.allocs_by_job,
            job_key(&alloc.namespace, &alloc.job_id),
            &id,
        );
        add_to(
            &mut self.allocs_by_node,
            Id::from(alloc.node_id.as_str()),
            &id,
        );
        // One search of the largest table: the replaced version comes back from the insert.
        if let Some(old) = self.allocs.insert(id, alloc.clone()) {
            if !old.terminal_status() {
                adjust_usage(&mut self.node_usage, &old.node_id, &alloc_usage(&old), -1);
            }
            if old.node_id != alloc.node_id {
                remove_from(&mut self.allocs_by_node, &old.node_id, &old.id);
            }
        }
    }

    /// Inserts or replaces a node.
    pub fn put_node(&mut self, node: Arc<Node>) {
        self.nodes.insert(Id::from(node.id.as_str()), node);
    }

    /// Inserts or replaces an evaluation, keeping the by-job index.
    pub fn put_eval(&mut self, eval: Arc<Evaluation>) {
        let id = Id::from(eval.id.as_str());
        add_to(
            &mut self.evals_by_job,
            job_key(&eval.namespace, &eval.job_id),
            &id,
        );
        self.evals.insert(id, eval);
    }

    /// Inserts or replaces a deployment, keeping the by-job index.
    pub fn put_deployment(&mut self, d: Arc<Deployment>) {
        add_to(
            &mut self.deployments_by_job,
            job_key(&d.namespace, &d.job_id),
            &Id::from(d.id.as_str()),
        );
        self.deployments.insert(d.id.clone(), d);
    }

    /// Allocations of a job (terminal included).
    pub fn job_allocs(&self, key: &JobKey) -> Vec<Arc<Allocation>> {
        self.job_allocs_iter(key).cloned().collect()
    }

    /// Allocations of a job, looked up as the iterator goes (a caller that stops early does
    /// not pay for the rest).
    pub fn job_allocs_iter<'a>(
        &'a self,
        key: &JobKey,
    ) -> impl Iterator<Item = &'a Arc<Allocation>> {
        self.allocs_by_job
            .get(key)
            .into_iter()
            .flat_map(|ids| ids.iter().filter_map(|id| self.allocs.get(id)))
    }

    /// Evaluations of a job (terminal included).
    pub fn job_evals(&self, key: &JobKey) -> Vec<Arc<Evaluation>> {
        self.job_evals_iter(key).cloned().collect()
    }

    /// Evaluations of a job, looked up as the iterator goes.
    pub fn job_evals_iter<'a>(&'a self, key: &JobKey) -> impl Iterator<Item = &'a Arc<Evaluation>> {
        self.evals_by_job
            .get(key)
            .into_iter()
            .flat_map(|ids| ids.iter().filter_map(|id| self.evals.get(id)))
    }
}

fn adjust_usage(map: &mut OrdMap<Id, Usage>, node_id: &str, by: &Usage, sign: i64) {
    // In place when the node has an entry: no key to make.
    if let Some(u) = map.get_mut(node_id) {
        u.cpu += sign * by.cpu;
        u.memory += sign * by.memory;
        u.disk += sign * by.disk;
        if *u == Usage::default() {
            map.remove(node_id);
        }
        return;
    }
    let u = Usage {
        cpu: sign * by.cpu,
        memory: sign * by.memory,
        disk: sign * by.disk,
    };
    if u != Usage::default() {
        map.insert(Id::from(node_id), u);
    }
}

// Both mutate the set in place (the map copies only the path to it when a snapshot shares
// it): taking the set out and putting a copy back would copy the path per allocation.
fn add_to<K: Ord + Clone>(index: &mut OrdMap<K, OrdSet<Id>>, key: K, id: &Id) {
    match index.get_mut(&key) {
        // Inserting a present ID replaces it with an equal one: one search instead of two.
        Some(set) => {
            set.insert(id.clone());
        }
        None => {
            index.insert(key, OrdSet::unit(id.clone()));
        }
    }
}

fn remove_from(index: &mut OrdMap<Id, OrdSet<Id>>, key: &str, id: &str) {
    let now_empty = match index.get_mut(key) {
        Some(set) => {
            set.remove(id);
            set.is_empty()
        }
        None => false,
    };
    if now_empty {
        index.remove(key);
    }
}
