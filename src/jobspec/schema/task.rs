//! The `task` block, its `resources` (with `device` and `numa`) and `lifecycle`-like children.

use super::group::CONSUL;
use super::hooks::task;
use super::network::NETWORK;
use super::placement::{AFFINITY, CONSTRAINT};
use super::policy::{LIFECYCLE, LOGS, RESTART, TASK_SCALING};
use super::service::SERVICE;
use super::task_extras::{
    ACTION, ARTIFACT, CSI_PLUGIN, DISPATCH_PAYLOAD, IDENTITY, SECRET, TEMPLATE, VAULT, VOLUME_MOUNT,
};
use super::{BlockSpec, Kind, Label, f};

/// `task "<name>" { ... }`; an entry of the group's `Tasks` with `Name` = label.
pub(crate) static TASK: BlockSpec = BlockSpec {
    name: "task",
    fields: &[
        f("driver", "Driver", Kind::Str),
        f("user", "User", Kind::Str),
        f("config", "Config", Kind::Any),
        f("env", "Env", Kind::StrMap),
        f("meta", "Meta", Kind::StrMap),
        f("kill_timeout", "KillTimeout", Kind::Duration),
        f("kill_signal", "KillSignal", Kind::Str),
        f("shutdown_delay", "ShutdownDelay", Kind::Duration),
        f("leader", "Leader", Kind::Bool),
        f("kind", "Kind", Kind::Str),
        f("constraint", "Constraints", Kind::Blocks(&CONSTRAINT)),
        f("affinity", "Affinities", Kind::Blocks(&AFFINITY)),
        f("resources", "Resources", Kind::Block(&RESOURCES)),
        f("service", "Services", Kind::Blocks(&SERVICE)),
        f("restart", "RestartPolicy", Kind::Block(&RESTART)),
        f("logs", "LogConfig", Kind::Block(&LOGS)),
        f("lifecycle", "Lifecycle", Kind::Block(&LIFECYCLE)),
        f("template", "Templates", Kind::Blocks(&TEMPLATE)),
        f("artifact", "Artifacts", Kind::Blocks(&ARTIFACT)),
        f("volume_mount", "VolumeMounts", Kind::Blocks(&VOLUME_MOUNT)),
        f(
            "dispatch_payload",
            "DispatchPayload",
            Kind::Block(&DISPATCH_PAYLOAD),
        ),
        f("vault", "Vault", Kind::Block(&VAULT)),
        f("consul", "Consul", Kind::Block(&CONSUL)),
        f("identity", "__identities", Kind::Blocks(&IDENTITY)),
        f("csi_plugin", "CSIPluginConfig", Kind::Block(&CSI_PLUGIN)),
        f(
            "action",
            "Actions",
            Kind::Labeled(&ACTION, Label::Field("Name")),
        ),
        f(
            "secret",
            "Secrets",
            Kind::Labeled(&SECRET, Label::Field("Name")),
        ),
        f(
            "scaling",
            "ScalingPolicies",
            Kind::Labeled(&TASK_SCALING, Label::Field("__label")),
        ),
    ],
    hook: Some(task),
};

/// `resources` (task, and a Connect `sidecar_task`).
pub(crate) static RESOURCES: BlockSpec = BlockSpec {
    name: "resources",
    fields: &[
        f("cpu", "CPU", Kind::Int),
        f("cores", "Cores", Kind::Int),
        f("memory", "MemoryMB", Kind::Int),
        f("memory_max", "MemoryMaxMB", Kind::Int),
        f("disk", "DiskMB", Kind::Int),
        f("iops", "IOPS", Kind::Int),
        f("secrets", "SecretsMB", Kind::Int),
        f("network", "Networks", Kind::Blocks(&NETWORK)),
        f(
            "device",
            "Devices",
            Kind::Labeled(&DEVICE, Label::Field("Name")),
        ),
        f("numa", "NUMA", Kind::Block(&NUMA)),
    ],
    hook: None,
};

static DEVICE: BlockSpec = BlockSpec {
    name: "device",
    fields: &[
        f("count", "Count", Kind::Int),
        f("constraint", "Constraints", Kind::Blocks(&CONSTRAINT)),
        f("affinity", "Affinities", Kind::Blocks(&AFFINITY)),
    ],
    hook: None,
};

static NUMA: BlockSpec = BlockSpec {
    name: "numa",
    fields: &[
        f("affinity", "Affinity", Kind::Str),
        f("devices", "Devices", Kind::StrList),
    ],
    hook: None,
};
