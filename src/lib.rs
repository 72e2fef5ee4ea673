//! The `nomad` agent and CLI: everything that wires the mesh and the region together.

pub mod agent;
pub mod allocator;
pub mod api;
pub mod api_client;
pub mod cli;
pub mod client;
pub mod config;
pub mod jobspec;
