//! Tuning of the membership core: timing profile, packet size, and how long
//! departed members stay listed.

use std::num::{NonZeroU8, NonZeroU32, NonZeroUsize};
use std::time::Duration;

/// Largest datagram the mesh sends: fits quinn's 1162-byte datagram payload
/// on a 1200-byte path with room to spare.
pub const MAX_DATAGRAM: usize = 1150;

/// SWIM timing.
#[derive(Clone, Debug)]
pub enum Profile {
    /// foca's LAN timing (1 s probes, suspicion 4·log10(n) s).
    Lan,
    /// foca's WAN timing (5 s probes, suspicion 6·log10(n)·5 s); what Nomad
    /// uses for its server pool.
    Wan,
    /// A fixed foca config (tests on loopback want sub-second timing). Only
    /// `max_packet_size` is overridden.
    Custom(Box<foca::Config>),
}

/// Configuration of a `MeshCore`.
#[derive(Clone, Debug)]
pub struct MeshConfig {
    pub profile: Profile,
    /// Upper bound on every datagram, envelope included (at most 1150).
    pub max_datagram: usize,
    /// How long a leaving member spreads its intent before going quiet.
    pub leave_propagate_delay: Duration,
    /// Failed members are dropped from the list after this long (Nomad's
    /// serf reconnect timeout: 24 h).
    pub reap_failed_after: Duration,
    /// Left members are dropped after this long (serf tombstone timeout: 24 h).
    pub reap_left_after: Duration,
    /// How often the core reaps and re-asks for missing metadata
    /// (default: the probe period).
    pub housekeeping_interval: Duration,
    /// Least time between two metadata pulls from the same member.
    pub pull_interval: Duration,
    /// How often to copy the alive member list from one member (round
    /// robin), like memberlist's push-pull; `None` syncs only on join.
    pub sync_interval: Option<Duration>,
}

impl MeshConfig {
    /// LAN timing (simulations, single-datacenter meshes).
    pub fn lan() -> Self {
        Self::with_profile(Profile::Lan, Duration::from_secs(1))
    }

    /// WAN timing, as Nomad's server gossip.
    pub fn wan() -> Self {
        let mut cfg = Self::with_profile(Profile::Wan, Duration::from_secs(5));
        cfg.sync_interval = Some(Duration::from_secs(60));
        cfg
    }

    /// Fast timing for tests on loopback: 100 ms probes, 1 s suspicion.
    pub fn fast() -> Self {
        let mut foca = foca::Config::new_lan(NonZeroU32::MIN);
        foca.probe_period = Duration::from_millis(100);
        foca.probe_rtt = Duration::from_millis(60);
        foca.suspect_to_down_after = Duration::from_millis(1000);
        foca.max_transmissions = NonZeroU8::new(6).unwrap_or(NonZeroU8::MIN);
        if let Some(p) = foca.periodic_gossip.as_mut() {
            p.frequency = Duration::from_millis(50);
        }
        if let Some(p) = foca.periodic_announce.as_mut() {
            p.frequency = Duration::from_secs(2);
        }
        if let Some(p) = foca.periodic_announce_to_down_members.as_mut() {
            p.frequency = Duration::from_secs(2);
        }
        let mut cfg =
            Self::with_profile(Profile::Custom(Box::new(foca)), Duration::from_millis(100));
        cfg.leave_propagate_delay = Duration::from_millis(300);
        cfg.housekeeping_interval = Duration::from_millis(500);
        cfg.sync_interval = Some(Duration::from_secs(2));
        cfg
    }

    fn with_profile(profile: Profile, probe: Duration) -> Self {
        Self {
            profile,
            max_datagram: MAX_DATAGRAM,
            leave_propagate_delay: probe,
            reap_failed_after: Duration::from_secs(24 * 3600),
            reap_left_after: Duration::from_secs(24 * 3600),
            // Cheap (it only visits departed members and those whose
            // metadata is missing), so run it every probe period: a lost
            // metadata pull is retried within a couple of periods.
            housekeeping_interval: probe,
            pull_interval: probe * 2,
            sync_interval: Some(probe * 30),
        }
    }

    /// foca's config for a mesh of `members` members.
    pub(crate) fn foca_config(&self, members: usize) -> foca::Config {
        let n =
            NonZeroU32::new(u32::try_from(members).unwrap_or(u32::MAX)).unwrap_or(NonZeroU32::MIN);
        let mut cfg = match &self.profile {
            Profile::Lan => foca::Config::new_lan(n),
            Profile::Wan => foca::Config::new_wan(n),
            Profile::Custom(c) => (**c).clone(),
        };
        if !matches!(self.profile, Profile::Custom(_)) {
            // memberlist's retransmit limit, 4·ceil(log10(n+1)): unlike foca's
            // floor() it never drops to 1-2 in a forming mesh (when every
            // join must reach members that joined a moment ago), and it
            // spreads refutations of false suspicions further under loss.
            let tx = 4.0 * (f64::from(n.get()) + 1.0).log10().ceil();
            let tx = u8::try_from(tx as u64).unwrap_or(u8::MAX);
            cfg.max_transmissions = NonZeroU8::new(tx.max(4)).unwrap_or(NonZeroU8::MIN);
            // Our own member-list sync (`sync_interval`, scaled with the mesh
            // size) replaces foca's periodic announce to active members, which
            // would send a full Feed every 30-60 s regardless of size.
            cfg.periodic_announce = None;
        }
        let packet = self
            .max_datagram
            .min(MAX_DATAGRAM)
            .saturating_sub(crate::wire::SWIM_OVERHEAD);
        cfg.max_packet_size = NonZeroUsize::new(packet).unwrap_or(NonZeroUsize::MIN);
        cfg
    }

    /// The largest encoded record we let a member publish: half a packet, so
    /// it always fits next to foca's header and a few updates.
    pub(crate) fn max_record(&self) -> usize {
        self.max_datagram.min(MAX_DATAGRAM) / 2
    }
}

impl Default for MeshConfig {
    fn default() -> Self {
        Self::wan()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn packets_leave_room_for_the_envelope() {
        let cfg = MeshConfig::lan().foca_config(100);
        assert_eq!(
            cfg.max_packet_size.get(),
            MAX_DATAGRAM - crate::wire::SWIM_OVERHEAD
        );
        let mut big = MeshConfig::lan();
        big.max_datagram = 9000;
        assert_eq!(
            big.foca_config(3).max_packet_size.get(),
            MAX_DATAGRAM - crate::wire::SWIM_OVERHEAD
        );
    }

    #[test]
    fn lan_scales_with_members() {
        let small = MeshConfig::lan().foca_config(3);
        let large = MeshConfig::lan().foca_config(1000);
        assert!(large.suspect_to_down_after > small.suspect_to_down_after);
        assert!(large.max_transmissions > small.max_transmissions);
        assert_eq!(MeshConfig::lan().foca_config(1).max_transmissions.get(), 4);
        assert_eq!(large.max_transmissions.get(), 16);
        assert!(large.periodic_announce.is_none());
        assert!(large.periodic_announce_to_down_members.is_some());
    }
}
