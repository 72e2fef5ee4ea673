//! One member's entry in the view, and how its visible status is derived.

use std::hash::{Hash, Hasher};
use std::time::Instant;

use crate::identity::Identity;
use crate::member::{Member, MemberStatus};
use crate::meta::{Intent, MemberRecord};

/// FNV-1a: fast on short member names and the same in every run.
#[derive(Clone, Copy)]
pub(crate) struct Fnv(u64);

impl Default for Fnv {
    fn default() -> Self {
        Self(0xcbf2_9ce4_8422_2325)
    }
}

impl Hasher for Fnv {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        for b in bytes {
            self.0 ^= u64::from(*b);
            self.0 = self.0.wrapping_mul(0x0100_0000_01b3);
        }
    }
}

/// The last published state of a member: status, identity, and a hash of
/// its metadata (cheaper to keep and compare than a copy).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct ShownKey {
    status: MemberStatus,
    addr: std::net::SocketAddr,
    incarnation: u64,
    meta: u64,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Liveness {
    /// Known only from a record; foca has not reported it yet.
    Unknown,
    Up,
    Down,
}

pub(super) struct Entry {
    /// The identity foca last reported for this name.
    pub(super) id: Option<Identity>,
    pub(super) liveness: Liveness,
    pub(super) record: Option<MemberRecord>,
    /// The status last published to subscribers (None: not visible).
    pub(super) shown: Option<MemberStatus>,
    /// The member as last published, to tell real changes from no-ops.
    pub(super) shown_key: Option<ShownKey>,
    /// When `shown` last changed.
    pub(super) since: Instant,
    /// When we last asked the member for its record.
    pub(super) pulled_at: Option<Instant>,
}

impl Entry {
    pub(super) fn new(now: Instant) -> Self {
        Self {
            id: None,
            liveness: Liveness::Unknown,
            record: None,
            shown: None,
            shown_key: None,
            since: now,
            pulled_at: None,
        }
    }

    /// Up, but we hold no record for its current incarnation.
    pub(super) fn needs_record(&self) -> bool {
        let Some(id) = &self.id else { return false };
        self.liveness == Liveness::Up
            && self
                .record
                .as_ref()
                .is_none_or(|r| r.id.incarnation() < id.incarnation())
    }

    pub(super) fn derive(&self) -> Option<MemberStatus> {
        let record = self.record.as_ref()?;
        let id = self.id.as_ref()?;
        let intent = if record.id.incarnation() == id.incarnation() {
            record.intent
        } else {
            Intent::Alive
        };
        match (self.liveness, intent) {
            (Liveness::Unknown, _) | (Liveness::Down, Intent::Prune) => None,
            (Liveness::Up, Intent::Alive) => Some(MemberStatus::Alive),
            (Liveness::Up, _) => Some(MemberStatus::Leaving),
            (Liveness::Down, Intent::Alive) => Some(MemberStatus::Failed),
            (Liveness::Down, Intent::Leave) => Some(MemberStatus::Left),
        }
    }

    /// What a subscriber can see of this entry, in a form cheap to compare.
    pub(super) fn key(&self, status: MemberStatus) -> Option<ShownKey> {
        let record = self.record.as_ref()?;
        let id = self.id.as_ref().unwrap_or(&record.id);
        Some(ShownKey {
            status,
            addr: id.addr(),
            incarnation: id.incarnation(),
            meta: {
                let mut h = Fnv::default();
                record.meta.hash(&mut h);
                h.finish()
            },
        })
    }

    pub(super) fn to_member(&self, status: MemberStatus) -> Option<Member> {
        let record = self.record.as_ref()?;
        let id = self.id.as_ref().unwrap_or(&record.id);
        Some(Member {
            name: record.meta.name.clone(),
            addr: id.addr(),
            incarnation: id.incarnation(),
            status,
            meta: record.meta.clone(),
        })
    }
}
