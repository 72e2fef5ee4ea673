//! Message streams over QUIC: a bi stream whose first frame is
//! `Opening::Stream`, then length-delimited frames both ways. Two tracked pump
//! tasks join it to the channels of a [`MeshStream`]:
//!
//! ```text
//!   MeshStream.tx --(writer)--> QUIC send   finish when tx is dropped
//!   MeshStream.rx <--(reader)-- QUIC recv   None when the peer finished or the connection broke
//! ```
//!
//! Both pumps end on the transport's cancellation, so shutdown never waits on
//! a stream nobody reads.

use std::net::SocketAddr;
use std::sync::Arc;

use bytes::Bytes;
use quinn::{RecvStream, SendStream, VarInt};
use tokio::sync::mpsc;

use super::Shared;
use super::frame::{Opening, read_frame, write_frame, write_msg};
use crate::codec::Blob;
use crate::error::{Error, Result};
use crate::transport::{MeshStream, Peer, STREAM_BUFFER};

/// Code a reader stops the peer's sending with once nobody reads its messages.
const STOP_UNREAD: u32 = 0;

impl Shared {
    /// Opens a stream to `to` and sends `opening` as its first frame.
    pub(super) async fn open_stream(
        self: &Arc<Self>,
        to: SocketAddr,
        opening: Bytes,
    ) -> Result<MeshStream> {
        let conn = self.acquire(to).await?;
        let fail = |e: String| Error::Request {
            addr: to,
            reason: e,
        };
        let (mut send, recv) = conn.conn.open_bi().await.map_err(|e| fail(e.to_string()))?;
        write_msg(&mut send, &Opening::Stream(Blob(opening.to_vec())))
            .await
            .map_err(|e| fail(e.to_string()))?;
        Ok(self.pump(to, send, recv))
    }

    /// Hands a stream a peer opened to the stream handler (or closes it when
    /// there is none).
    pub(super) fn take_stream(
        self: &Arc<Self>,
        peer: Peer,
        opening: Bytes,
        mut send: SendStream,
        mut recv: RecvStream,
    ) {
        let Some(handler) = self.handler.get_stream() else {
            tracing::debug!(peer = %peer.addr, "stream refused: no stream handler registered");
            let _ = send.finish();
            let _ = recv.stop(VarInt::from_u32(STOP_UNREAD));
            return;
        };
        let stream = self.pump(peer.addr, send, recv);
        let cancel = self.cancel.clone();
        self.tasks.spawn(async move {
            tokio::select! {
                () = handler(peer, opening, stream) => {}
                () = cancel.cancelled() => {}
            }
        });
    }

    /// Starts the two pumps between `send`/`recv` and a new [`MeshStream`].
    fn pump(self: &Arc<Self>, peer: SocketAddr, send: SendStream, recv: RecvStream) -> MeshStream {
        let (in_tx, in_rx) = mpsc::channel(STREAM_BUFFER);
        let (out_tx, out_rx) = mpsc::channel(STREAM_BUFFER);
        let max = self.options.max_frame;
        let cancel = self.cancel.clone();
        self.tasks.spawn(async move {
            tokio::select! {
                () = write_all(send, out_rx) => {}
                () = cancel.cancelled() => {}
            }
        });
        let cancel = self.cancel.clone();
        self.tasks.spawn(async move {
            tokio::select! {
                () = read_all(peer, recv, in_tx, max) => {}
                () = cancel.cancelled() => {}
            }
        });
        MeshStream {
            tx: out_tx,
            rx: in_rx,
        }
    }
}

/// Writes every message of `out` as a frame; finishes the QUIC stream when
/// the sender is dropped.
async fn write_all(mut send: SendStream, mut out: mpsc::Receiver<Bytes>) {
    while let Some(msg) = out.recv().await {
        if let Err(e) = write_frame(&mut send, &msg).await {
            tracing::debug!(error = %e, "stream write failed");
            return;
        }
    }
    let _ = send.finish();
}

/// Reads frames into `into` until the peer finishes, the stream breaks, or
/// nobody reads them any more.
async fn read_all(peer: SocketAddr, mut recv: RecvStream, into: mpsc::Sender<Bytes>, max: usize) {
    loop {
        match read_frame(&mut recv, max).await {
            Ok(frame) => {
                if into.send(Bytes::from(frame)).await.is_err() {
                    let _ = recv.stop(VarInt::from_u32(STOP_UNREAD));
                    return;
                }
            }
            Err(e) => {
                tracing::debug!(%peer, error = %e, "stream ended");
                return;
            }
        }
    }
}
