//! The mesh identity of a member: what foca puts in every message header.
//!
//! Kept small on purpose (it travels in every SWIM packet): the member name
//! (`<node>.<region>`), the serf address it is reached at, and an incarnation
//! (the start time in milliseconds). foca keys members by the serf address, so
//! a restarted server (same address, newer incarnation) replaces its old self.

use std::fmt;
use std::hash::{Hash, Hasher};
use std::net::SocketAddr;
use std::sync::Arc;

use serde::{Deserialize, Serialize};

/// Who a member is, as carried in SWIM messages.
///
/// One pointer wide: foca keeps an `Identity` per known member and the view
/// another, so a mesh of n members holds n of them in every member; cloning
/// only bumps a count.
#[derive(Clone)]
pub struct Identity(Arc<Inner>);

// Field order is comparison (and hash) order: the cheap, most
// distinguishing fields first, since foca compares identities a lot.
#[derive(PartialEq, Eq, Hash)]
struct Inner {
    incarnation: u64,
    addr: SocketAddr,
    name: Arc<str>,
}

impl Identity {
    /// A new identity. `incarnation` should grow across restarts; the start
    /// time in milliseconds since the Unix epoch is a good choice.
    pub fn new(name: impl Into<Arc<str>>, addr: SocketAddr, incarnation: u64) -> Self {
        Self(Arc::new(Inner {
            name: name.into(),
            addr,
            incarnation,
        }))
    }

    /// A stand-in for a peer we only know by address (the target of a join).
    /// foca accepts an announce addressed to any identity sharing its address.
    pub(crate) fn placeholder(addr: SocketAddr) -> Self {
        Self::new("", addr, 0)
    }

    /// The member name, `<node>.<region>`.
    pub fn name(&self) -> &str {
        &self.0.name
    }

    pub(crate) fn name_arc(&self) -> &Arc<str> {
        &self.0.name
    }

    /// The region part of the name (after the last dot); empty when the name
    /// has no dot.
    pub fn region(&self) -> &str {
        region_of(&self.0.name)
    }

    /// The serf (mesh) address.
    pub fn addr(&self) -> SocketAddr {
        self.0.addr
    }

    /// The incarnation; newer wins.
    pub fn incarnation(&self) -> u64 {
        self.0.incarnation
    }

    /// The same member with a bumped incarnation, so that it wins over its
    /// previous self (used when foca learns it was declared down).
    pub fn renewed(&self) -> Self {
        Self::new(
            self.0.name.clone(),
            self.0.addr,
            self.0.incarnation.saturating_add(1),
        )
    }

    /// True if `self` should replace `other` for the same member.
    pub(crate) fn is_newer_than(&self, other: &Identity) -> bool {
        let (a, b) = (&*self.0, &*other.0);
        (a.incarnation, &*a.name, a.addr) > (b.incarnation, &*b.name, b.addr)
    }
}

impl PartialEq for Identity {
    fn eq(&self, other: &Self) -> bool {
        // Shared (interned) identities compare by pointer.
        Arc::ptr_eq(&self.0, &other.0) || *self.0 == *other.0
    }
}

impl Eq for Identity {}

impl Hash for Identity {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.0.hash(state);
    }
}

/// The wire form: the same fields in the same order as ever.
#[derive(Serialize)]
struct WireRef<'a> {
    incarnation: u64,
    addr: SocketAddr,
    name: &'a str,
}

#[derive(Deserialize)]
struct Wire {
    incarnation: u64,
    addr: SocketAddr,
    name: String,
}

impl Serialize for Identity {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        WireRef {
            incarnation: self.0.incarnation,
            addr: self.0.addr,
            name: &self.0.name,
        }
        .serialize(s)
    }
}

impl<'de> Deserialize<'de> for Identity {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let w = Wire::deserialize(d)?;
        Ok(crate::intern::identity(Identity::new(
            w.name,
            w.addr,
            w.incarnation,
        )))
    }
}

/// The region part of a `<node>.<region>` name.
pub fn region_of(name: &str) -> &str {
    name.rsplit_once('.').map(|(_, r)| r).unwrap_or("")
}

impl fmt::Debug for Identity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}@{}#{}", self.0.name, self.0.addr, self.0.incarnation)
    }
}

impl fmt::Display for Identity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} ({})", self.0.name, self.0.addr)
    }
}

impl foca::Identity for Identity {
    type Addr = SocketAddr;

    fn renew(&self) -> Option<Self> {
        Some(self.renewed())
    }

    fn addr(&self) -> SocketAddr {
        self.0.addr
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
    fn wire_form_is_the_three_fields_in_order() {
        let a = Identity::new("s1.global", addr(), 10);
        let bytes = crate::codec::encode(&a).unwrap();
        assert_eq!(
            bytes,
            crate::codec::encode(&(10u64, addr(), "s1.global")).unwrap()
        );
        let back: Identity = crate::codec::decode_exact(&bytes).unwrap();
        assert_eq!(back, a);
        assert_eq!(format!("{back:?}"), "s1.global@127.0.0.1:4648#10");
    }

    #[test]
    fn one_pointer_wide_and_equal_by_value() {
        // foca and every view hold one per member of the mesh.
        assert_eq!(
            std::mem::size_of::<Identity>(),
            std::mem::size_of::<usize>()
        );
        let a = Identity::new("s1.global", addr(), 10);
        let b = Identity::new("s1.global", addr(), 10);
        assert_eq!(a, b);
        assert_ne!(a, a.renewed());
        use std::hash::BuildHasher;
        let state = std::collections::hash_map::RandomState::new();
        assert_eq!(state.hash_one(&a), state.hash_one(&b));
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
