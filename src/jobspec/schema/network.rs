//! `network` (group, or task `resources`), its `port "<label>"` and `dns` blocks.

use super::hooks::network;
use super::{BlockSpec, Kind, Label, f};

/// `network { mode, hostname, port "<label>" {...}, dns {...} }`; ports with `static` go to
/// `ReservedPorts`, the others to `DynamicPorts` (done by the hook).
pub(crate) static NETWORK: BlockSpec = BlockSpec {
    name: "network",
    fields: &[
        f("mode", "Mode", Kind::Str),
        f("hostname", "Hostname", Kind::Str),
        f("mbits", "MBits", Kind::Int),
        f("device", "Device", Kind::Str),
        f(
            "port",
            "__ports",
            Kind::Labeled(&PORT, Label::Field("Label")),
        ),
        f("dns", "DNS", Kind::Block(&DNS)),
        f("cni", "CNI", Kind::Block(&CNI)),
    ],
    hook: Some(network),
};

static PORT: BlockSpec = BlockSpec {
    name: "port",
    fields: &[
        f("static", "Value", Kind::Int),
        f("to", "To", Kind::Int),
        f("host_network", "HostNetwork", Kind::Str),
        f("ignore_collision", "IgnoreCollision", Kind::Bool),
    ],
    hook: None,
};

static DNS: BlockSpec = BlockSpec {
    name: "dns",
    fields: &[
        f("servers", "Servers", Kind::StrList),
        f("searches", "Searches", Kind::StrList),
        f("options", "Options", Kind::StrList),
    ],
    hook: None,
};

static CNI: BlockSpec = BlockSpec {
    name: "cni",
    fields: &[f("args", "Args", Kind::StrMap)],
    hook: None,
};
