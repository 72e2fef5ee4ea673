//! The QUIC transport: one quinn endpoint on the serf port, acting as both
//! server and client. SWIM packets travel as QUIC datagrams; requests and
//! message streams (see `stream`) as bi streams carrying length-delimited
//! MessagePack. Connections are cached per
//! peer (see `pool`), authenticated by the hello (see `hello`), and every task
//! is tracked and awaited on shutdown.

mod conn;
mod frame;
mod hello;
mod pool;
mod stream;

use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use bytes::Bytes;
use quinn::{Endpoint, TransportConfig, VarInt};
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

pub(crate) use self::hello::HelloPolicy;
use self::pool::{Pool, SendAction};
use crate::error::{Error, Result};
use crate::tls::TlsSetup;
use crate::transport::{BoxFuture, HandlerSlot, InboundDatagram, MeshStream, Transport};

/// Close codes on the wire.
const CLOSE_SHUTDOWN: u32 = 0;
const CLOSE_REFUSED: u32 = 1;
const CLOSE_FORGOTTEN: u32 = 2;

/// Limits and timeouts of the QUIC transport.
#[derive(Clone, Debug)]
pub struct QuicOptions {
    /// Dial + hello deadline.
    pub connect_timeout: Duration,
    /// Most peers with a connection (or a dial) at once.
    pub max_connections: usize,
    /// Datagrams held per peer while its connection is being set up.
    pub max_pending_per_peer: usize,
    /// Largest request or response frame.
    pub max_frame: usize,
    /// Idle connections close after this long.
    pub idle_timeout: Duration,
}

impl Default for QuicOptions {
    fn default() -> Self {
        Self {
            connect_timeout: Duration::from_secs(5),
            max_connections: 4096,
            max_pending_per_peer: 16,
            max_frame: 64 << 20,
            idle_timeout: Duration::from_secs(60),
        }
    }
}

/// Counters of the transport.
#[derive(Debug, Default)]
pub struct QuicStats {
    pub datagrams_sent: AtomicU64,
    pub datagrams_received: AtomicU64,
    /// Dropped because no connection was up (dialing, backing off, pool full).
    pub datagrams_dropped: AtomicU64,
    /// Dropped because larger than the path allows.
    pub datagrams_too_large: AtomicU64,
    /// Dropped because the mesh driver fell behind.
    pub inbound_overflow: AtomicU64,
    pub dials: AtomicU64,
    pub dial_failures: AtomicU64,
    /// Peers refused by the hello (wrong key, wrong certificate).
    pub refused: AtomicU64,
}

fn bump(counter: &AtomicU64) {
    counter.fetch_add(1, Ordering::Relaxed);
}

struct Shared {
    endpoint: Endpoint,
    policy: HelloPolicy,
    pool: Mutex<Pool>,
    inbound: mpsc::Sender<InboundDatagram>,
    handler: HandlerSlot,
    tasks: TaskTracker,
    cancel: CancellationToken,
    options: QuicOptions,
    stats: QuicStats,
}

/// The mesh transport over QUIC.
#[derive(Clone)]
pub struct QuicTransport {
    shared: Arc<Shared>,
}

