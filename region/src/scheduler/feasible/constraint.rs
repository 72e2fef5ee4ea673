//! Constraint evaluation against one node: resolving `${attr.*}`, `${meta.*}` and
//! `${node.*}` targets, and every operator Nomad accepts (distinct_hosts and
//! distinct_property need the proposed allocations and live in `distinct.rs`).

use crate::structs::{
    Constraint, Node, OP_DOUBLE_EQUAL, OP_EQUAL, OP_GREATER, OP_GREATER_EQUAL, OP_IS,
    OP_IS_NOT_SET, OP_IS_SET, OP_LESS, OP_LESS_EQUAL, OP_NOT, OP_NOT_EQUAL, OP_REGEX, OP_SEMVER,
    OP_SET_CONTAINS, OP_SET_CONTAINS_ALL, OP_SET_CONTAINS_ANY, OP_VERSION,
};

use super::version::version_matches;

/// Resolves a constraint target on a node. Literals resolve to themselves;
/// `${...}` references resolve to the node's value, or `None` when it has none.
pub fn resolve_target(target: &str, node: &Node) -> Option<String> {
    let Some(inner) = target.strip_prefix("${").and_then(|t| t.strip_suffix('}')) else {
        return Some(target.to_string());
    };
    match inner {
        "node.unique.id" => Some(node.id.clone()),
        "node.datacenter" => Some(node.datacenter.clone()),
        "node.unique.name" => Some(node.name.clone()),
        "node.class" => Some(node.node_class.clone()),
        "node.pool" => Some(if node.node_pool.is_empty() {
            crate::structs::DEFAULT_NODE_POOL.to_string()
        } else {
            node.node_pool.clone()
        }),
        _ => {
            if let Some(key) = inner.strip_prefix("attr.") {
                node.attributes.get(key).cloned()
            } else if let Some(key) = inner.strip_prefix("meta.") {
                node.meta.get(key).cloned()
            } else {
                None
            }
        }
    }
}

/// True when the node satisfies the constraint. `distinct_*` operators are not
/// node-local and always pass here.
pub fn check_constraint(c: &Constraint, node: &Node) -> bool {
    let l = resolve_target(&c.l_target, node);
    let r = resolve_target(&c.r_target, node);
    check_operator(&c.operand, l.as_deref(), r.as_deref())
}

/// The operator table, on resolved values (`None` = attribute not set).
pub fn check_operator(op: &str, l: Option<&str>, r: Option<&str>) -> bool {
    match op {
        "" | OP_EQUAL | OP_DOUBLE_EQUAL | OP_IS => matches!((l, r), (Some(a), Some(b)) if a == b),
        OP_NOT_EQUAL | OP_NOT => l != r,
        OP_IS_SET => l.is_some(),
        OP_IS_NOT_SET => l.is_none(),
        OP_LESS | OP_LESS_EQUAL | OP_GREATER | OP_GREATER_EQUAL => match (l, r) {
            (Some(a), Some(b)) => check_order(op, a, b),
            _ => false,
        },
        OP_REGEX => match (l, r) {
            (Some(a), Some(b)) => regex::Regex::new(b).is_ok_and(|re| re.is_match(a)),
            _ => false,
        },
        OP_VERSION => matches!((l, r), (Some(a), Some(b)) if version_matches(b, a, false)),
        OP_SEMVER => matches!((l, r), (Some(a), Some(b)) if version_matches(b, a, true)),
        OP_SET_CONTAINS | OP_SET_CONTAINS_ALL => match (l, r) {
            (Some(a), Some(b)) => {
                let have = split_set(a);
                split_set(b).iter().all(|w| have.contains(w))
            }
            _ => false,
        },
        OP_SET_CONTAINS_ANY => match (l, r) {
            (Some(a), Some(b)) => {
                let have = split_set(a);
                split_set(b).iter().any(|w| have.contains(w))
            }
            _ => false,
        },
        crate::structs::OP_DISTINCT_HOSTS | crate::structs::OP_DISTINCT_PROPERTY => true,
        _ => false,
    }
}

fn split_set(s: &str) -> Vec<&str> {
    s.split(',')
        .map(str::trim)
        .filter(|x| !x.is_empty())
        .collect()
}

