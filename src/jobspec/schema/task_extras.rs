//! Task children that bring files, secrets and identities: `template`, `artifact`,
//! `volume_mount`, `dispatch_payload`, `vault`, `identity`, `csi_plugin`, `action`, `secret`.

use super::{BlockSpec, Kind, f};

/// `template` (task): a consul-template rendered into the task directory.
pub(crate) static TEMPLATE: BlockSpec = BlockSpec {
    name: "template",
    fields: &[
        f("source", "SourcePath", Kind::Str),
        f("destination", "DestPath", Kind::Str),
        f("data", "EmbeddedTmpl", Kind::Str),
        f("change_mode", "ChangeMode", Kind::Str),
        f("change_signal", "ChangeSignal", Kind::Str),
        f("change_script", "ChangeScript", Kind::Block(&CHANGE_SCRIPT)),
        f("splay", "Splay", Kind::Duration),
        f("perms", "Perms", Kind::Str),
        f("uid", "Uid", Kind::Int),
        f("gid", "Gid", Kind::Int),
        f("left_delimiter", "LeftDelim", Kind::Str),
        f("right_delimiter", "RightDelim", Kind::Str),
        f("env", "Envvars", Kind::Bool),
        f("vault_grace", "VaultGrace", Kind::Duration),
        f("error_on_missing_key", "ErrMissingKey", Kind::Bool),
        f("once", "Once", Kind::Bool),
        f("wait", "Wait", Kind::Block(&TEMPLATE_WAIT)),
    ],
    hook: None,
};

static CHANGE_SCRIPT: BlockSpec = BlockSpec {
    name: "change_script",
    fields: &[
        f("command", "Command", Kind::Str),
        f("args", "Args", Kind::StrList),
        f("timeout", "Timeout", Kind::Duration),
        f("fail_on_error", "FailOnError", Kind::Bool),
    ],
    hook: None,
};

static TEMPLATE_WAIT: BlockSpec = BlockSpec {
    name: "wait",
    fields: &[
        f("min", "Min", Kind::Duration),
        f("max", "Max", Kind::Duration),
    ],
    hook: None,
};

/// `artifact` (task): something go-getter downloads before the task starts.
pub(crate) static ARTIFACT: BlockSpec = BlockSpec {
    name: "artifact",
    fields: &[
        f("source", "GetterSource", Kind::Str),
        f("destination", "RelativeDest", Kind::Str),
        f("mode", "GetterMode", Kind::Str),
        f("options", "GetterOptions", Kind::StrMap),
        f("headers", "GetterHeaders", Kind::StrMap),
        f("insecure", "GetterInsecure", Kind::Bool),
        f("chown", "Chown", Kind::Bool),
    ],
    hook: None,
};

/// `volume_mount` (task): where a group `volume` appears inside the task.
pub(crate) static VOLUME_MOUNT: BlockSpec = BlockSpec {
    name: "volume_mount",
    fields: &[
        f("volume", "Volume", Kind::Str),
        f("destination", "Destination", Kind::Str),
        f("read_only", "ReadOnly", Kind::Bool),
        f("propagation_mode", "PropagationMode", Kind::Str),
        f("selinux_label", "SELinuxLabel", Kind::Str),
    ],
    hook: None,
};

/// `dispatch_payload` (task): where a dispatched job's payload is written.
pub(crate) static DISPATCH_PAYLOAD: BlockSpec = BlockSpec {
    name: "dispatch_payload",
    fields: &[f("file", "File", Kind::Str)],
    hook: None,
};

/// `vault` (task).
pub(crate) static VAULT: BlockSpec = BlockSpec {
    name: "vault",
    fields: &[
        f("policies", "Policies", Kind::StrList),
        f("role", "Role", Kind::Str),
        f("namespace", "Namespace", Kind::Str),
        f("cluster", "Cluster", Kind::Str),
        f("env", "Env", Kind::Bool),
        f("disable_file", "DisableFile", Kind::Bool),
        f("change_mode", "ChangeMode", Kind::Str),
        f("change_signal", "ChangeSignal", Kind::Str),
        f("allow_token_expiration", "AllowTokenExpiration", Kind::Bool),
    ],
    hook: None,
};

/// `identity` (task or service): a workload-identity token.
pub(crate) static IDENTITY: BlockSpec = BlockSpec {
    name: "identity",
    fields: &[
        f("name", "Name", Kind::Str),
        f("aud", "Audience", Kind::StrList),
        f("env", "Env", Kind::Bool),
        f("file", "File", Kind::Bool),
        f("filepath", "Filepath", Kind::Str),
        f("ttl", "TTL", Kind::Duration),
        f("change_mode", "ChangeMode", Kind::Str),
        f("change_signal", "ChangeSignal", Kind::Str),
        f("service_name", "ServiceName", Kind::Str),
    ],
    hook: None,
};

/// `csi_plugin` (task): the task is a CSI plugin.
pub(crate) static CSI_PLUGIN: BlockSpec = BlockSpec {
    name: "csi_plugin",
    fields: &[
        f("id", "ID", Kind::Str),
        f("type", "Type", Kind::Str),
        f("mount_dir", "MountDir", Kind::Str),
        f("stage_publish_base_dir", "StagePublishBaseDir", Kind::Str),
        f("health_timeout", "HealthTimeout", Kind::Duration),
    ],
    hook: None,
};

/// `action "<name>"` (task): a command users may run in the task.
pub(crate) static ACTION: BlockSpec = BlockSpec {
    name: "action",
    fields: &[
        f("command", "Command", Kind::Str),
        f("args", "Args", Kind::StrList),
    ],
    hook: None,
};

/// `secret "<name>"` (task): a value from a secrets provider.
pub(crate) static SECRET: BlockSpec = BlockSpec {
    name: "secret",
    fields: &[
        f("provider", "Provider", Kind::Str),
        f("path", "Path", Kind::Str),
        f("config", "Config", Kind::Any),
        f("env", "Env", Kind::StrMap),
    ],
    hook: None,
};
