//! The scheduler reads a `StateSnapshot` through its `State` trait.

use std::sync::Arc;

use crate::scheduler::State;
use crate::scheduler::resources::Usage;
use crate::structs::{Allocation, Job, Node};

use super::StateSnapshot;

impl State for StateSnapshot {
    fn job_by_id(&self, namespace: &str, id: &str) -> Option<Arc<Job>> {
        StateSnapshot::job_by_id(self, namespace, id)
    }

    fn nodes(&self) -> Vec<Arc<Node>> {
        StateSnapshot::nodes(self)
    }

    fn node_by_id(&self, node_id: &str) -> Option<Arc<Node>> {
        StateSnapshot::node_by_id(self, node_id)
    }

    fn allocs_by_job(&self, namespace: &str, job_id: &str) -> Vec<Arc<Allocation>> {
        StateSnapshot::allocs_by_job(self, namespace, job_id, true)
    }

    fn allocs_by_node(&self, node_id: &str) -> Vec<Arc<Allocation>> {
        StateSnapshot::allocs_by_node(self, node_id)
    }

    fn latest_index(&self) -> u64 {
        StateSnapshot::latest_index(self)
    }

    fn node_usage(&self, node_id: &str) -> Option<Usage> {
        Some(StateSnapshot::node_usage(self, node_id))
    }

    fn alloc_by_id(&self, id: &str) -> Option<Arc<Allocation>> {
        StateSnapshot::alloc_by_id(self, id)
    }
}
