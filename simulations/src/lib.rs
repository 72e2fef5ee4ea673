//! Deterministic simulations and scale benchmarks.
//!
//! * [`c1m`]: three in-process region servers, simulated nodes and jobs for the C1M-shaped run.
//! * [`mesh`]: the server mesh (real `MeshCore`s on a simulated network and
//!   clock): join/update spread, failure detection, false failures, bandwidth.
//! * [`plot`]: SVG charts of simulation results for BENCHMARKS.md.
//! * [`dev_agent`]: a real `nomad agent -dev` for the benchmark binaries.
//! * [`federation`]: many regions in one mesh, a partition and a heal, with the forwarding rule replayed
//!   against each server's view.

pub mod c1m;
pub mod dev_agent;
pub mod federation;
pub mod mesh;
pub mod plot;
