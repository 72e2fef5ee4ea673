//! The serving side of a forwarded `alloc exec`: a server of another region opened a mesh stream with an
//! [`ExecOpen`]. The websocket it names is opened on this agent's own router over an in-process
//! connection (marked `X-Nomad-Region-Forwarded`), so the exec runs exactly as a local one would: by
//! this agent's client, or relayed to the node that runs the allocation. Then frames are relayed between
//! that websocket and the stream until either side closes.
//!
//! ```text
//!   stream(ExecOpen) -> exec path? no -> Refused 400
//!                    -> Received, websocket handshake with the router (duplex pipe, hyper server with upgrades)
//!                         101   -> Accepted, relay ExecMessage <-> frames
//!                         other -> Refused{status,headers,body}
//! ```

use std::time::Duration;

use axum::Router;
use axum::body::{Body, Bytes};
use axum::http::{HeaderName, HeaderValue};
use futures_util::{SinkExt, StreamExt};
use hyper_util::rt::TokioIo;
use nomad_gossip::codec::Blob;
use nomad_gossip::{MeshStream, Peer};
use tokio::io::DuplexStream;
use tokio_tungstenite::WebSocketStream;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::protocol::CloseFrame;
use tokio_tungstenite::tungstenite::{self, Message};
use tower::ServiceExt;

use super::FORWARDED_HEADER;
use super::exec_stream::{carried, is_exec};
use super::wire::{self, ExecMessage, ExecOpen};

/// How long the router may take to accept or refuse the websocket (a node proxy connects in 3 s).
const OPEN_TIMEOUT: Duration = Duration::from_secs(10);
/// Bytes the in-process pipe buffers each way.
const PIPE: usize = 64 << 10;

/// Serves one exec stream opened by `peer`.
pub async fn serve(router: Router, peer: Peer, opening: Bytes, mut stream: MeshStream) {
    let open: ExecOpen = match wire::decode(&opening) {
        Ok(o) => o,
        Err(e) => return refuse(&mut stream, 400, format!("invalid exec stream: {e}")).await,
    };
    tracing::debug!(from = ?peer.name, uri = %open.uri, "serving forwarded exec");
    let path = open.uri.split('?').next().unwrap_or_default();
    if !is_exec(path) {
        let e = format!("only alloc exec travels on an exec stream, not {path}");
        return refuse(&mut stream, 400, e).await;
    }
    let request = match client_request(&open) {
        Ok(r) => r,
        Err(e) => return refuse(&mut stream, 400, e).await,
    };
    if !send(&mut stream, &ExecMessage::Received).await {
        return;
    }
    let (ours, theirs) = tokio::io::duplex(PIPE);
    let service = hyper::service::service_fn(move |req: hyper::Request<hyper::body::Incoming>| {
        router.clone().oneshot(req.map(Body::new))
    });
    let connection = hyper::server::conn::http1::Builder::new()
        .serve_connection(TokioIo::new(theirs), service)
        .with_upgrades();
    // The connection ends once it handed the upgraded pipe to the exec handler, or when `ours` is
    // dropped; the session then runs in the handler's own task.
    let connection = async {
        if let Err(e) = connection.await {
            tracing::debug!(error = %e, "in-process exec connection ended");
        }
    };
    let session = async {
        let handshake =
            tokio::time::timeout(OPEN_TIMEOUT, tokio_tungstenite::client_async(request, ours))
                .await;
        match handshake {
            Err(_) => {
                let e = format!("the exec did not start within {OPEN_TIMEOUT:?}");
                refuse(&mut stream, 504, e).await
            }
            Ok(Err(tungstenite::Error::Http(resp))) => {
                let (parts, body) = resp.into_parts();
                let refusal = ExecMessage::Refused {
                    status: parts.status.as_u16(),
                    headers: parts
                        .headers
                        .iter()
                        .filter(|(n, _)| carried(n))
                        .map(|(n, v)| (n.as_str().to_owned(), Blob(v.as_bytes().to_vec())))
                        .collect(),
                    body: Blob(body.unwrap_or_default()),
                };
                send(&mut stream, &refusal).await;
            }
            Ok(Err(e)) => refuse(&mut stream, 500, format!("exec: {e}")).await,
            Ok(Ok((socket, _))) => {
                if send(&mut stream, &ExecMessage::Accepted).await {
                    relay(socket, stream).await;
                }
            }
        }
    };
    tokio::join!(connection, session);
}

