//! The local membership view: foca's liveness facts merged with the newest
//! `MemberRecord` of every member, and the events that fall out of changes.
//!
//! Shared (behind a mutex) between the core, which feeds it foca's
//! notifications, and the broadcast handler foca owns, which feeds it
//! records. Both run on the same task, so the lock is never contended.
//!
//! Status of a visible member (needs a record and foca's word):
//!
//! ```text
//!              foca up              foca down
//! intent Alive  alive  ----------->  failed
//! intent Leave  leaving ---------->  left
//! intent Prune  leaving ---------->  (removed: Reaped)
//! ```
//! An intent counts only for the incarnation that published it, so a
//! restarted member is alive again whatever its previous life said.

use std::collections::HashMap;
use std::collections::hash_map::DefaultHasher;
use std::hash::BuildHasherDefault;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use crate::identity::Identity;
use crate::member::{Member, MemberEvent, MemberEventKind, MemberStatus};
use crate::meta::{Intent, MemberRecord};

/// The view, shared between the core and the broadcast handler.
#[derive(Clone)]
pub(crate) struct SharedView(Arc<Mutex<View>>);

impl SharedView {
    pub(crate) fn new(view: View) -> Self {
        Self(Arc::new(Mutex::new(view)))
    }

    /// Locks the view. A poisoned lock only means an earlier panic; the data
    /// is still a valid view, so keep going rather than panic again.
    pub(crate) fn lock(&self) -> MutexGuard<'_, View> {
        self.0
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Liveness {
    /// Known only from a record; foca has not reported it yet.
    Unknown,
    Up,
    Down,
}

struct Entry {
    /// The identity foca last reported for this name.
    id: Option<Identity>,
    liveness: Liveness,
    record: Option<MemberRecord>,
    /// The status last published to subscribers (None: not visible).
    shown: Option<MemberStatus>,
    /// The member as last published, to tell real changes from no-ops.
    shown_member: Option<Member>,
    /// When `shown` last changed.
    since: Instant,
    /// When we last asked the member for its record.
    pulled_at: Option<Instant>,
}

impl Entry {
    fn new(now: Instant) -> Self {
        Self {
            id: None,
            liveness: Liveness::Unknown,
            record: None,
            shown: None,
            shown_member: None,
            since: now,
            pulled_at: None,
        }
    }

