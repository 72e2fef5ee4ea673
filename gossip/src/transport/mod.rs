//! The network under the mesh, as a trait: best-effort datagrams for SWIM and
//! request/response streams for everything else (Raft, forwarding). The QUIC
//! implementation lives in `quic`; `memory` (feature `testing`) is the
//! in-memory twin for tests.
//!
//! Inbound datagrams go to an `mpsc` channel whose receiver the mesh driver
//! holds; inbound requests go to the registered `RequestHandler`.

#[cfg(any(test, feature = "testing"))]
pub mod memory;

use std::future::Future;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::{Arc, RwLock};
use std::time::Duration;

use bytes::Bytes;

use crate::error::Result;

/// A boxed, sendable future (keeps `Transport` usable as a trait object).
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// Who is on the other end.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Peer {
    /// The peer's mesh address.
    pub addr: SocketAddr,
    /// The member name the peer proved when the connection was set up
    /// (None on transports that do not authenticate).
    pub name: Option<Arc<str>>,
}

/// A datagram that arrived.
#[derive(Clone, Debug)]
pub struct InboundDatagram {
    pub peer: Peer,
    pub bytes: Bytes,
}

/// Answers a request from a peer; `Err` travels back as the error text.
pub type RequestHandler = Arc<
    dyn Fn(Peer, Bytes) -> BoxFuture<'static, std::result::Result<Bytes, String>> + Send + Sync,
>;

/// Where the transport finds the current handler (set after start).
#[derive(Clone, Default)]
pub struct HandlerSlot(Arc<RwLock<Option<RequestHandler>>>);

impl HandlerSlot {
    pub fn set(&self, handler: RequestHandler) {
        *self.0.write().unwrap_or_else(|p| p.into_inner()) = Some(handler);
    }

    pub fn get(&self) -> Option<RequestHandler> {
        self.0.read().unwrap_or_else(|p| p.into_inner()).clone()
    }
}

/// What the mesh needs from a network.
pub trait Transport: Send + Sync + 'static {
    /// The address peers reach us at.
    fn local_addr(&self) -> SocketAddr;

    /// Sends a datagram, best effort. Never waits: if no connection to `to`
    /// is up yet, one is started and the datagram may be dropped.
    fn send_datagram(&self, to: SocketAddr, bytes: Bytes);

    /// Makes sure `to` is reachable (and authenticated), within `timeout`.
    fn connect(&self, to: SocketAddr, timeout: Duration) -> BoxFuture<'_, Result<()>>;

    /// Sends `body` to `to` and waits for the answer, within `timeout`.
    fn request(
        &self,
        to: SocketAddr,
        body: Bytes,
        timeout: Duration,
    ) -> BoxFuture<'_, Result<Bytes>>;

    /// The member at `to` is gone: drop its connection.
    fn forget(&self, to: SocketAddr);

    /// Closes everything and waits for the transport's tasks to end.
    fn shutdown(&self) -> BoxFuture<'_, ()>;
}