/// The websocket request for `open`, as the caller made it (its own handshake headers aside).
fn client_request(open: &ExecOpen) -> Result<tungstenite::handshake::client::Request, String> {
    let mut request = format!("ws://localhost{}", open.uri)
        .into_client_request()
        .map_err(|e| format!("invalid exec request: {e}"))?;
    let headers = request.headers_mut();
    for (name, value) in &open.headers {
        if let (Ok(n), Ok(v)) = (
            HeaderName::from_bytes(name.as_bytes()),
            HeaderValue::from_bytes(&value.0),
        ) && carried(&n)
        {
            headers.append(n, v);
        }
    }
    let origin = HeaderValue::from_str(&open.origin).unwrap_or(HeaderValue::from_static("1"));
    headers.insert(FORWARDED_HEADER, origin);
    Ok(request)
}

/// Sends `msg`; false when the forwarder is gone.
async fn send(stream: &mut MeshStream, msg: &ExecMessage) -> bool {
    match wire::encode(msg) {
        Ok(b) => stream.tx.send(Bytes::from(b)).await.is_ok(),
        Err(e) => {
            tracing::warn!(error = %e, "exec stream message not encoded");
            false
        }
    }
}

async fn refuse(stream: &mut MeshStream, status: u16, reason: String) {
    let msg = ExecMessage::Refused {
        status,
        headers: Vec::new(),
        body: Blob(reason.into_bytes()),
    };
    send(stream, &msg).await;
}

/// Moves frames between the router's websocket and the stream until either side closes. Once the
/// session there takes no more input (it ended), input is dropped while its last output and close are
/// still read and sent on.
async fn relay(mut socket: WebSocketStream<DuplexStream>, mut stream: MeshStream) {
    let mut to_session = true;
    loop {
        tokio::select! {
            msg = socket.next() => {
                let out = match msg {
                    Some(Ok(Message::Text(t))) => ExecMessage::Text(t.as_str().to_owned()),
                    Some(Ok(Message::Binary(b))) => ExecMessage::Binary(Blob(b.to_vec())),
                    Some(Ok(Message::Close(frame))) => {
                        let (code, reason) = frame
                            .map_or((1000, String::new()), |f| (f.code.into(), f.reason.as_str().to_owned()));
                        send(&mut stream, &ExecMessage::Close { code, reason }).await;
                        // Let the close handshake finish, so the handler's socket ends cleanly.
                        let _ = tokio::time::timeout(Duration::from_secs(1), socket.next()).await;
                        return;
                    }
                    Some(Ok(_)) => continue,
                    Some(Err(e)) => {
                        let reason = format!("exec session failed: {e}");
                        send(&mut stream, &ExecMessage::Close { code: 1011, reason }).await;
                        return;
                    }
                    None => {
                        let reason = "exec session ended".to_owned();
                        send(&mut stream, &ExecMessage::Close { code: 1011, reason }).await;
                        return;
                    }
                };
                if !send(&mut stream, &out).await {
                    return;
                }
            }
            msg = stream.rx.recv() => {
                let Some(bytes) = msg else {
                    // The forwarder went away: closing the socket ends the session (and the command).
                    let _ = socket.close(None).await;
                    return;
                };
                let msg = match wire::decode::<ExecMessage>(&bytes) {
                    Ok(ExecMessage::Text(t)) => Message::Text(t.into()),
                    Ok(ExecMessage::Binary(b)) => Message::Binary(b.0.into()),
                    Ok(ExecMessage::Close { code, reason }) => {
                        let frame = CloseFrame { code: code.into(), reason: reason.into() };
                        let _ = socket.close(Some(frame)).await;
                        return;
                    }
                    Ok(other) => {
                        tracing::debug!(?other, "unexpected message on an exec stream");
                        let _ = socket.close(None).await;
                        return;
                    }
                    Err(e) => {
                        tracing::debug!(error = %e, "bad message on an exec stream");
                        let _ = socket.close(None).await;
                        return;
                    }
                };
                if to_session && socket.send(msg).await.is_err() {
                    to_session = false;
                }
            }
        }
    }
}