    fn derive(&self) -> Option<MemberStatus> {
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

    fn to_member(&self, status: MemberStatus) -> Option<Member> {
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

/// What a record did to the view.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum RecordOutcome {
    /// Newer than what we had: stored (and worth spreading further).
    Applied,
    /// Not newer: ignored.
    Stale,
    /// Someone else says something newer about us (a force-leave): the core
    /// must publish a record with a version above `version` to refute it.
    Refute { version: u64 },
}

pub(crate) struct View {
    local: Arc<str>,
    /// A fixed hasher keeps iteration order (and so simulations) reproducible.
    entries: HashMap<Arc<str>, Entry, BuildHasherDefault<DefaultHasher>>,
    events: Vec<MemberEvent>,
    /// Highest version of a foreign record about us awaiting a refute.
    refute: Option<u64>,
    now: Instant,
}

impl View {
    /// A view holding only the local member (alive, with its first record).
    pub(crate) fn new(local: MemberRecord, now: Instant) -> Self {
        let name = local.id.name_arc().clone();
        let mut entry = Entry::new(now);
        entry.id = Some(local.id.clone());
        entry.liveness = Liveness::Up;
        entry.record = Some(local);
        entry.shown = entry.derive();
        entry.shown_member = entry.shown.and_then(|s| entry.to_member(s));
        let mut entries = HashMap::default();
        entries.insert(name.clone(), entry);
        Self {
            local: name,
            entries,
            events: Vec::new(),
            refute: None,
            now,
        }
    }

    pub(crate) fn set_now(&mut self, now: Instant) {
        self.now = now;
    }

    pub(crate) fn take_events(&mut self) -> Vec<MemberEvent> {
        std::mem::take(&mut self.events)
    }

    pub(crate) fn request_refute(&mut self, version: u64) {
        self.refute = Some(self.refute.map_or(version, |v| v.max(version)));
    }

    pub(crate) fn take_refute(&mut self) -> Option<u64> {
        self.refute.take()
    }

    /// Visible members, sorted by name.
    pub(crate) fn members(&self) -> Vec<Member> {
        let mut members: Vec<Member> = self
            .entries
            .values()
            .filter_map(|e| e.shown.and_then(|s| e.to_member(s)))
            .collect();
        members.sort_by(|a, b| a.name.cmp(&b.name));
        members
    }

    /// How many members are shown alive (cheap: no cloning).
    pub(crate) fn alive_count(&self) -> usize {
        self.entries
            .values()
            .filter(|e| e.shown == Some(MemberStatus::Alive))
            .count()
    }

    pub(crate) fn member(&self, name: &str) -> Option<Member> {
        let e = self.entries.get(name)?;
        e.shown.and_then(|s| e.to_member(s))
    }

    pub(crate) fn record(&self, name: &str) -> Option<&MemberRecord> {
        self.entries.get(name)?.record.as_ref()
    }

    fn entry(&mut self, name: &Arc<str>) -> &mut Entry {
        let now = self.now;
        self.entries
            .entry(name.clone())
            .or_insert_with(|| Entry::new(now))
    }

    /// foca: `id` is active.
    pub(crate) fn member_up(&mut self, id: &Identity) {
        let entry = self.entry(id.name_arc());
        let stale = match &entry.id {
            Some(old) => old != id && entry.liveness == Liveness::Up && old.is_newer_than(id),
            None => false,
        };
        if stale {
            return;
        }
        entry.id = Some(id.clone());
        entry.liveness = Liveness::Up;
        self.refresh(id.name_arc());
    }

    /// foca: `id` was declared down (failed, or left).
    pub(crate) fn member_down(&mut self, id: &Identity) {
        let Some(entry) = self.entries.get_mut(id.name()) else {
            return;
        };
        if entry.id.as_ref() != Some(id) {
            return; // about an identity this name no longer has
        }
        entry.liveness = Liveness::Down;
        self.refresh(id.name_arc());
    }

    /// foca: `new` replaced `old` at the same address.
    pub(crate) fn rename(&mut self, old: &Identity, new: &Identity) {
        let was_up = self
            .entries
            .get(old.name())
            .is_some_and(|e| e.id.as_ref() == Some(old) && e.liveness == Liveness::Up);
        if old.name() != new.name() {
            self.member_down(old);
        }
        if was_up {
            self.member_up(new);
        } else if let Some(entry) = self.entries.get_mut(new.name()) {
            if entry.id.as_ref().is_none_or(|cur| new.is_newer_than(cur)) {
                entry.id = Some(new.clone());
            }
            self.refresh(new.name_arc());
        }
    }

    /// Applies a record (from a broadcast, a push, or ourselves).
    pub(crate) fn apply_record(&mut self, record: MemberRecord, from_self: bool) -> RecordOutcome {
        let name = record.id.name_arc().clone();
        let is_local = name == self.local;
        let entry = self.entry(&name);
        if let Some(current) = &entry.record {
            // We may re-publish our own current record (same order) to spread it.
            let newer =
                record.supersedes(current) || (from_self && record.order() == current.order());
            if !newer {
                return RecordOutcome::Stale;
            }
        }
        if is_local && !from_self {
            // Only we speak for ourselves; a newer word about us is a
            // force-leave (or an echo of a past life) to refute.
            return RecordOutcome::Refute {
                version: record.version,
            };
        }
        entry.record = Some(record);
        self.refresh(&name);
        RecordOutcome::Applied
    }

    /// The local member finished leaving: it is down to itself too.
    pub(crate) fn local_down(&mut self) {
        let local = self.local.clone();
        if let Some(entry) = self.entries.get_mut(&local) {
            entry.liveness = Liveness::Down;
        }
        self.refresh(&local);
    }

    /// The local identity was renewed by foca.
    pub(crate) fn local_renamed(&mut self, id: &Identity) {
        let local = self.local.clone();
        if let Some(entry) = self.entries.get_mut(&local) {
            entry.id = Some(id.clone());
        }
    }

    /// Should we ask `id` for its record? True when we have none for its
    /// incarnation, or it advertises a newer version than ours, and we did not
    /// ask in the last `interval`. Marks the ask.
    pub(crate) fn want_record(
        &mut self,
        id: &Identity,
        advertised: Option<u64>,
        interval: Duration,
    ) -> bool {
        if id.name_arc() == &self.local || id.name().is_empty() {
            return false;
        }
        let now = self.now;
        let entry = self.entry(id.name_arc());
        let missing = match &entry.record {
            None => true,
            Some(r) => {
                r.id.incarnation() < id.incarnation()
                    || (r.id.incarnation() == id.incarnation()
                        && advertised.is_some_and(|v| v > r.version))
            }
        };
        let recently = entry
            .pulled_at
            .is_some_and(|t| now.saturating_duration_since(t) < interval);
        if missing && !recently {
            entry.pulled_at = Some(now);
            true
        } else {
            false
        }
    }

    /// True if foca already reported exactly `id` as up (sync skips those).
    pub(crate) fn knows_up(&self, id: &Identity) -> bool {
        self.entries
            .get(id.name())
            .is_some_and(|e| e.liveness == Liveness::Up && e.id.as_ref() == Some(id))
    }

    /// Up members whose record we still lack (for periodic re-asks).
    pub(crate) fn missing_records(&self) -> Vec<Identity> {
        self.entries
            .values()
            .filter(|e| e.liveness == Liveness::Up)
            .filter_map(|e| e.id.clone())
            .collect()
    }

    /// Drops members failed or left for longer than the given periods.
    pub(crate) fn reap(&mut self, failed_after: Duration, left_after: Duration) {
        let now = self.now;
        let expired: Vec<Arc<str>> = self
            .entries
            .iter()
            .filter(|(name, _)| **name != self.local)
            .filter(|(_, e)| {
                let age = now.saturating_duration_since(e.since);
                match e.shown {
                    Some(MemberStatus::Failed) => age >= failed_after,
                    Some(MemberStatus::Left) => age >= left_after,
                    _ => false,
                }
            })
            .map(|(name, _)| name.clone())
            .collect();
        for name in expired {
            if let Some(entry) = self.entries.remove(&name)
                && let Some(member) = entry.shown.and_then(|s| entry.to_member(s))
            {
                self.events.push(MemberEvent {
                    kind: MemberEventKind::Reaped,
                    member,
                });
            }
        }
    }

    /// Recomputes a member's status after a change and emits the event.
    fn refresh(&mut self, name: &Arc<str>) {
        let now = self.now;
        let Some(entry) = self.entries.get_mut(name) else {
            return;
        };
        let before = entry.shown;
        let after = entry.derive();
        let after_member = after.and_then(|s| entry.to_member(s));
        if after_member == entry.shown_member {
            return; // nothing a subscriber could see changed
        }
        let previous = std::mem::replace(&mut entry.shown_member, after_member.clone());
        entry.shown = after;
        if before != after {
            entry.since = now;
        }
        let kind = match (before, after) {
            (None, None) => return,
            (None, Some(MemberStatus::Alive | MemberStatus::Leaving)) => MemberEventKind::Joined,
            (_, Some(MemberStatus::Failed)) if before != after => MemberEventKind::Failed,
            (_, Some(MemberStatus::Left)) if before != after => MemberEventKind::Left,
            (Some(_), None) => MemberEventKind::Reaped,
            (Some(MemberStatus::Failed | MemberStatus::Left), Some(MemberStatus::Alive)) => {
                MemberEventKind::Joined
            }
            (Some(_), Some(_)) | (None, Some(_)) => MemberEventKind::Updated,
        };
        let Some(member) = after_member.or(previous) else {
            return;
        };
        if kind == MemberEventKind::Reaped {
            self.entries.remove(name);
        }
        if name == &self.local && kind == MemberEventKind::Joined {
            return; // we do not announce ourselves to ourselves
        }
        self.events.push(MemberEvent { kind, member });
    }
}
