//! Deterministic simulations and scale benchmarks.
//!
//! * [`mesh`]: the server mesh (real `MeshCore`s on a simulated network and
//!   clock): join/update spread, failure detection, false failures, bandwidth.
//! * [`plot`]: SVG charts of simulation results for BENCHMARKS.md.
//! * [`dev_agent`]: a real `nomad agent -dev` for the benchmark binaries.

pub mod dev_agent;
pub mod mesh;
pub mod plot;
