//! Asking members for their records: when a record is worth pulling, and
//! which members' records are still missing.

use std::net::SocketAddr;
use std::time::Duration;

use super::View;
use super::entry::{Liveness, NameKey};
use crate::identity::Identity;

impl View {
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
        let entry = self.entry(id);
        let missing = match &entry.record {
            None => true,
            Some(r) => {
                r.id.incarnation() < id.incarnation()
                    || (r.id.incarnation() == id.incarnation()
                        && advertised.is_some_and(|v| v > r.version))
            }
        };
        let recently = self
            .pulled
            .get(id.name())
            .is_some_and(|t| now.saturating_duration_since(*t) < interval);
        if missing && !recently {
            self.pulled.insert(NameKey(id.clone()), now);
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

    /// Addresses of up members whose record we still lack and did not ask
    /// for in the last `interval`; marks them asked.
    pub(crate) fn due_pulls(&mut self, interval: Duration) -> Vec<SocketAddr> {
        let now = self.now;
        self.pulled
            .retain(|_, t| now.saturating_duration_since(*t) < interval);
        let mut due = Vec::new();
        for name in &self.needs_record {
            let Some(e) = self.entries.get(name) else {
                continue;
            };
            if let Some(id) = &e.id
                && !self.pulled.contains_key(name)
            {
                self.pulled.insert(name.clone(), now);
                due.push(id.addr());
            }
        }
        due
    }
}