impl QuicTransport {
    /// Binds the endpoint and starts accepting. Stops when `cancel` fires or
    /// `shutdown` is called.
    pub(crate) fn bind(
        bind: SocketAddr,
        tls: TlsSetup,
        policy: HelloPolicy,
        inbound: mpsc::Sender<InboundDatagram>,
        handler: HandlerSlot,
        options: QuicOptions,
        cancel: CancellationToken,
    ) -> Result<Self> {
        let mut transport = TransportConfig::default();
        transport
            .max_idle_timeout(Some(
                options
                    .idle_timeout
                    .try_into()
                    .map_err(|e| Error::Config(format!("idle timeout: {e}")))?,
            ))
            .keep_alive_interval(Some(options.idle_timeout / 4))
            .datagram_receive_buffer_size(Some(1 << 20))
            .datagram_send_buffer_size(1 << 20)
            .max_concurrent_uni_streams(VarInt::from_u32(0));
        let transport = Arc::new(transport);
        let mut server = quinn::ServerConfig::with_crypto(tls.server);
        server.transport_config(transport.clone());
        let mut client = quinn::ClientConfig::new(tls.client);
        client.transport_config(transport);
        let mut endpoint = Endpoint::server(server, bind)?;
        endpoint.set_default_client_config(client);
        let shared = Arc::new(Shared {
            endpoint,
            policy,
            pool: Mutex::new(Pool::new(
                options.max_connections,
                options.max_pending_per_peer,
            )),
            inbound,
            handler,
            tasks: TaskTracker::new(),
            cancel,
            options,
            stats: QuicStats::default(),
        });
        let accept = shared.clone();
        shared.tasks.spawn(conn::accept_loop(accept));
        Ok(Self { shared })
    }

    /// The transport's counters.
    pub fn stats(&self) -> &QuicStats {
        &self.shared.stats
    }
}

impl Transport for QuicTransport {
    fn local_addr(&self) -> SocketAddr {
        self.shared
            .endpoint
            .local_addr()
            .unwrap_or_else(|_| SocketAddr::from(([0, 0, 0, 0], 0)))
    }

    fn send_datagram(&self, to: SocketAddr, bytes: Bytes) {
        let action = self.shared.pool().send(to, bytes, Instant::now());
        match action {
            SendAction::Send(conn, bytes) => self.shared.send_on(&conn, bytes),
            SendAction::Queued => {}
            SendAction::Dial => self.shared.spawn_dial(to),
            SendAction::Dropped => bump(&self.shared.stats.datagrams_dropped),
        }
    }

    fn connect(&self, to: SocketAddr, timeout: Duration) -> BoxFuture<'_, Result<()>> {
        Box::pin(async move {
            tokio::time::timeout(timeout, self.shared.acquire(to))
                .await
                .map_err(|_| Error::Connect {
                    addr: to,
                    reason: "timed out".into(),
                })?
                .map(|_| ())
        })
    }

    fn request(
        &self,
        to: SocketAddr,
        body: Bytes,
        timeout: Duration,
    ) -> BoxFuture<'_, Result<Bytes>> {
        Box::pin(async move {
            tokio::time::timeout(timeout, self.shared.round_trip(to, body))
                .await
                .map_err(|_| Error::Timeout(to))?
        })
    }

    fn open_stream(
        &self,
        to: SocketAddr,
        opening: Bytes,
        timeout: Duration,
    ) -> BoxFuture<'_, Result<MeshStream>> {
        Box::pin(async move {
            tokio::time::timeout(timeout, self.shared.open_stream(to, opening))
                .await
                .map_err(|_| Error::Timeout(to))?
        })
    }

    fn forget(&self, to: SocketAddr) {
        if let Some(conn) = self.shared.pool().remove(to) {
            conn.conn
                .close(VarInt::from_u32(CLOSE_FORGOTTEN), b"member gone");
        }
    }

    fn shutdown(&self) -> BoxFuture<'_, ()> {
        Box::pin(async move {
            self.shared.cancel.cancel();
            for conn in self.shared.pool().drain() {
                conn.conn
                    .close(VarInt::from_u32(CLOSE_SHUTDOWN), b"shutdown");
            }
            self.shared
                .endpoint
                .close(VarInt::from_u32(CLOSE_SHUTDOWN), b"shutdown");
            self.shared.tasks.close();
            self.shared.tasks.wait().await;
            // Let close frames go out before the socket goes away.
            let _ = tokio::time::timeout(Duration::from_secs(1), self.shared.endpoint.wait_idle())
                .await;
        })
    }
}

#[cfg(test)]
mod tests;
