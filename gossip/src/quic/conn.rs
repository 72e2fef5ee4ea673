//! Connection work of the QUIC transport: dialing and accepting (each ends
//! in the hello), serving an authenticated connection (datagrams to the
//! driver, bi streams to the request or stream handler), and client round
//! trips.

use std::net::SocketAddr;
use std::sync::{Arc, MutexGuard};
use std::time::Instant;

use bytes::Bytes;
use quinn::VarInt;
use rand::RngExt;

use super::frame::{Opening, Reply, read_frame, read_msg, write_frame, write_msg};
use super::pool::{AcquireAction, Conn, Pool};
use super::{CLOSE_REFUSED, Shared, bump};
use crate::codec::{self, Blob};
use crate::error::{Error, Result};
use crate::transport::{InboundDatagram, Peer};

impl Shared {
    pub(super) fn pool(&self) -> MutexGuard<'_, Pool> {
        self.pool.lock().unwrap_or_else(|p| p.into_inner())
    }

    pub(super) fn send_on(&self, conn: &Conn, bytes: Bytes) {
        if conn
            .conn
            .max_datagram_size()
            .is_some_and(|max| bytes.len() > max)
        {
            bump(&self.stats.datagrams_too_large);
            return;
        }
        match conn.conn.send_datagram(bytes) {
            Ok(()) => bump(&self.stats.datagrams_sent),
            Err(e) => {
                bump(&self.stats.datagrams_dropped);
                tracing::debug!(peer = %conn.peer, error = %e, "datagram not sent");
            }
        }
    }

    /// Starts a tracked dial to `to`.
    pub(super) fn spawn_dial(self: &Arc<Self>, to: SocketAddr) {
        let shared = self.clone();
        self.tasks.spawn(async move {
            bump(&shared.stats.dials);
            let result = tokio::select! {
                r = shared.dial(to) => r,
                () = shared.cancel.cancelled() => Err("shutting down".to_owned()),
            };
            if let Err(reason) = &result {
                bump(&shared.stats.dial_failures);
                tracing::debug!(peer = %to, %reason, "dial failed");
            }
            let jitter = rand::rng().random_range(0.5..1.5);
            let flush = shared
                .pool()
                .dial_done(to, result.clone(), Instant::now(), jitter);
            if let Ok(conn) = result {
                for bytes in flush {
                    shared.send_on(&conn, bytes);
                }
                shared.serve(to, conn);
            }
        });
    }

    async fn dial(&self, to: SocketAddr) -> Result<Conn, String> {
        let timeout = self.options.connect_timeout;
        let connecting = self
            .endpoint
            .connect(to, "server.nomad")
            .map_err(|e| e.to_string())?;
        let conn = tokio::time::timeout(timeout, connecting)
            .await
            .map_err(|_| "handshake timed out".to_owned())?
            .map_err(|e| e.to_string())?;
        match self.policy.dial(&conn, timeout).await {
            Ok(peer) => Ok(Conn { conn, peer }),
            Err(reason) => {
                bump(&self.stats.refused);
                tracing::warn!(peer = %to, %reason, "refused mesh peer");
                conn.close(VarInt::from_u32(CLOSE_REFUSED), b"authentication failed");
                Err(reason)
            }
        }
    }

    /// Reads datagrams and requests from an authenticated connection until it
    /// closes.
    fn serve(self: &Arc<Self>, addr: SocketAddr, conn: Conn) {
        let shared = self.clone();
        self.tasks.spawn(async move {
            let peer = Peer {
                addr,
                name: Some(conn.peer.clone()),
            };
            loop {
                tokio::select! {
                    () = shared.cancel.cancelled() => break,
                    datagram = conn.conn.read_datagram() => match datagram {
                        Ok(bytes) => {
                            bump(&shared.stats.datagrams_received);
                            let d = InboundDatagram { peer: peer.clone(), bytes };
                            if shared.inbound.try_send(d).is_err() {
                                bump(&shared.stats.inbound_overflow);
                            }
                        }
                        Err(_) => break,
                    },
                    stream = conn.conn.accept_bi() => match stream {
                        Ok((send, recv)) => {
                            let s = shared.clone();
                            let p = peer.clone();
                            shared.tasks.spawn(async move { s.answer(p, send, recv).await });
                        }
                        Err(_) => break,
                    },
                }
            }
            shared.pool().closed(addr, conn.conn.stable_id());
        });
    }

    async fn answer(
        self: &Arc<Self>,
        peer: Peer,
        mut send: quinn::SendStream,
        mut recv: quinn::RecvStream,
    ) {
        let from = peer.addr;
        let reply = match read_msg::<Opening>(&mut recv, self.options.max_frame).await {
            Err(e) => Reply::Err(format!("bad request: {e}")),
            Ok(Opening::Stream(Blob(opening))) => {
                return self.take_stream(peer, Bytes::from(opening), send, recv);
            }
            Ok(Opening::Request(Blob(body))) => match self.handler.get() {
                None => Reply::Err("no request handler registered".into()),
                Some(handler) => {
                    let call = handler(peer, Bytes::from(body));
                    tokio::select! {
                        r = call => match r {
                            Ok(bytes) => Reply::Ok(Blob(bytes.to_vec())),
                            Err(e) => Reply::Err(e),
                        },
                        () = self.cancel.cancelled() => Reply::Err("shutting down".into()),
                    }
                }
            },
        };
        if let Err(e) = write_msg(&mut send, &reply).await {
            tracing::debug!(peer = %from, error = %e, "reply not sent");
        }
        let _ = send.finish();
    }

    pub(super) async fn acquire(self: &Arc<Self>, to: SocketAddr) -> Result<Conn> {
        let action = self.pool().acquire(to);
        match action {
            AcquireAction::Ready(conn) => Ok(conn),
            AcquireAction::Full => Err(Error::Connect {
                addr: to,
                reason: "too many connections".into(),
            }),
            AcquireAction::Wait { rx, dial } => {
                if dial {
                    self.spawn_dial(to);
                }
                match rx.await {
                    Ok(Ok(conn)) => Ok(conn),
                    Ok(Err(reason)) => Err(Error::Connect { addr: to, reason }),
                    Err(_) => Err(Error::Shutdown),
                }
            }
        }
    }

    pub(super) async fn round_trip(self: &Arc<Self>, to: SocketAddr, body: Bytes) -> Result<Bytes> {
        let conn = self.acquire(to).await?;
        let fail = |e: String| Error::Request {
            addr: to,
            reason: e,
        };
        let (mut send, mut recv) = conn.conn.open_bi().await.map_err(|e| fail(e.to_string()))?;
        let frame = codec::encode(&Opening::Request(Blob(body.to_vec())))?;
        write_frame(&mut send, &frame)
            .await
            .map_err(|e| fail(e.to_string()))?;
        let _ = send.finish();
        let reply = read_frame(&mut recv, self.options.max_frame)
            .await
            .map_err(|e| fail(e.to_string()))?;
        match codec::decode_exact::<Reply>(&reply).map_err(|e| fail(e.to_string()))? {
            Reply::Ok(Blob(bytes)) => Ok(Bytes::from(bytes)),
            Reply::Err(reason) => Err(fail(reason)),
        }
    }
}

