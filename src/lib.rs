//! The `nomad` agent and CLI: everything that wires the mesh and the region together.

pub mod agent;
pub mod api;
pub mod api_client;
pub mod cli;
pub mod client;
pub mod config;
pub mod jobspec;

// The servers' state machine and scheduler allocate and free many small objects per placement;
// glibc's malloc spent most of a C1M run's CPU consolidating its free lists (BENCHMARKS.md).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;
