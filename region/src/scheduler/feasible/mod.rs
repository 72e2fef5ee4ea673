//! Feasibility: may this task group run on this node at all, regardless of load?
//! Datacenters and node pool choose the candidate nodes; drivers and constraints
//! filter them, each failure counted under Nomad's reason (`missing drivers`, or
//! the constraint as `${attr.kernel.name} = linux`).

mod constraint;
mod version;

pub use constraint::{check_constraint, check_operator, resolve_target};
pub use version::version_matches;

use crate::structs::{
    Constraint, DEFAULT_NODE_POOL, Job, Node, OP_DISTINCT_HOSTS, OP_DISTINCT_PROPERTY, TaskGroup,
};

/// Nomad's filter reason for a node lacking a task's driver.
pub const FILTER_MISSING_DRIVERS: &str = "missing drivers";
/// The node pool that matches every node.
pub const NODE_POOL_ALL: &str = "all";

/// True when `name` matches the glob `pattern` (`*` any run, `?` one character),
/// as Nomad matches job datacenters.
pub fn glob_match(pattern: &str, name: &str) -> bool {
    // Fast paths: the default `*` and plain names (checked for every node).
    if pattern == "*" {
        return true;
    }
    if !pattern.contains(['*', '?']) {
        return pattern == name;
    }
    fn rec(p: &[char], n: &[char]) -> bool {
        match p.split_first() {
            None => n.is_empty(),
            Some(('*', rest)) => (0..=n.len()).any(|i| rec(rest, &n[i..])),
            Some(('?', rest)) => !n.is_empty() && rec(rest, &n[1..]),
            Some((c, rest)) => n.first() == Some(c) && rec(rest, &n[1..]),
        }
    }
    let p: Vec<char> = pattern.chars().collect();
    let n: Vec<char> = name.chars().collect();
    rec(&p, &n)
}

/// True when the node is in one of the job's datacenters (default `*`).
pub fn in_datacenters(job: &Job, node: &Node) -> bool {
    if job.datacenters.is_empty() {
        return true;
    }
    job.datacenters
        .iter()
        .any(|dc| glob_match(dc, &node.datacenter))
}

/// True when the node is in the job's node pool (`all` matches any).
pub fn in_node_pool(job: &Job, node: &Node) -> bool {
    let want = if job.node_pool.is_empty() {
        DEFAULT_NODE_POOL
    } else {
        &job.node_pool
    };
    let have = if node.node_pool.is_empty() {
        DEFAULT_NODE_POOL
    } else {
        &node.node_pool
    };
    want == NODE_POOL_ALL || want == have
}

/// True when the node has the driver detected and healthy (or, from older
/// clients, a truthy `driver.<name>` attribute).
pub fn has_driver(node: &Node, driver: &str) -> bool {
    if let Some(info) = node.drivers.get(driver) {
        return info.detected && info.healthy;
    }
    node.attributes
        .get(&format!("driver.{driver}"))
        .is_some_and(|v| matches!(v.as_str(), "1" | "true" | "True" | "TRUE"))
}

/// The node-local checks for one task group, prepared once per group.
#[derive(Debug, Clone)]
pub struct GroupChecker {
    drivers: Vec<String>,
    constraints: Vec<Constraint>,
    /// `distinct_hosts` / `distinct_property` constraints, checked with the plan.
    pub distinct: Vec<DistinctConstraint>,
}

/// A constraint needing the other allocations: at job level it counts every
/// allocation of the job, at group level only the group's.
#[derive(Debug, Clone)]
pub struct DistinctConstraint {
    /// The constraint itself.
    pub constraint: Constraint,
    /// Declared on the group (or a task), not the job.
    pub group_level: bool,
}