pub(super) async fn accept_loop(shared: Arc<Shared>) {
    loop {
        let incoming = tokio::select! {
            () = shared.cancel.cancelled() => break,
            incoming = shared.endpoint.accept() => match incoming {
                Some(i) => i,
                None => break,
            },
        };
        if shared.pool().len() >= shared.options.max_connections {
            incoming.refuse();
            continue;
        }
        let s = shared.clone();
        shared.tasks.spawn(async move {
            let addr = incoming.remote_address();
            let timeout = s.options.connect_timeout;
            let conn = match tokio::time::timeout(timeout, incoming).await {
                Ok(Ok(conn)) => conn,
                Ok(Err(e)) => {
                    tracing::debug!(peer = %addr, error = %e, "incoming handshake failed");
                    return;
                }
                Err(_) => return,
            };
            let accepted = tokio::select! {
                r = s.policy.accept(&conn, timeout) => r,
                () = s.cancel.cancelled() => return,
            };
            match accepted {
                Ok(peer) => {
                    let conn = Conn { conn, peer };
                    let flush = s.pool().accepted(addr, conn.clone());
                    for bytes in flush {
                        s.send_on(&conn, bytes);
                    }
                    s.serve(addr, conn);
                }
                Err(reason) => {
                    bump(&s.stats.refused);
                    tracing::warn!(peer = %addr, %reason, "refused mesh peer");
                    conn.close(VarInt::from_u32(CLOSE_REFUSED), reason.as_bytes());
                }
            }
        });
    }
}
