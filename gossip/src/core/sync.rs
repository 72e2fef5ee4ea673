//! The core's anti-entropy: asking members for their records (pull/push),
//! copying the alive member list (sync), and periodic housekeeping (reaping,
//! re-asking for missing metadata).

use std::net::SocketAddr;

use super::{CoreTimer, MeshCore, Phase};
use crate::identity::Identity;
use crate::wire;

impl MeshCore {
    pub(super) fn housekeeping(&mut self) {
        let stale = {
            let mut view = self.view.lock();
            view.reap(self.config.reap_failed_after, self.config.reap_left_after);
            view.due_pulls(self.config.pull_interval)
        };
        for addr in stale {
            self.send_pull(addr);
        }
        self.rejoin_if_alone();
        if self.phase != Phase::Left {
            self.out
                .timers
                .push((self.config.housekeeping_interval, CoreTimer::Housekeeping));
        }
    }

    /// A member that knows nobody although it was told where to join (every
    /// packet of its join lost, or everyone it knew gone) announces itself to
    /// those addresses again; foca's own periodic announce is off (see
    /// `MeshConfig::foca_config`) and the periodic sync needs a member to ask.
    fn rejoin_if_alone(&mut self) {
        if self.phase != Phase::Running || self.foca.num_members() > 0 {
            return;
        }
        for addr in self.join_seeds.clone() {
            if let Err(e) = self
                .foca
                .announce(Identity::placeholder(addr), &mut self.rt)
            {
                tracing::debug!(%addr, error = %e, "re-announce");
            }
            self.send_sync_request(addr);
        }
    }

    pub(super) fn periodic_sync(&mut self) {
        if self.phase == Phase::Left {
            return;
        }
        let Some(every) = self.config.sync_interval else {
            return;
        };
        let n = self.foca.num_members();
        if n > 0 {
            let pick = self.sync_cursor % n;
            self.sync_cursor = self.sync_cursor.wrapping_add(1);
            let addr = self.foca.iter_members().nth(pick).map(|m| m.id().addr());
            if let Some(addr) = addr {
                self.send_sync_request(addr);
            }
        }
        self.out
            .timers
            .push((every * sync_scale(n + 1), CoreTimer::Sync));
    }

    pub(super) fn send_sync_request(&mut self, to: SocketAddr) {
        match wire::sync_request(self.foca.identity(), self.alive_digest()) {
            Ok(bytes) => {
                self.stats.syncs_sent += 1;
                self.push_datagram(to, bytes);
            }
            Err(e) => tracing::warn!(error = %e, "encode sync request"),
        }
    }

    /// Digest of the alive members we know, ourselves included (see
    /// `wire::alive_digest`).
    fn alive_digest(&self) -> u64 {
        let alive = self
            .foca
            .iter_members()
            .filter(|m| m.state() == foca::State::Alive)
            .map(|m| m.id());
        wire::alive_digest(alive.chain(std::iter::once(self.foca.identity())))
    }

    /// Answers a sync request with our alive members (not ourselves: the
    /// asker learns us from the SWIM traffic itself), unless the asker's
    /// digest says it knows them all already.
    pub(super) fn send_sync(&mut self, to: SocketAddr, digest: u64) {
        if self.phase != Phase::Running {
            return;
        }
        if digest == self.alive_digest() {
            self.stats.syncs_skipped += 1;
            return;
        }
        let alive: Vec<_> = self
            .foca
            .iter_members()
            .filter(|m| m.state() == foca::State::Alive)
            .cloned()
            .collect();
        if alive.is_empty() {
            return;
        }
        match wire::sync_chunks(self.foca.identity(), &alive, self.max_datagram()) {
            Ok(chunks) => {
                for bytes in chunks {
                    self.push_datagram(to, bytes);
                }
            }
            Err(e) => tracing::warn!(error = %e, "encode sync"),
        }
    }

    pub(super) fn apply_sync(&mut self, members: Vec<foca::Member<Identity>>) {
        if self.phase == Phase::Left {
            return;
        }
        let own = self.foca.identity().addr();
        let alive: Vec<_> = {
            // Only news goes to foca: applying a known member costs a scan of
            // its member list.
            let view = self.view.lock();
            members
                .into_iter()
                .filter(|m| m.state() == foca::State::Alive && m.id().addr() != own)
                .filter(|m| !view.knows_up(m.id()))
                .collect()
        };
        if alive.is_empty() {
            return;
        }
        let alive = alive.into_iter();
        // Not re-broadcast: the mesh already knows these members.
        if let Err(e) = self.foca.apply_many(alive, false, &mut self.rt) {
            tracing::debug!(error = %e, "apply sync");
        }
    }

    pub(super) fn send_pull(&mut self, to: SocketAddr) {
        match wire::pull(self.foca.identity()) {
            Ok(bytes) => {
                self.stats.pulls_sent += 1;
                self.push_datagram(to, bytes);
            }
            Err(e) => tracing::warn!(error = %e, "encode pull"),
        }
    }

    pub(super) fn send_push(&mut self, to: SocketAddr) {
        match wire::push(&self.record) {
            Ok(bytes) => {
                self.stats.pushes_sent += 1;
                self.push_datagram(to, bytes);
            }
            Err(e) => tracing::warn!(error = %e, "encode push"),
        }
    }
}

/// memberlist's push-pull scaling: big meshes sync less often (1x up to 32
/// members, then one more interval per doubling).
fn sync_scale(members: usize) -> u32 {
    if members <= 32 {
        return 1;
    }
    let doublings = (members as f64 / 32.0).log2().ceil();
    u32::try_from(doublings as u64)
        .unwrap_or(u32::MAX)
        .saturating_add(1)
}

#[cfg(test)]
mod tests {
    use super::sync_scale;

    #[test]
    fn sync_slows_down_as_the_mesh_grows() {
        assert_eq!(sync_scale(1), 1);
        assert_eq!(sync_scale(32), 1);
        assert_eq!(sync_scale(33), 2);
        assert_eq!(sync_scale(64), 2);
        assert_eq!(sync_scale(1000), 6);
    }
}
