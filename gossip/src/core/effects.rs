//! What the core asks its driver to do after each input, and its counters.

use std::net::SocketAddr;
use std::time::Duration;

use bytes::Bytes;

use crate::identity::Identity;
use crate::member::MemberEvent;

/// A timer the driver must hand back to `MeshCore::handle_timer` after its
/// delay. Every timer must be delivered (foca relies on it).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CoreTimer {
    /// foca's own protocol timers.
    Swim(foca::Timer<Identity>),
    /// The leave intent had time to spread: go quiet now.
    FinishLeave,
    /// Reap departed members, re-ask for missing metadata, resize.
    Housekeeping,
    /// Copy the member list from the next member.
    Sync,
    /// Copy the member list again from the member we joined through: in a
    /// mesh that is forming, it knows much more a moment after our join.
    JoinSync(std::net::SocketAddr),
}

/// Side effects of one input, to carry out in order.
#[derive(Debug, Default)]
pub struct Effects {
    /// Datagrams to send (each already at most the configured size).
    pub datagrams: Vec<(SocketAddr, Bytes)>,
    /// Timers to set.
    pub timers: Vec<(Duration, CoreTimer)>,
    /// Membership changes to publish.
    pub events: Vec<MemberEvent>,
}

impl Effects {
    pub fn is_empty(&self) -> bool {
        self.datagrams.is_empty() && self.timers.is_empty() && self.events.is_empty()
    }

    /// Appends another batch (used by drivers that batch inputs).
    pub fn extend(&mut self, other: Effects) {
        self.datagrams.extend(other.datagrams);
        self.timers.extend(other.timers);
        self.events.extend(other.events);
    }
}

/// Counters for operators and tests.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Stats {
    pub datagrams_in: u64,
    pub datagrams_out: u64,
    pub bytes_in: u64,
    pub bytes_out: u64,
    /// Datagrams dropped because they did not decode or foca refused them.
    pub dropped_malformed: u64,
    /// Datagrams dropped because the sender is not who the connection proved.
    pub dropped_unauthenticated: u64,
    /// Datagrams ignored because the local member has left.
    pub dropped_after_leave: u64,
    pub pulls_sent: u64,
    pub pushes_sent: u64,
    pub syncs_sent: u64,
    /// Sync requests left unanswered because the asker already knew our list.
    pub syncs_skipped: u64,
}
