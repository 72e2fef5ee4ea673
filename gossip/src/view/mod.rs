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

mod entry;
mod pulls;

use std::collections::{HashMap, HashSet};
use std::hash::BuildHasherDefault;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use self::entry::{Entry, Fnv, Liveness, NameKey};
use crate::identity::Identity;
use crate::member::{Member, MemberEvent, MemberEventKind, MemberStatus};
use crate::meta::MemberRecord;

type FnvBuild = BuildHasherDefault<Fnv>;
type NameSet = HashSet<NameKey, FnvBuild>;
type NameTimes = HashMap<NameKey, Instant, FnvBuild>;

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
    entries: HashMap<NameKey, Entry, FnvBuild>,
    events: Vec<MemberEvent>,
    /// Members shown failed or left (what `reap` looks at), with when their
    /// status last changed.
    departed: NameTimes,
    /// When we last asked a member for its record; entries older than the
    /// pull interval mean nothing and are dropped by `due_pulls`.
    pulled: NameTimes,
    /// Up members whose record we lack (what `due_pulls` looks at).
    needs_record: NameSet,
    /// Highest version of a foreign record about us awaiting a refute.
    refute: Option<u64>,
    now: Instant,
}

impl View {
    /// A view holding only the local member (alive, with its first record).
    pub(crate) fn new(local: MemberRecord, now: Instant) -> Self {
        let name = local.id.name_arc().clone();
        let key = NameKey(local.id.clone());
        let mut entry = Entry::new();
        entry.id = Some(local.id.clone());
        entry.liveness = Liveness::Up;
        entry.record = Some(Arc::new(local));
        entry.shown = entry.derive();
        entry.shown_key = entry.shown.and_then(|s| entry.key(s)).unwrap_or(0);
        let mut entries = HashMap::default();
        entries.insert(key, entry);
        Self {
            local: name,
            entries,
            events: Vec::new(),
            departed: NameTimes::default(),
            pulled: NameTimes::default(),
            needs_record: NameSet::default(),
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
        self.entries.get(name)?.record.as_deref()
    }

    fn entry(&mut self, id: &Identity) -> &mut Entry {
        // Look up first: `HashMap::entry` would want an owned key every time.
        if !self.entries.contains_key(id.name()) {
            self.entries.insert(NameKey(id.clone()), Entry::new());
        }
        self.entries
            .get_mut(id.name())
            .expect("entry inserted just above")
    }

    /// Drops a member's entry and everything kept about it.
    fn remove(&mut self, name: &str) -> Option<Entry> {
        self.departed.remove(name);
        self.needs_record.remove(name);
        self.pulled.remove(name);
        self.entries.remove(name)
    }

    /// foca: `id` is active.
    pub(crate) fn member_up(&mut self, id: &Identity) {
        let entry = self.entry(id);
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
    pub(crate) fn apply_record(
        &mut self,
        record: Arc<MemberRecord>,
        from_self: bool,
    ) -> RecordOutcome {
        let name = record.id.name_arc().clone();
        let is_local = name == self.local;
        let entry = self.entry(&record.id);
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
        if let Some(entry) = self.entries.get_mut(&*local) {
            entry.liveness = Liveness::Down;
        }
        self.refresh(&local);
    }

    /// The local identity was renewed by foca.
    pub(crate) fn local_renamed(&mut self, id: &Identity) {
        let local = self.local.clone();
        if let Some(entry) = self.entries.get_mut(&*local) {
            entry.id = Some(id.clone());
        }
    }

    /// Drops members failed or left for longer than the given periods.
    pub(crate) fn reap(&mut self, failed_after: Duration, left_after: Duration) {
        let now = self.now;
        let expired: Vec<NameKey> = self
            .departed
            .iter()
            .filter(|(name, _)| name.0.name() != &*self.local)
            .filter(|(name, since)| {
                self.entries.get(*name).is_some_and(|e| {
                    let age = now.saturating_duration_since(**since);
                    match e.shown {
                        Some(MemberStatus::Failed) => age >= failed_after,
                        Some(MemberStatus::Left) => age >= left_after,
                        _ => false,
                    }
                })
            })
            .map(|(name, _)| name.clone())
            .collect();
        for name in expired {
            if let Some(entry) = self.remove(name.0.name())
                && let Some(member) = entry.shown.and_then(|s| entry.to_member(s))
            {
                self.events.push(MemberEvent {
                    kind: MemberEventKind::Reaped,
                    member,
                });
            }
        }
    }

    /// Recomputes a member's status after a change, emits the event, and
    /// keeps the `departed` / `needs_record` indexes current.
    fn refresh(&mut self, name: &Arc<str>) {
        let status_changed = self.refresh_status(name);
        let Some((key, e)) = self.entries.get_key_value(&**name) else {
            return; // reaped (refresh_status dropped everything)
        };
        let departed = matches!(e.shown, Some(MemberStatus::Failed | MemberStatus::Left));
        let needs_record = *name != self.local && e.needs_record();
        if departed {
            // The time departed members are reaped by: when the status
            // last changed.
            if status_changed || !self.departed.contains_key(&**name) {
                self.departed.insert(key.clone(), self.now);
            }
        } else {
            self.departed.remove(&**name);
        }
        if needs_record {
            if !self.needs_record.contains(&**name) {
                self.needs_record.insert(key.clone());
            }
        } else {
            self.needs_record.remove(&**name);
        }
    }

    /// Returns whether the shown status changed.
    fn refresh_status(&mut self, name: &Arc<str>) -> bool {
        let Some(entry) = self.entries.get_mut(&**name) else {
            return false;
        };
        let before = entry.shown;
        let after = entry.derive();
        let after_key = after.and_then(|s| entry.key(s));
        if after_key == entry.shown_key() {
            return false; // nothing a subscriber could see changed
        }
        entry.shown_key = after_key.unwrap_or(0);
        entry.shown = after;
        let kind = match (before, after) {
            (None, None) => return false,
            (None, Some(MemberStatus::Alive | MemberStatus::Leaving)) => MemberEventKind::Joined,
            (_, Some(MemberStatus::Failed)) if before != after => MemberEventKind::Failed,
            (_, Some(MemberStatus::Left)) if before != after => MemberEventKind::Left,
            (Some(_), None) => MemberEventKind::Reaped,
            (Some(MemberStatus::Failed | MemberStatus::Left), Some(MemberStatus::Alive)) => {
                MemberEventKind::Joined
            }
            (Some(_), Some(_)) | (None, Some(_)) => MemberEventKind::Updated,
        };
        let Some(member) = after.or(before).and_then(|s| entry.to_member(s)) else {
            return before != after;
        };
        if kind == MemberEventKind::Reaped {
            self.remove(name);
        }
        if name == &self.local && kind == MemberEventKind::Joined {
            return before != after; // we do not announce ourselves to ourselves
        }
        self.events.push(MemberEvent { kind, member });
        before != after
    }
}
