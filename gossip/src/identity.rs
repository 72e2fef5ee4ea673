//! The mesh identity of a member: what foca puts in every message header.
//!
//! Kept small on purpose (it travels in every SWIM packet): the member name
//! (`<node>.<region>`), the serf address it is reached at, and an incarnation
//! (the start time in milliseconds). foca keys members by the serf address, so
//! a restarted server (same address, newer incarnation) replaces its old self.

use std::fmt;
use std::net::SocketAddr;
use std::sync::Arc;

use serde::{Deserialize, Serialize};

/// Who a member is, as carried in SWIM messages.
#[derive(Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Identity {
    // Field order is comparison order: the cheap, most distinguishing fields
    // first, since foca compares identities a lot.
    incarnation: u64,
    addr: SocketAddr,
    name: Arc<str>,
}

impl Identity {
    /// A new identity. `incarnation` should grow across restarts; the start
    /// time in milliseconds since the Unix epoch is a good choice.
    pub fn new(name: impl Into<Arc<str>>, addr: SocketAddr, incarnation: u64) -> Self {
        Self {
            name: name.into(),
            addr,
            incarnation,
        }
    }

    /// A stand-in for a peer we only know by address (the target of a join).
    /// foca accepts an announce addressed to any identity sharing its address.
    pub(crate) fn placeholder(addr: SocketAddr) -> Self {
        Self::new("", addr, 0)
    }

    /// The member name, `<node>.<region>`.
    pub fn name(&self) -> &str {
        &self.name
    }

    pub(crate) fn name_arc(&self) -> &Arc<str> {
        &self.name
    }

    /// The region part of the name (after the last dot); empty when the name
    /// has no dot.
    pub fn region(&self) -> &str {
        region_of(&self.name)
    }

    /// The serf (mesh) address.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The incarnation; newer wins.
    pub fn incarnation(&self) -> u64 {
        self.incarnation
    }

    /// The same member with a bumped incarnation, so that it wins over its
    /// previous self (used when foca learns it was declared down).
    pub fn renewed(&self) -> Self {
        Self {
            name: self.name.clone(),
            addr: self.addr,
            incarnation: self.incarnation.saturating_add(1),
        }
    }

    /// True if `self` should replace `other` for the same member.
    pub(crate) fn is_newer_than(&self, other: &Identity) -> bool {
        (self.incarnation, &*self.name, self.addr) > (other.incarnation, &*other.name, other.addr)
    }
}

/// The region part of a `<node>.<region>` name.
pub fn region_of(name: &str) -> &str {
    name.rsplit_once('.').map(|(_, r)| r).unwrap_or("")
}

impl fmt::Debug for Identity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}@{}#{}", self.name, self.addr, self.incarnation)
    }
}

impl fmt::Display for Identity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} ({})", self.name, self.addr)
    }
}

impl foca::Identity for Identity {
    type Addr = SocketAddr;

    fn renew(&self) -> Option<Self> {
        Some(self.renewed())
    }

    fn addr(&self) -> SocketAddr {
        self.addr
    }

    fn win_addr_conflict(&self, adversary: &Self) -> bool {
        self.is_newer_than(adversary)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use foca::Identity as _;

    fn addr() -> SocketAddr {
        "127.0.0.1:4648".parse().unwrap()
    }

    #[test]
    fn renew_wins_conflict_and_keeps_address() {
        let a = Identity::new("s1.global", addr(), 10);
        let b = a.renew().unwrap();
        assert_eq!(foca::Identity::addr(&a), foca::Identity::addr(&b));
        assert_eq!(b.incarnation(), 11);
        assert!(b.win_addr_conflict(&a));
        assert!(!a.win_addr_conflict(&b));
    }

    #[test]
    fn region_is_last_label() {
        assert_eq!(
            Identity::new("ip-10-0-0-1.ec2.west", addr(), 1).region(),
            "west"
        );
        assert_eq!(region_of("nodot"), "");
    }
}
