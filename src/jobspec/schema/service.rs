//! `service` (group or task) with its `check`, `check_restart` and Consul `connect` blocks.

use super::policy::LOGS;
use super::task::RESOURCES;
use super::task_extras::IDENTITY;
use super::{BlockSpec, Kind, f};

/// `service { name, port, tags, check {...}, ... }`.
pub(crate) static SERVICE: BlockSpec = BlockSpec {
    name: "service",
    fields: &[
        f("name", "Name", Kind::Str),
        f("provider", "Provider", Kind::Str),
        f("port", "PortLabel", Kind::Str),
        f("tags", "Tags", Kind::StrList),
        f("canary_tags", "CanaryTags", Kind::StrList),
        f("enable_tag_override", "EnableTagOverride", Kind::Bool),
        f("address", "Address", Kind::Str),
        f("address_mode", "AddressMode", Kind::Str),
        f("task", "TaskName", Kind::Str),
        f("on_update", "OnUpdate", Kind::Str),
        f("cluster", "Cluster", Kind::Str),
        f("kind", "Kind", Kind::Str),
        f("meta", "Meta", Kind::StrMap),
        f("canary_meta", "CanaryMeta", Kind::StrMap),
        f("tagged_addresses", "TaggedAddresses", Kind::StrMap),
        f("check", "Checks", Kind::Blocks(&CHECK)),
        f("check_restart", "CheckRestart", Kind::Block(&CHECK_RESTART)),
        f("connect", "Connect", Kind::Block(&CONNECT)),
        f("identity", "Identity", Kind::Block(&IDENTITY)),
        f("weights", "Weights", Kind::Block(&WEIGHTS)),
    ],
    hook: None,
};

/// `check` (service): a health check.
static CHECK: BlockSpec = BlockSpec {
    name: "check",
    fields: &[
        f("name", "Name", Kind::Str),
        f("type", "Type", Kind::Str),
        f("command", "Command", Kind::Str),
        f("args", "Args", Kind::StrList),
        f("path", "Path", Kind::Str),
        f("protocol", "Protocol", Kind::Str),
        f("port", "PortLabel", Kind::Str),
        f("expose", "Expose", Kind::Bool),
        f("address_mode", "AddressMode", Kind::Str),
        f("interval", "Interval", Kind::Duration),
        f("timeout", "Timeout", Kind::Duration),
        f("initial_status", "InitialStatus", Kind::Str),
        f("notes", "Notes", Kind::Str),
        f("tls_server_name", "TLSServerName", Kind::Str),
        f("tls_skip_verify", "TLSSkipVerify", Kind::Bool),
        f("method", "Method", Kind::Str),
        f("body", "Body", Kind::Str),
        f("header", "Header", Kind::StrListMap),
        f("grpc_service", "GRPCService", Kind::Str),
        f("grpc_use_tls", "GRPCUseTLS", Kind::Bool),
        f("task", "TaskName", Kind::Str),
        f("on_update", "OnUpdate", Kind::Str),
        f("success_before_passing", "SuccessBeforePassing", Kind::Int),
        f(
            "failures_before_critical",
            "FailuresBeforeCritical",
            Kind::Int,
        ),
        f(
            "failures_before_warning",
            "FailuresBeforeWarning",
            Kind::Int,
        ),
        f("check_restart", "CheckRestart", Kind::Block(&CHECK_RESTART)),
    ],
    hook: None,
};

/// `check_restart` (service or check): restart the task when its checks stay unhealthy.
static CHECK_RESTART: BlockSpec = BlockSpec {
    name: "check_restart",
    fields: &[
        f("limit", "Limit", Kind::Int),
        f("grace", "Grace", Kind::Duration),
        f("ignore_warnings", "IgnoreWarnings", Kind::Bool),
    ],
    hook: None,
};

