//! Deterministic test doubles: a simulated network and a cluster harness on a
//! virtual clock (feature `testing`), and an in-memory `Transport`.

mod cluster;
mod network;

pub use cluster::{Observer, SimCluster, SimNode};
pub use network::{Delivery, LinkConfig, NetStats, SimNetwork};

/// Makes the cores on this thread share one copy of every distinct decoded
/// identity and record (a simulator's thousands of members otherwise hold
/// n² copies of the same values); `false` stops sharing and frees the
/// tables. Values are immutable, so results do not change.
pub fn share_decoded(on: bool) {
    crate::intern::set_sharing(on);
}
