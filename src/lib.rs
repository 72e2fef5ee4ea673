//! The `nomad` agent and CLI: everything that wires the mesh and the region together.

pub mod api_client;
// pub mod cli; (wired back once jobspec and agent land)
pub mod config;
