//! The mesh: SWIM membership (foca) over QUIC (quinn) between Nomad servers.
//!
//! * [`MeshCore`] is the sans-IO membership core: feed it datagrams, timers
//!   and commands with a clock reading; it returns [`Effects`].
//! * [`Member`], [`MemberMeta`], [`MemberEvent`] are what the agent reads.
//!
//! The crate knows nothing about jobs; the agent wires it to `nomad server
//! members`, `server join`, `force-leave`, Raft peer discovery and request
//! forwarding.

mod broadcast;
pub mod codec;
mod core;
mod error;
mod identity;
mod member;
mod meta;
mod view;
pub mod wire;

pub use crate::core::{CoreTimer, Effects, MAX_DATAGRAM, MeshConfig, MeshCore, Profile, Stats};
pub use crate::error::{Error, Result};
pub use crate::identity::{Identity, region_of};
pub use crate::member::{Member, MemberEvent, MemberEventKind, MemberStatus};
pub use crate::meta::{Intent, MemberMeta, MemberRecord};

#[cfg(any(test, feature = "testing"))]
pub mod testing;
