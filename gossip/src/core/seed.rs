//! Simulator shortcut (feature `testing`): a core that starts as if the mesh
//! had already converged.

use std::sync::Arc;
use std::time::Instant;

use super::{Effects, MeshCore};
use crate::meta::MemberRecord;

impl MeshCore {
    /// Simulator shortcut to a converged mesh: learns `records` (every
    /// member's current record; our own is skipped) as if the mesh had
    /// already told us, with every member alive in foca. Nothing is sent:
    /// from here on the members talk through the real protocol, which is
    /// what a simulation measures.
    pub fn seed_converged(&mut self, records: &[Arc<MemberRecord>], now: Instant) -> Effects {
        self.begin(now);
        let own = self.record.id.addr();
        let peers = || records.iter().filter(move |r| r.id.addr() != own);
        {
            // Records first, so foca's "member up" finds them and no pull
            // is sent.
            let mut view = self.view.lock();
            for r in peers() {
                view.apply_record(r.clone(), false);
            }
        }
        let members = peers().map(|r| foca::Member::alive(r.id.clone()));
        // Not broadcast: everyone is told the same.
        if let Err(e) = self.foca.apply_many(members, false, &mut self.rt) {
            tracing::warn!(error = %e, "seed");
        }
        let effects = self.finish();
        // `finish` drained the n "member up" notifications, but foca's
        // queues keep the room they grew to (n entries, 32 bytes each:
        // 3.2 GB over a 10,000-member mesh). The real protocol never
        // queues that many at once, so start again from empty ones.
        self.rt = foca::AccumulatingRuntime::new();
        effects
    }
}
