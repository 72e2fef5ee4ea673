//! Port assignment on one node: the node's reserved ports and the ports proposed
//! allocations hold are taken; static ports must be free, dynamic ones are picked
//! at random from the node's dynamic range.

use std::collections::HashSet;

use crate::structs::{AllocatedPortMapping, AllocatedResources, Allocation, NetworkResource, Node};

use super::super::SchedRng;

/// Nomad's default dynamic port range.
const DEFAULT_MIN_DYNAMIC_PORT: i32 = 20000;
const DEFAULT_MAX_DYNAMIC_PORT: i32 = 32000;
/// Exhaustion reason for a static port already taken.
pub const DIM_RESERVED_PORT: &str = "network: reserved port collision";
/// Exhaustion reason for a full dynamic range.
pub const DIM_DYNAMIC_PORT: &str = "network: dynamic port selection failed";

/// Parses Nomad's reserved-ports syntax: `22,80,8000-8100`. Bad parts are skipped.
pub fn parse_port_list(spec: &str) -> Vec<i32> {
    let mut out = Vec::new();
    for part in spec.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        match part.split_once('-') {
            Some((a, b)) => {
                if let (Ok(a), Ok(b)) = (a.trim().parse::<i32>(), b.trim().parse::<i32>())
                    && a <= b
                    && b - a <= 65535
                {
                    out.extend(a..=b);
                }
            }
            None => {
                if let Ok(p) = part.parse() {
                    out.push(p);
                }
            }
        }
    }
    out
}

/// Ports taken on a node.
#[derive(Debug, Default, Clone)]
pub struct UsedPorts {
    used: HashSet<i32>,
}

impl UsedPorts {
    /// The node's own reservations.
    pub fn for_node(node: &Node) -> Self {
        let mut used = HashSet::new();
        if let Some(r) = &node.reserved_resources {
            used.extend(parse_port_list(&r.networks.reserved_host_ports));
        }
        Self { used }
    }

    /// Adds the ports an allocation holds.
    pub fn add_alloc(&mut self, alloc: &Allocation) {
        let Some(res) = &alloc.allocated_resources else {
            return;
        };
        for n in res
            .shared
            .networks
            .iter()
            .chain(res.tasks.values().flat_map(|t| t.networks.iter()))
        {
            for p in n.ports() {
                if p.value > 0 {
                    self.used.insert(p.value);
                }
            }
        }
        for p in &res.shared.ports {
            if p.value > 0 {
                self.used.insert(p.value);
            }
        }
    }

    /// True when nothing needs a port (fast path).
    pub fn is_taken(&self, port: i32) -> bool {
        self.used.contains(&port)
    }
}

/// The node's address for host networking: its first fingerprinted network, else
/// the `unique.network.ip-address` attribute.
fn node_address(node: &Node) -> (String, String, String) {
    if let Some(n) = node
        .node_resources
        .as_ref()
        .and_then(|r| r.networks.first())
    {
        return (n.ip.clone(), n.device.clone(), n.cidr.clone());
    }
    let ip = node
        .attributes
        .get("unique.network.ip-address")
        .cloned()
        .unwrap_or_default();
    (ip, String::new(), String::new())
}

