//! One region's control plane.
pub mod duration;
pub mod scheduler;
pub mod state;
#[cfg(feature = "server")]
pub mod server;
pub mod structs;
