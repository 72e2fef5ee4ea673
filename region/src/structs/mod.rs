//! Nomad's data model, one file per entity, in the API's JSON shape.
//!
//! Every struct serialises to exactly the JSON Nomad's HTTP API uses (PascalCase
//! with Go initialisms, durations as integer nanoseconds, `BTreeMap`s for stable
//! output) and deserialises partial user JSON: missing or `null` fields take their
//! default (see [`macros`]). Fields whose Nomad default is not the zero value are
//! `Option`s until [`Job::canonicalize`] fills them; [`Job::validate`] then reports
//! every problem with the HCL path where it is.
//!
//! Status strings are `pub const`s named after Nomad's (`ALLOC_CLIENT_STATUS_RUNNING`
//! = `"running"`); mind `canceled` (evaluations) and `cancelled` (deployments).

#[macro_use]
pub mod macros;

mod canonicalize;
mod cron;
mod validate;

mod alloc;
mod alloc_metric;
mod small_map;
pub use small_map::SmallMap;
mod alloc_resources;
mod artifact;
mod constraint;
mod deployment;
mod ephemeral_disk;
mod eval;
mod job;
mod job_summary;
mod lifecycle;
mod logs;
mod migrate;
mod network;
mod node;
mod node_resources;
mod parameterized;
mod periodic;
mod plan;
mod reschedule;
mod resources;
mod restart;
mod scaling;
mod service;
mod spread;
mod stubs;
mod task;
mod task_group;
mod task_state;
mod template;
mod update;
mod volume;

pub use alloc::*;
pub use alloc_metric::*;
pub use alloc_resources::*;
pub use artifact::*;
pub use canonicalize::{
    DEFAULT_CPU, DEFAULT_EPHEMERAL_DISK_MB, DEFAULT_KILL_TIMEOUT, DEFAULT_MEMORY_MB,
    default_log_config, default_migrate_strategy, default_reschedule_policy,
    default_restart_policy, default_update_strategy,
};
pub use constraint::*;
pub use cron::{CronSpecError, parse_cron};
pub use deployment::*;
pub use ephemeral_disk::*;
pub use eval::*;
pub use job::*;
pub use job_summary::*;
pub use lifecycle::*;
pub use logs::*;
pub use migrate::*;
pub use network::*;
pub use node::*;
pub use node_resources::*;
pub use parameterized::*;
pub use periodic::*;
pub use plan::*;
pub use reschedule::*;
pub use resources::*;
pub use restart::*;
pub use scaling::*;
pub use service::*;
pub use spread::*;
pub use stubs::*;
pub use task::*;
pub use task_group::*;
pub use task_state::*;
pub use template::*;
pub use update::*;
pub use validate::{ValidationError, ValidationErrors};
pub use volume::*;

/// One second in nanoseconds (Nomad durations are integer nanoseconds).
pub const SECOND: i64 = 1_000_000_000;
/// One minute in nanoseconds.
pub const MINUTE: i64 = 60 * SECOND;
/// One hour in nanoseconds.
pub const HOUR: i64 = 60 * MINUTE;
