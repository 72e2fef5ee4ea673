//! Deterministic simulations and scale benchmarks.
//!
//! * [`mesh`]: the server mesh (real `MeshCore`s on a simulated network and
//!   clock): join/update spread, failure detection, false failures, bandwidth.

pub mod mesh;
