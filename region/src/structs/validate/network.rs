//! Network rules: one group network, valid modes, unique port labels and static
//! ports, port number ranges. Returns the labels services may refer to.

use std::collections::{BTreeMap, BTreeSet};

use super::{Checker, Path};
use crate::structs::{
    NETWORK_MODE_BRIDGE, NETWORK_MODE_CNI_PREFIX, NETWORK_MODE_HOST, NETWORK_MODE_NONE,
    NetworkResource, TaskGroup,
};

/// Port labels and static ports seen so far in a group.
#[derive(Default)]
struct Seen {
    labels: BTreeSet<String>,
    /// `(host_network, port)` -> label that reserved it.
    statics: BTreeMap<(String, i32), String>,
}

/// Checks the group's and its tasks' networks; returns every port label.
pub(super) fn check_networks(g: &TaskGroup, p: &Path, c: &mut Checker) -> BTreeSet<String> {
    let mut seen = Seen::default();
    if g.networks.len() > 1 {
        c.at(p, "network", "Only one network block is allowed per group");
    }
    for n in &g.networks {
        let np = p.join(["network"]);
        let mode = n.mode.as_str();
        let known = [
            NETWORK_MODE_HOST,
            NETWORK_MODE_BRIDGE,
            NETWORK_MODE_NONE,
            "",
        ]
        .contains(&mode)
            || mode
                .strip_prefix(NETWORK_MODE_CNI_PREFIX)
                .is_some_and(|name| !name.is_empty());
        if !known {
            c.at(&np, "mode", format!("Invalid network mode {mode:?}"));
        }
        check_ports(n, &np, &mut seen, c);
    }
    for t in &g.tasks {
        if let Some(r) = &t.resources {
            let np = p.join(["task", &t.name, "resources", "network"]);
            for n in &r.networks {
                check_ports(n, &np, &mut seen, c);
            }
        }
    }
    seen.labels
}

fn check_ports(n: &NetworkResource, np: &Path, seen: &mut Seen, c: &mut Checker) {
    for (is_static, port) in n
        .reserved_ports
        .iter()
        .map(|p| (true, p))
        .chain(n.dynamic_ports.iter().map(|p| (false, p)))
    {
        let pp = np.join(["port", &port.label]);
        if port.label.is_empty() {
            c.add(&pp, "Port label can't be empty");
        } else if !seen.labels.insert(port.label.clone()) {
            c.add(&pp, format!("Port label {:?} already in use", port.label));
        }
        if is_static {
            if !(1..=65535).contains(&port.value) {
                c.at(
                    &pp,
                    "static",
                    format!(
                        "Port {:?} has an invalid static port {} (must be between 1 and 65535)",
                        port.label, port.value
                    ),
                );
            } else if !port.ignore_collision {
                let key = (port.host_network.clone(), port.value);
                if let Some(other) = seen.statics.get(&key) {
                    c.at(
                        &pp,
                        "static",
                        format!("Static port {} already reserved by {other:?}", port.value),
                    );
                } else {
                    seen.statics.insert(key, port.label.clone());
                }
            }
        }
        if !(-1..=65535).contains(&port.to) {
            c.at(
                &pp,
                "to",
                format!(
                    "Port {:?} has an invalid \"to\" value: {}",
                    port.label, port.to
                ),
            );
        }
    }
}
