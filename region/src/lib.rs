//! One region's control plane.
pub mod structs;
