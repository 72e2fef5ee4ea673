//! `StateDump`: the whole state as plain serde data, for Raft snapshots (write
//! the objects, not the log that produced them) and for restoring a store.

use std::sync::Arc;

use serde::{Deserialize, Serialize};

use crate::structs::{Allocation, Deployment, Evaluation, Job, JobSummary, Node};

use super::snapshot::StateSnapshot;
use super::store::StateStore;
use super::tables::{Table, Tables, job_key};

/// Every object of the state, with the indexes.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct StateDump {
    /// Index of the last applied command.
    pub latest_index: u64,
    /// Per-table indexes.
    pub indexes: Vec<(Table, u64)>,
    /// Current jobs.
    pub jobs: Vec<Job>,
    /// Stored versions of every job (newest first per job).
    pub job_versions: Vec<Job>,
    /// Job summaries.
    pub job_summaries: Vec<JobSummary>,
    /// Nodes.
    pub nodes: Vec<Node>,
    /// Allocations.
    pub allocs: Vec<Allocation>,
    /// Evaluations.
    pub evals: Vec<Evaluation>,
    /// Deployments.
    pub deployments: Vec<Deployment>,
}

fn owned<T: Clone>(v: impl IntoIterator<Item = Arc<T>>) -> Vec<T> {
    v.into_iter().map(|x| (*x).clone()).collect()
}

impl StateSnapshot {
    /// The whole state as plain data.
    pub fn dump(&self) -> StateDump {
        let t = self.tables();
        StateDump {
            latest_index: t.latest_index,
            indexes: t.indexes.iter().map(|(k, v)| (*k, *v)).collect(),
            jobs: owned(t.jobs.values().cloned()),
            job_versions: owned(t.job_versions.values().flat_map(|v| v.iter().cloned())),
            job_summaries: owned(t.job_summaries.values().cloned()),
            nodes: owned(t.nodes.values().cloned()),
            allocs: owned(t.allocs.values().cloned()),
            evals: owned(t.evals.values().cloned()),
            deployments: owned(t.deployments.values().cloned()),
        }
    }
}

impl StateStore {
    /// Rebuilds a store (secondary indexes included) from a dump.
    pub fn from_dump(d: StateDump) -> StateStore {
        let mut t = Tables {
            latest_index: d.latest_index,
            ..Default::default()
        };
        t.indexes = d.indexes.into_iter().collect();
        for j in d.jobs {
            t.jobs.insert(job_key(&j.namespace, &j.id), Arc::new(j));
        }
        for j in d.job_versions {
            let key = job_key(&j.namespace, &j.id);
            let mut v = t.job_versions.get(&key).cloned().unwrap_or_default();
            v.push_back(Arc::new(j));
            t.job_versions.insert(key, v);
        }
        for s in d.job_summaries {
            t.job_summaries
                .insert(job_key(&s.namespace, &s.job_id), Arc::new(s));
        }
        for n in d.nodes {
            t.put_node(Arc::new(n));
        }
        for a in d.allocs {
            t.put_alloc(Arc::new(a));
        }
        for e in d.evals {
            t.put_eval(Arc::new(e));
        }
        for dep in d.deployments {
            t.put_deployment(Arc::new(dep));
        }
        StateStore::from_tables(t)
    }
}
