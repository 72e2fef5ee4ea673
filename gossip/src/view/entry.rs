//! One member's entry in the view, and how its visible status is derived.

use std::borrow::Borrow;
use std::hash::{Hash, Hasher};
use std::sync::Arc;

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

/// A view key: a member's name, held through the first identity seen with
/// it (one pointer instead of a second string per entry). Hashes and
/// compares as the name, so the map is looked up by `&str`.
#[derive(Clone)]
pub(super) struct NameKey(pub(super) Identity);

impl Hash for NameKey {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.0.name().hash(state);
    }
}

impl PartialEq for NameKey {
    fn eq(&self, other: &Self) -> bool {
        self.0.name() == other.0.name()
    }
}

impl Eq for NameKey {}

impl Borrow<str> for NameKey {
    fn borrow(&self) -> &str {
        self.0.name()
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Liveness {
    /// Known only from a record; foca has not reported it yet.
    Unknown,
    Up,
    Down,
}

/// Kept small (a view holds one per member of the mesh): the times a few
/// entries need live in the view's side tables.
pub(super) struct Entry {
    /// The identity foca last reported for this name.
    pub(super) id: Option<Identity>,
    pub(super) record: Option<Arc<MemberRecord>>,
    /// A hash of the member as last published (status, address,
    /// incarnation, metadata), to tell real changes from no-ops; meaningful
    /// while `shown` is set.
    pub(super) shown_key: u64,
    pub(super) liveness: Liveness,
    /// The status last published to subscribers (None: not visible).
    pub(super) shown: Option<MemberStatus>,
}

impl Entry {
    pub(super) fn new() -> Self {
        Self {
            id: None,
            record: None,
            shown_key: 0,
            liveness: Liveness::Unknown,
            shown: None,
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

    /// The published key, if the member is visible.
    pub(super) fn shown_key(&self) -> Option<u64> {
        self.shown.map(|_| self.shown_key)
    }

    /// What a subscriber can see of this entry, in a form cheap to compare.
    pub(super) fn key(&self, status: MemberStatus) -> Option<u64> {
        let record = self.record.as_ref()?;
        let id = self.id.as_ref().unwrap_or(&record.id);
        let mut h = Fnv::default();
        status.hash(&mut h);
        id.addr().hash(&mut h);
        id.incarnation().hash(&mut h);
        record.meta.hash(&mut h);
        Some(h.finish())
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entries_stay_small() {
        // A view holds one entry per member: with 10,000 members, every
        // 8 bytes here are 800 MB across a simulated mesh.
        assert!(std::mem::size_of::<Entry>() <= 32);
        assert_eq!(std::mem::size_of::<NameKey>(), 8);
    }
}
