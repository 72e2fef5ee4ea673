//! The crate's error type. Each variant says what went wrong in one line a
//! user can act on; none of them leaves the mesh in a half-changed state
//! unless it says so.

use std::net::SocketAddr;

/// Everything the mesh can fail with.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Member metadata does not fit the rules (name/region mismatch, ...).
    /// Nothing changed.
    #[error("invalid member metadata: {0}")]
    InvalidMeta(String),
    /// Encoded metadata would not fit in one datagram. Nothing changed.
    #[error("member metadata too large: {size} bytes (at most {max})")]
    MetaTooLarge { size: usize, max: usize },
    /// No member by that name is known.
    #[error("unknown member {0:?}")]
    UnknownMember(String),
    /// force-leave was pointed at the local member. Nothing changed.
    #[error("cannot force-leave the local member {0:?}; use leave")]
    ForceLeaveLocal(String),
    /// The local member has left the mesh; start a new one to rejoin.
    #[error("the local member has left the mesh")]
    Left,
    /// The SWIM library refused an operation.
    #[error("membership protocol: {0}")]
    Swim(#[from] foca::Error),
    /// A message could not be encoded (a bug, not bad input).
    #[error("encode: {0}")]
    Encode(#[from] rmp_serde::encode::Error),
    /// A message could not be decoded.
    #[error("decode: {0}")]
    Decode(String),
    /// Invalid configuration (bad gossip key, unreadable TLS files, ...).
    #[error("mesh configuration: {0}")]
    Config(String),
    /// TLS material could not be built or loaded.
    #[error("tls: {0}")]
    Tls(String),
    /// Socket-level failure.
    #[error("io: {0}")]
    Io(#[from] std::io::Error),
    /// Could not reach or authenticate a peer.
    #[error("connect to {addr}: {reason}")]
    Connect { addr: SocketAddr, reason: String },
    /// A request got no answer before its deadline.
    #[error("request to {0} timed out")]
    Timeout(SocketAddr),
    /// A request failed on the way or on the remote side.
    #[error("request to {addr}: {reason}")]
    Request { addr: SocketAddr, reason: String },
    /// The mesh is shutting down or has stopped.
    #[error("the mesh is shut down")]
    Shutdown,
}

/// The crate's result alias.
pub type Result<T, E = Error> = std::result::Result<T, E>;
