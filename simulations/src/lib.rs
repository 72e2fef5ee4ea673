//! Deterministic simulations and scale benchmarks.
//!
//! * [`mesh`]: the server mesh (real `MeshCore`s on a simulated network and
//!   clock): join/update spread, failure detection, false failures, bandwidth.
//! * [`federation`]: many regions in one mesh, a partition and a heal, with the forwarding rule replayed
//!   against each server's view.

pub mod federation;
pub mod mesh;