impl GroupChecker {
    /// Collects the drivers and constraints of the job, the group and its tasks.
    pub fn new(job: &Job, tg: &TaskGroup) -> Self {
        let mut drivers: Vec<String> = tg.tasks.iter().map(|t| t.driver.clone()).collect();
        drivers.sort();
        drivers.dedup();
        let mut constraints = Vec::new();
        let mut distinct = Vec::new();
        let job_level = job.constraints.iter().map(|c| (c, false));
        let group_level = tg
            .constraints
            .iter()
            .chain(tg.tasks.iter().flat_map(|t| t.constraints.iter()))
            .map(|c| (c, true));
        for (c, group_level) in job_level.chain(group_level) {
            if c.operand == OP_DISTINCT_HOSTS || c.operand == OP_DISTINCT_PROPERTY {
                distinct.push(DistinctConstraint {
                    constraint: c.clone(),
                    group_level,
                });
            } else if !constraints.contains(c) {
                constraints.push(c.clone());
            }
        }
        Self {
            drivers,
            constraints,
            distinct,
        }
    }

    /// `Err(reason)` with the filter reason when the node cannot run the group.
    pub fn check(&self, node: &Node) -> Result<(), String> {
        if self.drivers.iter().any(|d| !has_driver(node, d)) {
            return Err(FILTER_MISSING_DRIVERS.to_string());
        }
        for c in &self.constraints {
            if !check_constraint(c, node) {
                return Err(c.to_string());
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::structs::{DriverInfo, Task};

    #[test]
    fn globs() {
        assert!(glob_match("*", "dc1"));
        assert!(glob_match("dc*", "dc1"));
        assert!(glob_match("us-*-1", "us-east-1"));
        assert!(glob_match("dc?", "dc2"));
        assert!(!glob_match("dc?", "dc12"));
        assert!(!glob_match("dc1", "dc2"));
    }

    #[test]
    fn drivers_need_detected_and_healthy() {
        let mut n = Node::default();
        n.drivers.insert(
            "raw_exec".into(),
            DriverInfo {
                detected: true,
                healthy: true,
                ..Default::default()
            },
        );
        n.drivers.insert(
            "docker".into(),
            DriverInfo {
                detected: true,
                healthy: false,
                ..Default::default()
            },
        );
        n.attributes.insert("driver.exec".into(), "1".into());
        assert!(has_driver(&n, "raw_exec"));
        assert!(!has_driver(&n, "docker"));
        assert!(has_driver(&n, "exec"));
        assert!(!has_driver(&n, "java"));
    }

    #[test]
    fn checker_reports_nomads_reasons() {
        let mut n = Node::default();
        n.attributes.insert("driver.raw_exec".into(), "true".into());
        n.attributes.insert("kernel.name".into(), "linux".into());
        let job = Job {
            constraints: vec![Constraint::new("${attr.kernel.name}", "=", "windows")],
            ..Default::default()
        };
        let tg = TaskGroup {
            tasks: vec![Task {
                driver: "raw_exec".into(),
                ..Default::default()
            }],
            constraints: vec![Constraint::new("", "distinct_hosts", "true")],
            ..Default::default()
        };
        let c = GroupChecker::new(&job, &tg);
        assert_eq!(c.distinct.len(), 1);
        assert!(c.distinct[0].group_level);
        assert_eq!(
            c.check(&n),
            Err("${attr.kernel.name} = windows".to_string())
        );
        let docker = TaskGroup {
            tasks: vec![Task {
                driver: "docker".into(),
                ..Default::default()
            }],
            ..Default::default()
        };
        assert_eq!(
            GroupChecker::new(&Job::default(), &docker).check(&n),
            Err(FILTER_MISSING_DRIVERS.to_string())
        );
        assert!(GroupChecker::new(&Job::default(), &tg).check(&n).is_ok());
    }

    #[test]
    fn datacenters_and_pools() {
        let node = Node {
            datacenter: "dc1".into(),
            ..Default::default()
        };
        let mut job = Job {
            datacenters: vec!["dc*".into()],
            ..Default::default()
        };
        assert!(in_datacenters(&job, &node));
        job.datacenters = vec!["east".into()];
        assert!(!in_datacenters(&job, &node));
        assert!(in_node_pool(&job, &node));
        job.node_pool = "gpu".into();
        assert!(!in_node_pool(&job, &node));
        job.node_pool = "all".into();
        assert!(in_node_pool(&job, &node));
    }
}
