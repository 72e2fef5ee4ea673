//! Placement blocks shared by job, group, task and device: `constraint`, `affinity`, `spread`.

use super::hooks::{affinity, constraint};
use super::{BlockSpec, Kind, Label, f};

/// `constraint { attribute, operator, value }` and the shorthand forms Nomad accepts
/// (`distinct_hosts = true`, `distinct_property = "..."`, `version = "..."`, ...).
pub(crate) static CONSTRAINT: BlockSpec = BlockSpec {
    name: "constraint",
    fields: &[
        f("attribute", "LTarget", Kind::Str),
        f("operator", "Operand", Kind::Str),
        f("value", "RTarget", Kind::Str),
        f("distinct_hosts", "__distinct_hosts", Kind::Bool),
        f("distinct_property", "__distinct_property", Kind::Str),
        f("version", "__op:version", Kind::Str),
        f("semver", "__op:semver", Kind::Str),
        f("regexp", "__op:regexp", Kind::Str),
        f("set_contains", "__op:set_contains", Kind::Str),
        f("set_contains_any", "__op:set_contains_any", Kind::Str),
        f("set_contains_all", "__op:set_contains_all", Kind::Str),
    ],
    hook: Some(constraint),
};

/// `affinity { attribute, operator, value, weight }` (same shorthands as constraints for the
/// operators that make sense as preferences).
pub(crate) static AFFINITY: BlockSpec = BlockSpec {
    name: "affinity",
    fields: &[
        f("attribute", "LTarget", Kind::Str),
        f("operator", "Operand", Kind::Str),
        f("value", "RTarget", Kind::Str),
        f("weight", "Weight", Kind::Int),
        f("version", "__op:version", Kind::Str),
        f("semver", "__op:semver", Kind::Str),
        f("regexp", "__op:regexp", Kind::Str),
        f("set_contains", "__op:set_contains", Kind::Str),
        f("set_contains_any", "__op:set_contains_any", Kind::Str),
        f("set_contains_all", "__op:set_contains_all", Kind::Str),
    ],
    hook: Some(affinity),
};

/// `spread { attribute, weight, target "<value>" { percent } }`.
pub(crate) static SPREAD: BlockSpec = BlockSpec {
    name: "spread",
    fields: &[
        f("attribute", "Attribute", Kind::Str),
        f("weight", "Weight", Kind::Int),
        f(
            "target",
            "SpreadTarget",
            Kind::Labeled(&SPREAD_TARGET, Label::Field("Value")),
        ),
    ],
    hook: None,
};

static SPREAD_TARGET: BlockSpec = BlockSpec {
    name: "target",
    fields: &[f("percent", "Percent", Kind::Int)],
    hook: None,
};
