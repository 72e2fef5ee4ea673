//! Policy blocks: `update`, `migrate`, `restart`, `reschedule`, `periodic`, `parameterized`,
//! `disconnect`, `ephemeral_disk`, `logs`, `lifecycle`, `scaling`.

use super::hooks::task_scaling;
use super::{BlockSpec, Kind, f};

/// `update` (job or group): rolling-update and deployment settings.
pub(crate) static UPDATE: BlockSpec = BlockSpec {
    name: "update",
    fields: &[
        f("stagger", "Stagger", Kind::Duration),
        f("max_parallel", "MaxParallel", Kind::Int),
        f("health_check", "HealthCheck", Kind::Str),
        f("min_healthy_time", "MinHealthyTime", Kind::Duration),
        f("healthy_deadline", "HealthyDeadline", Kind::Duration),
        f("progress_deadline", "ProgressDeadline", Kind::Duration),
        f("canary", "Canary", Kind::Int),
        f("auto_revert", "AutoRevert", Kind::Bool),
        f("auto_promote", "AutoPromote", Kind::Bool),
    ],
    hook: None,
};

/// `migrate` (job or group): how allocations move off a draining node.
pub(crate) static MIGRATE: BlockSpec = BlockSpec {
    name: "migrate",
    fields: &[
        f("max_parallel", "MaxParallel", Kind::Int),
        f("health_check", "HealthCheck", Kind::Str),
        f("min_healthy_time", "MinHealthyTime", Kind::Duration),
        f("healthy_deadline", "HealthyDeadline", Kind::Duration),
    ],
    hook: None,
};

/// `restart` (group or task): local restarts of failed tasks.
pub(crate) static RESTART: BlockSpec = BlockSpec {
    name: "restart",
    fields: &[
        f("attempts", "Attempts", Kind::Int),
        f("interval", "Interval", Kind::Duration),
        f("delay", "Delay", Kind::Duration),
        f("mode", "Mode", Kind::Str),
        f("render_templates", "RenderTemplates", Kind::Bool),
    ],
    hook: None,
};

/// `reschedule` (job or group): placing failed allocations elsewhere.
pub(crate) static RESCHEDULE: BlockSpec = BlockSpec {
    name: "reschedule",
    fields: &[
        f("attempts", "Attempts", Kind::Int),
        f("interval", "Interval", Kind::Duration),
        f("delay", "Delay", Kind::Duration),
        f("delay_function", "DelayFunction", Kind::Str),
        f("max_delay", "MaxDelay", Kind::Duration),
        f("unlimited", "Unlimited", Kind::Bool),
    ],
    hook: None,
};

/// `periodic` (job): cron launches.
pub(crate) static PERIODIC: BlockSpec = BlockSpec {
    name: "periodic",
    fields: &[
        f("cron", "Spec", Kind::Str),
        f("crons", "Specs", Kind::StrList),
        f("prohibit_overlap", "ProhibitOverlap", Kind::Bool),
        f("time_zone", "TimeZone", Kind::Str),
        f("enabled", "Enabled", Kind::Bool),
    ],
    hook: None,
};

/// `parameterized` (job): dispatchable jobs.
pub(crate) static PARAMETERIZED: BlockSpec = BlockSpec {
    name: "parameterized",
    fields: &[
        f("payload", "Payload", Kind::Str),
        f("meta_required", "MetaRequired", Kind::StrList),
        f("meta_optional", "MetaOptional", Kind::StrList),
    ],
    hook: None,
};

/// `disconnect` (group): behaviour when a client loses contact.
pub(crate) static DISCONNECT: BlockSpec = BlockSpec {
    name: "disconnect",
    fields: &[
        f("lost_after", "LostAfter", Kind::Duration),
        f("stop_on_client_after", "StopOnClientAfter", Kind::Duration),
        f("replace", "Replace", Kind::Bool),
        f("reconcile", "Reconcile", Kind::Str),
    ],
    hook: None,
};

/// `ephemeral_disk` (group).
pub(crate) static EPHEMERAL_DISK: BlockSpec = BlockSpec {
    name: "ephemeral_disk",
    fields: &[
        f("size", "SizeMB", Kind::Int),
        f("sticky", "Sticky", Kind::Bool),
        f("migrate", "Migrate", Kind::Bool),
    ],
    hook: None,
};

/// `logs` (task).
pub(crate) static LOGS: BlockSpec = BlockSpec {
    name: "logs",
    fields: &[
        f("max_files", "MaxFiles", Kind::Int),
        f("max_file_size", "MaxFileSizeMB", Kind::Int),
        f("disabled", "Disabled", Kind::Bool),
        f("enabled", "Enabled", Kind::Bool),
    ],
    hook: None,
};

/// `lifecycle` (task).
pub(crate) static LIFECYCLE: BlockSpec = BlockSpec {
    name: "lifecycle",
    fields: &[
        f("hook", "Hook", Kind::Str),
        f("sidecar", "Sidecar", Kind::Bool),
    ],
    hook: None,
};

/// `scaling` (group): horizontal scaling bounds and an opaque autoscaler policy.
pub(crate) static GROUP_SCALING: BlockSpec = BlockSpec {
    name: "scaling",
    fields: &[
        f("min", "Min", Kind::Int),
        f("max", "Max", Kind::Int),
        f("enabled", "Enabled", Kind::Bool),
        f("policy", "Policy", Kind::Any),
    ],
    hook: None,
};

/// `scaling "cpu"|"mem"` (task): vertical scaling policies.
pub(crate) static TASK_SCALING: BlockSpec = BlockSpec {
    name: "scaling",
    fields: &[
        f("min", "Min", Kind::Int),
        f("max", "Max", Kind::Int),
        f("enabled", "Enabled", Kind::Bool),
        f("policy", "Policy", Kind::Any),
    ],
    hook: Some(task_scaling),
};