/// Assigns every port the resources ask for, or says which dimension is exhausted.
pub fn assign_ports(
    node: &Node,
    used: &mut UsedPorts,
    res: &mut AllocatedResources,
    rng: &mut SchedRng,
) -> Result<(), &'static str> {
    let (min, max) = node
        .node_resources
        .as_ref()
        .map(|r| (r.min_dynamic_port, r.max_dynamic_port))
        .filter(|(a, b)| *a > 0 && *b >= *a)
        .unwrap_or((DEFAULT_MIN_DYNAMIC_PORT, DEFAULT_MAX_DYNAMIC_PORT));
    let (ip, device, cidr) = node_address(node);
    let mut mappings = Vec::new();
    let mut assign =
        |net: &mut NetworkResource, used: &mut UsedPorts| -> Result<(), &'static str> {
            if net.mode.is_empty() {
                net.mode = "host".to_string();
            }
            net.ip = ip.clone();
            net.device = device.clone();
            net.cidr = cidr.clone();
            for p in &mut net.reserved_ports {
                if used.is_taken(p.value) && !p.ignore_collision {
                    return Err(DIM_RESERVED_PORT);
                }
                used.used.insert(p.value);
            }
            for p in &mut net.dynamic_ports {
                p.value = pick_dynamic(used, min, max, rng).ok_or(DIM_DYNAMIC_PORT)?;
                used.used.insert(p.value);
            }
            for p in net.ports() {
                mappings.push(AllocatedPortMapping {
                    label: p.label.clone(),
                    value: p.value,
                    to: p.to,
                    host_ip: ip.clone(),
                });
            }
            Ok(())
        };
    for net in &mut res.shared.networks {
        assign(net, used)?;
    }
    for task in res.tasks.values_mut() {
        for net in &mut task.networks {
            assign(net, used)?;
        }
    }
    res.shared.ports = mappings;
    Ok(())
}

fn pick_dynamic(used: &UsedPorts, min: i32, max: i32, rng: &mut SchedRng) -> Option<i32> {
    let span = (max - min + 1) as usize;
    // A few random tries, then a scan: random keeps allocations from colliding
    // with each other's future static choices; the scan makes "full" certain.
    for _ in 0..20 {
        let p = min + rng.below(span) as i32;
        if !used.is_taken(p) {
            return Some(p);
        }
    }
    (min..=max).find(|p| !used.is_taken(*p))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::structs::{NodeReservedResources, NodeResources, Port};

    #[test]
    fn port_lists() {
        assert_eq!(
            parse_port_list("22, 80,8000-8002,x,9-1"),
            vec![22, 80, 8000, 8001, 8002]
        );
        assert!(parse_port_list("").is_empty());
    }

    fn node() -> Node {
        let mut reserved = NodeReservedResources::default();
        reserved.networks.reserved_host_ports = "22".into();
        Node {
            node_resources: Some(NodeResources {
                min_dynamic_port: 30000,
                max_dynamic_port: 30001,
                ..Default::default()
            }),
            reserved_resources: Some(reserved),
            ..Default::default()
        }
    }

    fn ask(static_port: Option<i32>, dynamic: usize) -> AllocatedResources {
        let mut res = AllocatedResources::default();
        let mut net = NetworkResource::default();
        if let Some(v) = static_port {
            net.reserved_ports.push(Port {
                label: "s".into(),
                value: v,
                ..Default::default()
            });
        }
        for i in 0..dynamic {
            net.dynamic_ports.push(Port {
                label: format!("d{i}"),
                ..Default::default()
            });
        }
        res.shared.networks.push(net);
        res
    }

    #[test]
    fn static_and_dynamic_assignment() {
        let n = node();
        let mut rng = SchedRng::new(1);
        let mut used = UsedPorts::for_node(&n);
        assert_eq!(
            assign_ports(&n, &mut used, &mut ask(Some(22), 0), &mut rng),
            Err(DIM_RESERVED_PORT)
        );
        let mut used = UsedPorts::for_node(&n);
        let mut a = ask(Some(8080), 2);
        assert_eq!(assign_ports(&n, &mut used, &mut a, &mut rng), Ok(()));
        let mut values: Vec<i32> = a.shared.ports.iter().map(|p| p.value).collect();
        values.sort_unstable();
        assert_eq!(values, vec![8080, 30000, 30001]);
        assert_eq!(a.shared.networks[0].mode, "host");
        // The range is now full.
        assert_eq!(
            assign_ports(&n, &mut used, &mut ask(None, 1), &mut rng),
            Err(DIM_DYNAMIC_PORT)
        );
    }
}
