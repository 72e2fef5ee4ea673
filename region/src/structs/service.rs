//! Service, ServiceCheck and CheckRestart: service registration (Consul or Nomad's
//! own catalog) with health checks.

use std::collections::BTreeMap;

api_struct! {
    /// A `service` block (group or task level).
    pub struct Service {
        /// Service name (default `<job>-<group>[-<task>]`).
        pub name: String,
        /// Tags.
        pub tags: Vec<String>,
        /// Tags while the allocation is a canary.
        pub canary_tags: Vec<String>,
        /// Let Consul users edit tags.
        pub enable_tag_override: bool,
        /// Port label (HCL `port`), or a number with `address_mode = "driver"`.
        pub port_label: String,
        /// `auto` (default), `host`, `driver` or `alloc`.
        pub address_mode: String,
        /// Custom advertised address.
        pub address: String,
        /// Health checks (HCL `check`).
        pub checks: Vec<ServiceCheck>,
        /// Restart the task on failing checks.
        pub check_restart: Option<CheckRestart>,
        /// Service metadata.
        pub meta: BTreeMap<String, String>,
        /// Metadata while the allocation is a canary.
        pub canary_meta: BTreeMap<String, String>,
        /// Extra tagged addresses (Consul).
        pub tagged_addresses: BTreeMap<String, String>,
        /// Task whose network the group service uses (HCL `task`).
        pub task_name: String,
        /// `require_healthy` (default), `ignore_warnings` or `ignore`.
        pub on_update: String,
        /// `consul` (default) or `nomad`.
        pub provider: String,
    }
    unmodelled pub unmodelled
}

api_struct! {
    /// A `check` block.
    pub struct ServiceCheck {
        /// Check name.
        pub name: String,
        /// `http`, `tcp`, `grpc` or `script`.
        #[serde(rename = "Type")]
        pub check_type: String,
        /// Command of a script check.
        pub command: String,
        /// Arguments of a script check.
        pub args: Vec<String>,
        /// HTTP path.
        pub path: String,
        /// `http` or `https`.
        pub protocol: String,
        /// Port label (HCL `port`); defaults to the service's.
        pub port_label: String,
        /// `host`, `driver` or `alloc`.
        pub address_mode: String,
        /// Interval between checks, nanoseconds.
        pub interval: i64,
        /// Timeout of one check, nanoseconds.
        pub timeout: i64,
        /// Status before the first run (`passing`, `warning`, `critical`).
        pub initial_status: String,
        /// TLS server name for HTTPS/gRPC checks.
        #[serde(rename = "TLSServerName")]
        pub tls_server_name: String,
        /// Skip TLS verification.
        #[serde(rename = "TLSSkipVerify")]
        pub tls_skip_verify: bool,
        /// HTTP headers, each with several values.
        pub header: BTreeMap<String, Vec<String>>,
        /// HTTP method (default GET).
        pub method: String,
        /// HTTP body.
        pub body: String,
        /// Restart the task on this check's failures.
        pub check_restart: Option<CheckRestart>,
        /// gRPC service name.
        #[serde(rename = "GRPCService")]
        pub grpc_service: String,
        /// Use TLS for gRPC.
        #[serde(rename = "GRPCUseTLS")]
        pub grpc_use_tls: bool,
        /// Task a script check runs in (group services).
        pub task_name: String,
        /// Consecutive passes before passing (Consul).
        pub success_before_passing: i32,
        /// Consecutive failures before critical (Consul).
        pub failures_before_critical: i32,
        /// Consecutive failures before warning (Consul).
        pub failures_before_warning: i32,
        /// Like the service's `on_update`.
        pub on_update: String,
        /// Expose the check through a Connect sidecar.
        pub expose: bool,
    }
    unmodelled pub unmodelled
}

api_struct! {
    /// A `check_restart` block.
    pub struct CheckRestart {
        /// Unhealthy checks before a restart (0 = never).
        pub limit: i32,
        /// Wait after start before counting failures (default 1s), nanoseconds.
        pub grace: Option<i64>,
        /// Count `warning` as passing.
        pub ignore_warnings: bool,
    }
}

/// Check type `http`.
pub const CHECK_HTTP: &str = "http";
/// Check type `tcp`.
pub const CHECK_TCP: &str = "tcp";
/// Check type `grpc`.
pub const CHECK_GRPC: &str = "grpc";
/// Check type `script`.
pub const CHECK_SCRIPT: &str = "script";
/// Service provider `consul`.
pub const PROVIDER_CONSUL: &str = "consul";
/// Service provider `nomad`.
pub const PROVIDER_NOMAD: &str = "nomad";
/// `on_update = "require_healthy"`.
pub const ON_UPDATE_REQUIRE_HEALTHY: &str = "require_healthy";
/// `on_update = "ignore_warnings"`.
pub const ON_UPDATE_IGNORE_WARNINGS: &str = "ignore_warnings";
/// `on_update = "ignore"`.
pub const ON_UPDATE_IGNORE: &str = "ignore";
/// `address_mode = "auto"`.
pub const ADDRESS_MODE_AUTO: &str = "auto";
/// `address_mode = "host"`.
pub const ADDRESS_MODE_HOST: &str = "host";
/// `address_mode = "driver"`.
pub const ADDRESS_MODE_DRIVER: &str = "driver";
/// `address_mode = "alloc"`.
pub const ADDRESS_MODE_ALLOC: &str = "alloc";
