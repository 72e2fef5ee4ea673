//! One region's control plane.
pub mod duration;
pub mod scheduler;
pub mod state;
pub mod structs;