/// Numeric comparison when both sides are numbers, lexical otherwise.
fn check_order(op: &str, a: &str, b: &str) -> bool {
    let ord = match (a.trim().parse::<f64>(), b.trim().parse::<f64>()) {
        (Ok(x), Ok(y)) => match x.partial_cmp(&y) {
            Some(o) => o,
            None => return false,
        },
        _ => a.cmp(b),
    };
    match op {
        OP_LESS => ord.is_lt(),
        OP_LESS_EQUAL => ord.is_le(),
        OP_GREATER => ord.is_gt(),
        _ => ord.is_ge(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn node() -> Node {
        let mut n = Node {
            id: "node-1".into(),
            name: "web-1".into(),
            datacenter: "dc1".into(),
            node_class: "large".into(),
            ..Default::default()
        };
        n.attributes.insert("kernel.name".into(), "linux".into());
        n.attributes
            .insert("kernel.version".into(), "5.15.0".into());
        n.attributes.insert("cpu.numcores".into(), "8".into());
        n.attributes.insert("os.name".into(), "ubuntu".into());
        n.meta.insert("tags".into(), "ssd, gpu,fast".into());
        n
    }

    fn ok(l: &str, op: &str, r: &str) -> bool {
        check_constraint(&Constraint::new(l, op, r), &node())
    }

    #[test]
    fn targets_resolve() {
        let n = node();
        assert_eq!(
            resolve_target("${node.unique.id}", &n).as_deref(),
            Some("node-1")
        );
        assert_eq!(
            resolve_target("${node.unique.name}", &n).as_deref(),
            Some("web-1")
        );
        assert_eq!(
            resolve_target("${node.class}", &n).as_deref(),
            Some("large")
        );
        assert_eq!(
            resolve_target("${node.pool}", &n).as_deref(),
            Some("default")
        );
        assert_eq!(resolve_target("${attr.missing}", &n), None);
        assert_eq!(resolve_target("${something.else}", &n), None);
        assert_eq!(resolve_target("linux", &n).as_deref(), Some("linux"));
    }

    #[test]
    fn equality_operators() {
        assert!(ok("${attr.kernel.name}", "=", "linux"));
        assert!(ok("${attr.kernel.name}", "", "linux"));
        assert!(ok("${attr.kernel.name}", "==", "linux"));
        assert!(ok("${attr.kernel.name}", "is", "linux"));
        assert!(!ok("${attr.kernel.name}", "=", "windows"));
        assert!(!ok("${attr.missing}", "=", "x"));
        assert!(ok("${attr.kernel.name}", "!=", "windows"));
        assert!(ok("${attr.missing}", "not", "x"));
        assert!(!ok("${node.datacenter}", "!=", "dc1"));
    }

    #[test]
    fn ordering_is_numeric_when_possible() {
        assert!(ok("${attr.cpu.numcores}", ">", "4"));
        assert!(ok("${attr.cpu.numcores}", ">=", "8"));
        assert!(ok("${attr.cpu.numcores}", "<", "10.0"));
        assert!(ok("${attr.cpu.numcores}", "<=", "10")); // lexically "8" > "10"
        assert!(ok("${attr.os.name}", ">", "debian"));
        assert!(!ok("${attr.missing}", ">", "1"));
    }

    #[test]
    fn regexp_version_sets_and_presence() {
        assert!(ok("${attr.kernel.version}", "regexp", "^5\\."));
        assert!(!ok("${attr.kernel.version}", "regexp", "[invalid"));
        assert!(ok("${attr.kernel.version}", "version", ">= 5.10, < 6"));
        assert!(ok("${attr.kernel.version}", "semver", "~> 5.15.0"));
        assert!(!ok("${attr.kernel.version}", "version", "< 5"));
        assert!(ok("${meta.tags}", "set_contains", "ssd,gpu"));
        assert!(ok("${meta.tags}", "set_contains_all", "fast"));
        assert!(!ok("${meta.tags}", "set_contains", "ssd,nvme"));
        assert!(ok("${meta.tags}", "set_contains_any", "nvme, gpu"));
        assert!(!ok("${meta.tags}", "set_contains_any", "nvme"));
        assert!(ok("${meta.tags}", "is_set", ""));
        assert!(ok("${meta.nope}", "is_not_set", ""));
        assert!(!ok("${meta.tags}", "is_not_set", ""));
        assert!(!ok("${meta.tags}", "bogus", "x"));
    }
}
