//! The `group` block and its group-only children (`volume`, `consul`).

use super::network::NETWORK;
use super::placement::{AFFINITY, CONSTRAINT, SPREAD};
use super::policy::{
    DISCONNECT, EPHEMERAL_DISK, GROUP_SCALING, MIGRATE, RESCHEDULE, RESTART, UPDATE,
};
use super::service::SERVICE;
use super::task::TASK;
use super::{BlockSpec, Kind, Label, f};

/// `group "<name>" { ... }`; an entry of the job's `TaskGroups` with `Name` = label.
pub(crate) static GROUP: BlockSpec = BlockSpec {
    name: "group",
    fields: &[
        f("count", "Count", Kind::Int),
        f("meta", "Meta", Kind::StrMap),
        f("shutdown_delay", "ShutdownDelay", Kind::Duration),
        f("max_run_duration", "MaxRunDuration", Kind::Duration),
        f(
            "max_client_disconnect",
            "MaxClientDisconnect",
            Kind::Duration,
        ),
        f(
            "stop_after_client_disconnect",
            "StopAfterClientDisconnect",
            Kind::Duration,
        ),
        f(
            "prevent_reschedule_on_lost",
            "PreventRescheduleOnLost",
            Kind::Bool,
        ),
        f("constraint", "Constraints", Kind::Blocks(&CONSTRAINT)),
        f("affinity", "Affinities", Kind::Blocks(&AFFINITY)),
        f("spread", "Spreads", Kind::Blocks(&SPREAD)),
        f("task", "Tasks", Kind::Labeled(&TASK, Label::Field("Name"))),
        f("network", "Networks", Kind::Blocks(&NETWORK)),
        f("service", "Services", Kind::Blocks(&SERVICE)),
        f(
            "volume",
            "Volumes",
            Kind::Labeled(&VOLUME, Label::MapKey("Name")),
        ),
        f("restart", "RestartPolicy", Kind::Block(&RESTART)),
        f("reschedule", "ReschedulePolicy", Kind::Block(&RESCHEDULE)),
        f("update", "Update", Kind::Block(&UPDATE)),
        f("migrate", "Migrate", Kind::Block(&MIGRATE)),
        f(
            "ephemeral_disk",
            "EphemeralDisk",
            Kind::Block(&EPHEMERAL_DISK),
        ),
        f("disconnect", "Disconnect", Kind::Block(&DISCONNECT)),
        f("scaling", "Scaling", Kind::Block(&GROUP_SCALING)),
        f("consul", "Consul", Kind::Block(&CONSUL)),
    ],
    hook: None,
};

/// `volume "<name>"` (group): a host or CSI volume request; `Volumes` is keyed by name.
static VOLUME: BlockSpec = BlockSpec {
    name: "volume",
    fields: &[
        f("type", "Type", Kind::Str),
        f("source", "Source", Kind::Str),
        f("read_only", "ReadOnly", Kind::Bool),
        f("sticky", "Sticky", Kind::Bool),
        f("per_alloc", "PerAlloc", Kind::Bool),
        f("access_mode", "AccessMode", Kind::Str),
        f("attachment_mode", "AttachmentMode", Kind::Str),
        f("mount_options", "MountOptions", Kind::Block(&MOUNT_OPTIONS)),
    ],
    hook: None,
};

static MOUNT_OPTIONS: BlockSpec = BlockSpec {
    name: "mount_options",
    fields: &[
        f("fs_type", "FSType", Kind::Str),
        f("mount_flags", "MountFlags", Kind::StrList),
    ],
    hook: None,
};

/// `consul` (group or task): which Consul cluster/namespace/partition to use.
pub(crate) static CONSUL: BlockSpec = BlockSpec {
    name: "consul",
    fields: &[
        f("cluster", "Cluster", Kind::Str),
        f("namespace", "Namespace", Kind::Str),
        f("partition", "Partition", Kind::Str),
    ],
    hook: None,
};
