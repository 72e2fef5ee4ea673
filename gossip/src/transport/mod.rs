//! The network under the mesh, as a trait: best-effort datagrams for SWIM,
//! request/response streams for everything else (Raft, forwarding), and
//! long-lived bidirectional streams of messages (a forwarded `alloc exec`).
//! The QUIC implementation lives in `quic`; `memory` (feature `testing`) is
//! the in-memory twin for tests.
//!
//! Inbound datagrams go to an `mpsc` channel whose receiver the mesh driver
//! holds; inbound requests go to the registered `RequestHandler`, inbound
//! streams to the registered `StreamHandler`.

#[cfg(any(test, feature = "testing"))]
pub mod memory;

use std::future::Future;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::{Arc, RwLock};
use std::time::Duration;

use bytes::Bytes;
use tokio::sync::mpsc;

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

/// Messages a stream end buffers each way before the sender waits.
pub const STREAM_BUFFER: usize = 64;

/// One end of a bidirectional stream between two members: messages each way,
/// in order. Dropping `tx` ends this side (the peer's `rx` then yields `None`
/// once it has read everything); `rx` yields `None` when the peer ended its
/// side, the connection broke, or the transport shut down. The transport's
/// pump tasks hold the other ends of both channels.
#[derive(Debug)]
pub struct MeshStream {
    pub tx: mpsc::Sender<Bytes>,
    pub rx: mpsc::Receiver<Bytes>,
}

impl MeshStream {
    /// Two connected ends, as if across a network (the in-memory twin).
    pub fn pair() -> (MeshStream, MeshStream) {
        let (a_tx, b_rx) = mpsc::channel(STREAM_BUFFER);
        let (b_tx, a_rx) = mpsc::channel(STREAM_BUFFER);
        (
            MeshStream { tx: a_tx, rx: a_rx },
            MeshStream { tx: b_tx, rx: b_rx },
        )
    }
}

/// Takes a stream a peer opened: `(peer, opening message, stream)`. The
/// stream lives as long as the future (or the ends it moved elsewhere).
pub type StreamHandler =
    Arc<dyn Fn(Peer, Bytes, MeshStream) -> BoxFuture<'static, ()> + Send + Sync>;

/// Where the transport finds the current handlers (set after start).
#[derive(Clone, Default)]
pub struct HandlerSlot {
    requests: Arc<RwLock<Option<RequestHandler>>>,
    streams: Arc<RwLock<Option<StreamHandler>>>,
}

impl HandlerSlot {
    pub fn set(&self, handler: RequestHandler) {
        *self.requests.write().unwrap_or_else(|p| p.into_inner()) = Some(handler);
    }

    pub fn get(&self) -> Option<RequestHandler> {
        self.requests
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    pub fn set_stream(&self, handler: StreamHandler) {
        *self.streams.write().unwrap_or_else(|p| p.into_inner()) = Some(handler);
    }

    pub fn get_stream(&self) -> Option<StreamHandler> {
        self.streams
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
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

    /// Opens a stream to `to` whose first message is `opening` (the peer's
    /// `StreamHandler` gets it), within `timeout` for the connection. That the
    /// stream opened says nothing about the peer having read `opening` yet.
    fn open_stream(
        &self,
        to: SocketAddr,
        opening: Bytes,
        timeout: Duration,
    ) -> BoxFuture<'_, Result<MeshStream>>;

    /// The member at `to` is gone: drop its connection.
    fn forget(&self, to: SocketAddr);

    /// Closes everything and waits for the transport's tasks to end.
    fn shutdown(&self) -> BoxFuture<'_, ()>;
}
