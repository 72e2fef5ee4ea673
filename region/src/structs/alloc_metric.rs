//! AllocMetric: why the scheduler placed (or failed to place) an allocation; shown
//! by `nomad job run/plan` and `alloc status` as filtered/exhausted counts.

use super::{Resources, SmallMap};

api_struct! {
    /// Placement metrics of one allocation or one failed group.
    pub struct AllocMetric {
        /// Nodes the scheduler looked at.
        pub nodes_evaluated: i32,
        /// Nodes rejected by a filter (constraints, drivers, ...).
        pub nodes_filtered: i32,
        /// Nodes in the job's node pool.
        pub nodes_in_pool: i32,
        /// Ready nodes per datacenter.
        pub nodes_available: SmallMap<i32>,
        /// Filtered nodes per node class.
        pub class_filtered: SmallMap<i32>,
        /// Filtered nodes per constraint (`"missing drivers"`, `"${attr.x} = y"`).
        pub constraint_filtered: SmallMap<i32>,
        /// Nodes without enough free resources.
        pub nodes_exhausted: i32,
        /// Exhausted nodes per node class.
        pub class_exhausted: SmallMap<i32>,
        /// Exhausted nodes per dimension (`"memory"`, `"cpu"`, `"network: ..."`).
        pub dimension_exhausted: SmallMap<i32>,
        /// Quotas that were hit.
        pub quota_exhausted: Vec<String>,
        /// Resources missing per task.
        pub resources_exhausted: SmallMap<Resources>,
        /// Deprecated flat scores (`<node>.<scorer>`).
        pub scores: SmallMap<f64>,
        /// Top-scoring nodes with their sub-scores.
        pub score_meta_data: Vec<NodeScoreMeta>,
        /// Time spent placing, nanoseconds.
        pub allocation_time: i64,
        /// Further identical failures folded into this one.
        pub coalesced_failures: i32,
    }
}

api_struct! {
    /// One node's scores.
    pub struct NodeScoreMeta {
        /// Node ID.
        #[serde(rename = "NodeID")]
        pub node_id: String,
        /// Score per scorer (`binpack`, `job-anti-affinity`, ...).
        pub scores: SmallMap<f64>,
        /// Final normalised score.
        pub norm_score: f64,
    }
}

impl AllocMetric {
    /// Counts a node rejected by `constraint` (and its class, if any).
    pub fn filter_node(&mut self, node_class: &str, constraint: &str) {
        self.nodes_filtered += 1;
        if !node_class.is_empty() {
            *self.class_filtered.get_or_default(node_class) += 1;
        }
        if !constraint.is_empty() {
            *self.constraint_filtered.get_or_default(constraint) += 1;
        }
    }

    /// Counts a node without room in `dimension` (and its class, if any).
    pub fn exhausted_node(&mut self, node_class: &str, dimension: &str) {
        self.nodes_exhausted += 1;
        if !node_class.is_empty() {
            *self.class_exhausted.get_or_default(node_class) += 1;
        }
        if !dimension.is_empty() {
            *self.dimension_exhausted.get_or_default(dimension) += 1;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counters_accumulate_per_key() {
        let mut m = AllocMetric::default();
        m.filter_node("", "missing drivers");
        m.filter_node("gpu", "missing drivers");
        m.exhausted_node("gpu", "memory");
        assert_eq!(m.nodes_filtered, 2);
        assert_eq!(m.constraint_filtered["missing drivers"], 2);
        assert_eq!(m.class_filtered.get("gpu"), Some(&1));
        assert_eq!(m.nodes_exhausted, 1);
        assert_eq!(m.dimension_exhausted["memory"], 1);
        let v = serde_json::to_value(&m).unwrap();
        assert_eq!(v["ConstraintFiltered"]["missing drivers"], 2);
        assert!(v.get("ScoreMetaData").is_some());
    }
}
