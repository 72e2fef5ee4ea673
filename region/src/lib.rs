//! One region's control plane.
pub mod duration;
#[cfg(feature = "server")]
pub mod raft;
pub mod scheduler;
#[cfg(feature = "server")]
pub mod server;
pub mod state;
pub mod structs;
