//! A node's computed class: a hash of what feasibility checks look at (datacenter,
//! pool, class, attributes and meta except `unique.*`, drivers), so that blocked
//! evaluations can tell which capacity changes could help them. Nomad's format:
//! `v1:<decimal u64>`.

use std::hash::{DefaultHasher, Hash, Hasher};

use crate::structs::Node;

/// The computed class of `node`.
pub fn computed_class(node: &Node) -> String {
    let mut h = DefaultHasher::new();
    node.datacenter.hash(&mut h);
    node.node_pool.hash(&mut h);
    node.node_class.hash(&mut h);
    for (k, v) in node
        .attributes
        .iter()
        .filter(|(k, _)| !k.starts_with("unique."))
    {
        (k, v).hash(&mut h);
    }
    for (k, v) in node.meta.iter().filter(|(k, _)| !k.starts_with("unique.")) {
        (k, v).hash(&mut h);
    }
    for (name, d) in &node.drivers {
        (name, d.detected, d.healthy).hash(&mut h);
    }
    format!("v1:{}", h.finish())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unique_attributes_do_not_matter_others_do() {
        let mut a = Node {
            datacenter: "dc1".into(),
            ..Default::default()
        };
        a.attributes.insert("kernel.name".into(), "linux".into());
        a.attributes.insert("unique.hostname".into(), "a".into());
        let mut b = a.clone();
        b.attributes.insert("unique.hostname".into(), "b".into());
        b.id = "other".into();
        assert_eq!(computed_class(&a), computed_class(&b));
        b.attributes.insert("kernel.name".into(), "darwin".into());
        assert_ne!(computed_class(&a), computed_class(&b));
        assert!(computed_class(&a).starts_with("v1:"));
    }
}
