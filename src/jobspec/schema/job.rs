//! The `job` block and its job-only children (`ui`, `multiregion`).

use super::group::GROUP;
use super::placement::{AFFINITY, CONSTRAINT, SPREAD};
use super::policy::{MIGRATE, PARAMETERIZED, PERIODIC, RESCHEDULE, UPDATE};
use super::{BlockSpec, Kind, Label, f};

/// `job "<id>" { ... }`; the label becomes `ID` (and `Name` unless `name` is set).
pub(crate) static JOB: BlockSpec = BlockSpec {
    name: "job",
    fields: &[
        f("region", "Region", Kind::Str),
        f("namespace", "Namespace", Kind::Str),
        f("name", "Name", Kind::Str),
        f("type", "Type", Kind::Str),
        f("priority", "Priority", Kind::Int),
        f("all_at_once", "AllAtOnce", Kind::Bool),
        f("datacenters", "Datacenters", Kind::StrList),
        f("node_pool", "NodePool", Kind::Str),
        f("meta", "Meta", Kind::StrMap),
        f("consul_token", "ConsulToken", Kind::Str),
        f("vault_token", "VaultToken", Kind::Str),
        f("constraint", "Constraints", Kind::Blocks(&CONSTRAINT)),
        f("affinity", "Affinities", Kind::Blocks(&AFFINITY)),
        f("spread", "Spreads", Kind::Blocks(&SPREAD)),
        f(
            "group",
            "TaskGroups",
            Kind::Labeled(&GROUP, Label::Field("Name")),
        ),
        f("update", "Update", Kind::Block(&UPDATE)),
        f("migrate", "Migrate", Kind::Block(&MIGRATE)),
        f("reschedule", "Reschedule", Kind::Block(&RESCHEDULE)),
        f("periodic", "Periodic", Kind::Block(&PERIODIC)),
        f(
            "parameterized",
            "ParameterizedJob",
            Kind::Block(&PARAMETERIZED),
        ),
        f("multiregion", "Multiregion", Kind::Block(&MULTIREGION)),
        f("ui", "UI", Kind::Block(&UI)),
    ],
    hook: None,
};

static UI: BlockSpec = BlockSpec {
    name: "ui",
    fields: &[
        f("description", "Description", Kind::Str),
        f("link", "Links", Kind::Blocks(&UI_LINK)),
    ],
    hook: None,
};

static UI_LINK: BlockSpec = BlockSpec {
    name: "link",
    fields: &[f("label", "Label", Kind::Str), f("url", "URL", Kind::Str)],
    hook: None,
};

static MULTIREGION: BlockSpec = BlockSpec {
    name: "multiregion",
    fields: &[
        f("strategy", "Strategy", Kind::Block(&MULTIREGION_STRATEGY)),
        f(
            "region",
            "Regions",
            Kind::Labeled(&MULTIREGION_REGION, Label::Field("Name")),
        ),
    ],
    hook: None,
};

static MULTIREGION_STRATEGY: BlockSpec = BlockSpec {
    name: "strategy",
    fields: &[
        f("max_parallel", "MaxParallel", Kind::Int),
        f("on_failure", "OnFailure", Kind::Str),
    ],
    hook: None,
};

static MULTIREGION_REGION: BlockSpec = BlockSpec {
    name: "region",
    fields: &[
        f("count", "Count", Kind::Int),
        f("datacenters", "Datacenters", Kind::StrList),
        f("node_pool", "NodePool", Kind::Str),
        f("meta", "Meta", Kind::StrMap),
    ],
    hook: None,
};
