//! The mesh: SWIM membership (foca) over QUIC (quinn) between Nomad servers.
//!
//! The crate knows nothing about jobs; the agent wires it to `nomad server
//! members`, `server join`, `force-leave`, Raft peer discovery and request
//! forwarding.
//!
//! # Using it
//!
//! ```no_run
//! # async fn demo() -> nomad_gossip::Result<()> {
//! use nomad_gossip::{Mesh, MemberMeta, MeshSettings};
//! let meta = MemberMeta::new("node1", "global", "dc1",
//!     "10.0.0.1:4647".parse().unwrap(), "10.0.0.1:4646".parse().unwrap());
//! let mut settings = MeshSettings::new(meta, "10.0.0.1:4648".parse().unwrap());
//! settings.encrypt = Some(nomad_gossip::generate_gossip_key()?);
//! let cancel = tokio_util::sync::CancellationToken::new();
//! let mesh = Mesh::start(settings, cancel)?;
//! mesh.join(&["10.0.0.2:4648".parse().unwrap()]).await?;
//! for m in mesh.members() {
//!     println!("{} {} {}", m.name, m.addr, m.status);
//! }
//! mesh.leave().await?;
//! mesh.shutdown().await;
//! # Ok(()) }
//! ```
//!
//! # Layers
//!
//! * [`MeshCore`] (sans-IO): foca plus the member view. Inputs take `now`;
//!   outputs are [`Effects`]. Metadata ([`MemberMeta`]) travels as versioned
//!   [`MemberRecord`]s in foca custom broadcasts, with pull/push and member
//!   list sync as anti-entropy (see `wire`).
//! * [`Transport`]: datagrams, request/response and message streams. [`quic`] is the real one,
//!   `transport::memory` the in-memory twin, [`testing`] (feature `testing`)
//!   a deterministic simulated network and cluster harness.
//! * [`Mesh`] / [`MeshHandle`]: a tokio task owning the core, and the handle.
//!
//! # Security
//!
//! QUIC always encrypts. Peers are authenticated by
//! * a CA ([`TlsConfig`]): mutual TLS; with `verify_server_hostname` the
//!   certificate must name `server.<region>.nomad` for the region in the
//!   peer's member name, and every datagram on that connection must come from
//!   that member (so a server with a wrong-region certificate is refused);
//! * a gossip key (`encrypt`): after the handshake each side proves the key
//!   with an HMAC over TLS exporter material of that very connection
//!   (`keyring`), never sending the key; a peer with another key is refused
//!   and logged;
//! * neither: generated self-signed certificates, a warning is logged.
//!
//! [`tls::certs`] writes CA and server certificates like `nomad tls ca
//! create` / `nomad tls cert create -server`, and [`generate_gossip_key`]
//! makes keys like `nomad operator gossip keyring generate`.

mod broadcast;
pub mod codec;
mod core;
mod error;
mod identity;
mod intern;
mod keyring;
mod member;
mod mesh;
mod meta;
pub mod quic;
pub mod tls;
pub mod transport;
mod view;
pub mod wire;

pub use crate::core::{CoreTimer, Effects, MAX_DATAGRAM, MeshConfig, MeshCore, Profile, Stats};
pub use crate::error::{Error, Result};
pub use crate::identity::{Identity, region_of};
pub use crate::keyring::{GossipKey, generate_gossip_key};
pub use crate::member::{Member, MemberEvent, MemberEventKind, MemberStatus};
pub use crate::mesh::{Mesh, MeshHandle, MeshSettings, Wiring};
pub use crate::meta::{Intent, MemberMeta, MemberRecord};
pub use crate::quic::{QuicOptions, QuicStats};
pub use crate::tls::TlsConfig;
pub use crate::transport::{
    InboundDatagram, MeshStream, Peer, RequestHandler, StreamHandler, Transport,
};

#[cfg(any(test, feature = "testing"))]
pub mod testing;