static WEIGHTS: BlockSpec = BlockSpec {
    name: "weights",
    fields: &[
        f("passing", "Passing", Kind::Int),
        f("warning", "Warning", Kind::Int),
    ],
    hook: None,
};

/// `connect` (service): Consul service mesh.
static CONNECT: BlockSpec = BlockSpec {
    name: "connect",
    fields: &[
        f("native", "Native", Kind::Bool),
        f(
            "sidecar_service",
            "SidecarService",
            Kind::Block(&SIDECAR_SERVICE),
        ),
        f("sidecar_task", "SidecarTask", Kind::Block(&SIDECAR_TASK)),
    ],
    hook: None,
};

static SIDECAR_SERVICE: BlockSpec = BlockSpec {
    name: "sidecar_service",
    fields: &[
        f("port", "Port", Kind::Str),
        f("tags", "Tags", Kind::StrList),
        f("meta", "Meta", Kind::StrMap),
        f(
            "disable_default_tcp_check",
            "DisableDefaultTCPCheck",
            Kind::Bool,
        ),
        f("proxy", "Proxy", Kind::Block(&PROXY)),
    ],
    hook: None,
};

static PROXY: BlockSpec = BlockSpec {
    name: "proxy",
    fields: &[
        f("local_service_address", "LocalServiceAddress", Kind::Str),
        f("local_service_port", "LocalServicePort", Kind::Int),
        f("config", "Config", Kind::Any),
        f("upstreams", "Upstreams", Kind::Blocks(&UPSTREAM)),
        f("expose", "Expose", Kind::Block(&EXPOSE)),
    ],
    hook: None,
};

static UPSTREAM: BlockSpec = BlockSpec {
    name: "upstreams",
    fields: &[
        f("destination_name", "DestinationName", Kind::Str),
        f("destination_namespace", "DestinationNamespace", Kind::Str),
        f("destination_peer", "DestinationPeer", Kind::Str),
        f("destination_type", "DestinationType", Kind::Str),
        f("local_bind_port", "LocalBindPort", Kind::Int),
        f("local_bind_address", "LocalBindAddress", Kind::Str),
        f("local_bind_socket_path", "LocalBindSocketPath", Kind::Str),
        f("datacenter", "Datacenter", Kind::Str),
        f("config", "Config", Kind::Any),
        f("mesh_gateway", "MeshGateway", Kind::Block(&MESH_GATEWAY)),
    ],
    hook: None,
};

static MESH_GATEWAY: BlockSpec = BlockSpec {
    name: "mesh_gateway",
    fields: &[f("mode", "Mode", Kind::Str)],
    hook: None,
};

static EXPOSE: BlockSpec = BlockSpec {
    name: "expose",
    fields: &[f("path", "Paths", Kind::Blocks(&EXPOSE_PATH))],
    hook: None,
};

static EXPOSE_PATH: BlockSpec = BlockSpec {
    name: "path",
    fields: &[
        f("path", "Path", Kind::Str),
        f("protocol", "Protocol", Kind::Str),
        f("local_path_port", "LocalPathPort", Kind::Int),
        f("listener_port", "ListenerPort", Kind::Str),
    ],
    hook: None,
};

/// `sidecar_task` (connect): overrides for the Envoy proxy task.
static SIDECAR_TASK: BlockSpec = BlockSpec {
    name: "sidecar_task",
    fields: &[
        f("name", "Name", Kind::Str),
        f("driver", "Driver", Kind::Str),
        f("user", "User", Kind::Str),
        f("config", "Config", Kind::Any),
        f("env", "Env", Kind::StrMap),
        f("meta", "Meta", Kind::StrMap),
        f("kill_timeout", "KillTimeout", Kind::Duration),
        f("kill_signal", "KillSignal", Kind::Str),
        f("shutdown_delay", "ShutdownDelay", Kind::Duration),
        f("resources", "Resources", Kind::Block(&RESOURCES)),
        f("logs", "LogConfig", Kind::Block(&LOGS)),
    ],
    hook: None,
};
