//! The forwarding side of `alloc exec -region <other>`: the exec websocket cannot be replayed as a
//! request and a reply, so it travels on a mesh stream to an alive server of the target region
//! ([`super::exec_serve`] there), chosen as for every forwarded request. This server accepts the
//! caller's websocket only once that server's own websocket is open, so a refusal there (bad command,
//! unknown allocation) reaches the caller as the same plain HTTP error; then frames are relayed both
//! ways until either side closes.
//!
//! ```text
//!   caller --ws--> [forward] --mesh stream: ExecOpen--> server of the region
//!                   first reply within the per-try timeout:
//!                     none / stream ended -> next server; none left -> 500 "No path to region"
//!                     Refused   -> its HTTP status and body
//!                     Received  -> the next one within START_WAIT (no failing over: it may be running):
//!                       Accepted  -> 101, relay frames <-> ExecMessage::{Text,Binary,Close}
//!                       Refused   -> its HTTP status and body
//!                       none      -> 500 "did not start"
//! ```

use std::time::Instant;

use axum::body::Bytes;
use axum::extract::FromRequestParts;
use axum::extract::Request;
use axum::extract::ws::{CloseFrame, Message, WebSocket, WebSocketUpgrade};
use axum::http::{HeaderName, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use nomad_gossip::codec::Blob;
use nomad_gossip::{Member, MeshHandle, MeshStream};

use super::send::{self, Deadline};
use super::wire::{self, ExecMessage, ExecOpen};
use super::{hop_by_hop, with_region};
use crate::api::ApiState;
use crate::api::alloc_exec::linger;
use crate::api::error::ApiError;

/// Close code for a session whose other region went away (1011: the server hit a condition).
const CLOSE_LOST: u16 = 1011;
/// How long a server that received the stream may take to open the websocket (its own limit, plus
/// margin).
const START_WAIT: std::time::Duration = std::time::Duration::from_secs(12);

/// True for `/v1/client/allocation/{id}/exec`.
pub fn is_exec(path: &str) -> bool {
    path.strip_prefix("/v1/client/allocation/")
        .and_then(|rest| rest.strip_suffix("/exec"))
        .is_some_and(|id| !id.is_empty() && !id.contains('/'))
}

/// Headers of the caller's request that go with the exec: not those of its connection or of its own
/// websocket handshake (the target makes its own).
pub fn carried(name: &HeaderName) -> bool {
    !hop_by_hop(name) && !name.as_str().starts_with("sec-websocket-")
}

/// Carries the exec websocket `req` to region `region`.
pub async fn forward(state: &ApiState, region: &str, req: Request) -> Response {
    let (mut parts, _body) = req.into_parts();
    let ws = match WebSocketUpgrade::from_request_parts(&mut parts, state).await {
        Ok(ws) => ws,
        Err(rejection) => return rejection.into_response(),
    };
    let Some(mesh) = &state.mesh else {
        return ApiError::NoPathToRegion.into_response();
    };
    let open = ExecOpen {
        uri: with_region(&parts.uri, region),
        headers: parts
            .headers
            .iter()
            .filter(|(n, _)| carried(n))
            .map(|(n, v)| (n.as_str().to_owned(), Blob(v.as_bytes().to_vec())))
            .collect(),
        origin: mesh.local_name().to_owned(),
    };
    let opening = match wire::encode(&open) {
        Ok(b) => Bytes::from(b),
        Err(e) => return ApiError::Internal(e.to_string()).into_response(),
    };
    let servers = match send::candidates(mesh, region) {
        Ok(s) => s,
        Err(e) => return e.into_response(),
    };
    let (first, mut stream) = match open_on_one(mesh, &servers, opening).await {
        Ok(found) => found,
        Err(failures) => {
            return ApiError::Internal(format!(
                "No path to region {region:?}: no server answered ({failures})"
            ))
            .into_response();
        }
    };
    let answer = match first {
        ExecMessage::Received => match tokio::time::timeout(START_WAIT, stream.rx.recv()).await {
            Ok(Some(bytes)) => match wire::decode::<ExecMessage>(&bytes) {
                Ok(msg) => msg,
                Err(e) => {
                    return ApiError::Internal(format!("exec in region {region:?}: {e}"))
                        .into_response();
                }
            },
            Ok(None) => {
                let e = format!("exec in region {region:?}: the server closed the stream");
                return ApiError::Internal(e).into_response();
            }
            Err(_) => {
                let e = format!("exec in region {region:?}: did not start within {START_WAIT:?}");
                return ApiError::Internal(e).into_response();
            }
        },
        other => other,
    };
    match (answer, stream) {
        (ExecMessage::Accepted, stream) => {
            let region = region.to_owned();
            ws.on_upgrade(move |socket| relay(socket, stream, region))
        }
        (
            ExecMessage::Refused {
                status,
                headers,
                body,
            },
            _,
        ) => refused(status, headers, body),
        (other, _) => ApiError::Internal(format!(
            "exec in region {region:?}: unexpected message {other:?} before the session"
        ))
        .into_response(),
    }
}

/// Opens the exec stream on the first of `servers` that answers (`Received`, or an immediate
/// `Refused`) within the ordinary budget, and returns that answer; when none does, what each one's
/// failure was.
async fn open_on_one(
    mesh: &MeshHandle,
    servers: &[Member],
    opening: Bytes,
) -> Result<(ExecMessage, MeshStream), String> {
    let deadline = Deadline::ordinary();
    let per_try = deadline.per_try_for(servers.len());
    let began = Instant::now();
    let mut failures = Vec::new();
    for server in servers {
        let left = deadline.total.saturating_sub(began.elapsed());
        if left.is_zero() {
            break;
        }
        let limit = per_try.min(left);
        let attempt = async {
            let mut stream = mesh
                .open_stream(server.addr, opening.clone(), limit)
                .await
                .map_err(|e| e.to_string())?;
            let first = stream
                .rx
                .recv()
                .await
                .ok_or("it closed the stream without an answer")?;
            let first: ExecMessage = wire::decode(&first).map_err(|e| e.to_string())?;
            Ok::<_, String>((first, stream))
        };
        let outcome = tokio::time::timeout(limit, attempt)
            .await
            .unwrap_or_else(|_| Err(format!("no answer within {limit:?}")));
        send::answered(server.addr, outcome.is_ok());
        match outcome {
            Ok(found) => return Ok(found),
            Err(e) => {
                tracing::warn!(server = %server.name, error = %e, "exec forwarding failed, trying another server");
                failures.push(format!("{}: {e}", server.name));
            }
        }
    }
    Err(failures.join("; "))
}

/// The HTTP reply of an exec the target refused.
fn refused(status: u16, headers: Vec<(String, Blob)>, body: Blob) -> Response {
    let mut resp = Response::new(axum::body::Body::from(body.0));
    *resp.status_mut() = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    for (name, value) in headers {
        if let (Ok(n), Ok(v)) = (
            HeaderName::from_bytes(name.as_bytes()),
            HeaderValue::from_bytes(&value.0),
        ) && !hop_by_hop(&n)
        {
            resp.headers_mut().append(n, v);
        }
    }
    resp
}

/// Moves frames between the caller's websocket and the stream until either side closes. Input the
/// target no longer takes (its session ended) is dropped while its last output and close still come.
async fn relay(mut socket: WebSocket, mut stream: MeshStream, region: String) {
    let mut to_target = true;
    loop {
        tokio::select! {
            msg = socket.recv() => {
                let out = match msg {
                    Some(Ok(Message::Text(t))) => ExecMessage::Text(t.as_str().to_owned()),
                    Some(Ok(Message::Binary(b))) => ExecMessage::Binary(Blob(b.to_vec())),
                    Some(Ok(Message::Ping(_) | Message::Pong(_))) => continue,
                    Some(Ok(Message::Close(frame))) => {
                        let (code, reason) = frame.map_or((1000, String::new()), |f| (f.code, f.reason.to_string()));
                        ExecMessage::Close { code, reason }
                    }
                    // The caller went away: ending the stream ends the session there.
                    Some(Err(_)) | None => return,
                };
                let closing = matches!(out, ExecMessage::Close { .. });
                if to_target {
                    to_target = match wire::encode(&out) {
                        Ok(b) => stream.tx.send(Bytes::from(b)).await.is_ok(),
                        Err(_) => false,
                    };
                }
                if closing {
                    return;
                }
            }
            msg = stream.rx.recv() => {
                let Some(bytes) = msg else {
                    return lost(&mut socket, &region).await;
                };
                let msg = match wire::decode::<ExecMessage>(&bytes) {
                    Ok(ExecMessage::Text(t)) => Message::Text(t.into()),
                    Ok(ExecMessage::Binary(b)) => Message::Binary(b.0.into()),
                    Ok(ExecMessage::Close { code, reason }) => {
                        close(&mut socket, code, &reason).await;
                        return linger(socket).await;
                    }
                    Ok(other) => {
                        let e = format!("exec in region {region:?}: unexpected message {other:?}");
                        return close(&mut socket, CLOSE_LOST, &e).await;
                    }
                    Err(e) => {
                        return close(&mut socket, CLOSE_LOST, &format!("exec in region {region:?}: {e}")).await;
                    }
                };
                if socket.send(msg).await.is_err() {
                    return;
                }
            }
        }
    }
}

async fn lost(socket: &mut WebSocket, region: &str) {
    let reason = format!("lost the connection to region {region:?}");
    close(socket, CLOSE_LOST, &reason).await;
}

async fn close(socket: &mut WebSocket, code: u16, reason: &str) {
    let frame = CloseFrame {
        code,
        reason: reason.to_owned().into(),
    };
    let _ = socket.send(Message::Close(Some(frame))).await;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exec_paths_are_recognised() {
        assert!(is_exec("/v1/client/allocation/abc/exec"));
        assert!(!is_exec("/v1/client/allocation//exec"));
        assert!(!is_exec("/v1/client/allocation/abc/stats"));
        assert!(!is_exec("/v1/client/allocation/a/b/exec"));
        assert!(!is_exec("/v1/allocation/abc/exec"));
    }

    #[test]
    fn handshake_headers_stay_behind() {
        for (name, kept) in [
            ("x-nomad-token", true),
            ("user-agent", true),
            ("sec-websocket-key", false),
            ("sec-websocket-version", false),
            ("connection", false),
            ("upgrade", false),
            ("host", false),
        ] {
            assert_eq!(carried(&HeaderName::from_static(name)), kept, "{name}");
        }
    }
}
