//! Deterministic test doubles: a simulated network and a cluster harness on a
//! virtual clock (feature `testing`), and an in-memory `Transport`.

mod cluster;
mod network;

pub use cluster::{Observer, SimCluster, SimNode};
pub use network::{Delivery, LinkConfig, NetStats, SimNetwork};
