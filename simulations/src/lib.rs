//! Deterministic simulations and scale benchmarks.
