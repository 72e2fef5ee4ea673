//! The serving side of region forwarding: a request forwarded from another region is replayed into this
//! agent's own router (marked `X-Nomad-Region-Forwarded`, so it is served in this region and never
//! forwarded again), and the reply goes back whole, or, for streams, as a session drained by long polls.
//!
//! A session is a pump task reading the reply body into a bounded channel. It ends when the body ends,
//! when the forwarder cancels, or when nobody polled it for [`IDLE`] (the forwarder went away without
//! saying so).

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::body::{Body, Bytes};
use axum::http::{HeaderName, HeaderValue, Method, Request};
use futures_util::StreamExt;
use nomad_gossip::codec::Blob;
use nomad_gossip::{MeshHandle, Peer};
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;
use tower::ServiceExt;

use super::wire::{self, Call, ForwardReply, ForwardRequest};
use super::{FORWARDED_HEADER, MAX_BODY, hop_by_hop};

/// How long a `Next` waits for more of a stream before answering with nothing.
pub const LONG_POLL: Duration = Duration::from_secs(5);
/// A stream nobody polled for this long is dropped.
const IDLE: Duration = Duration::from_secs(30);
/// How long the first reply of a stream waits for its first bytes.
const FIRST_WAIT: Duration = Duration::from_millis(100);
/// Most bytes one chunk carries.
const MAX_CHUNK: usize = 1 << 20;

/// Installs the forwarding handlers on the mesh: requests from other members are replayed into
/// `router`, and the exec streams they open are served by it ([`super::exec_serve`]).
pub fn install(mesh: &MeshHandle, router: Router) {
    let exec_router = router.clone();
    mesh.set_stream_handler(move |peer: Peer, opening: Bytes, stream| {
        super::exec_serve::serve(exec_router.clone(), peer, opening, stream)
    });
    let sessions = Sessions::default();
    mesh.set_request_handler(move |peer: Peer, bytes: Bytes| {
        let router = router.clone();
        let sessions = sessions.clone();
        async move {
            let msg: ForwardRequest = wire::decode(&bytes).map_err(|e| e.to_string())?;
            let reply = match msg {
                ForwardRequest::Call(call) => {
                    tracing::debug!(from = ?peer.name, uri = %call.uri, "serving forwarded request");
                    serve_call(router, &sessions, call).await?
                }
                ForwardRequest::Next { session } => sessions.next(session).await,
                ForwardRequest::Cancel { session } => {
                    sessions.cancel(session);
                    ForwardReply::Gone
                }
            };
            wire::encode(&reply).map(Bytes::from).map_err(|e| e.to_string())
        }
    });
}

/// Replays `call` into `router`.
async fn serve_call(
    router: Router,
    sessions: &Sessions,
    call: Call,
) -> Result<ForwardReply, String> {
    let method = Method::from_bytes(call.method.as_bytes())
        .map_err(|_| format!("invalid method {:?}", call.method))?;
    let mut req = Request::builder().method(method).uri(&call.uri);
    for (name, value) in &call.headers {
        if let (Ok(n), Ok(v)) = (
            HeaderName::from_bytes(name.as_bytes()),
            HeaderValue::from_bytes(&value.0),
        ) && !hop_by_hop(&n)
        {
            req = req.header(n, v);
        }
    }
    let origin = HeaderValue::from_str(&call.origin).unwrap_or(HeaderValue::from_static("1"));
    let req = req
        .header(FORWARDED_HEADER, origin)
        .body(Body::from(call.body.0))
        .map_err(|e| format!("invalid forwarded request: {e}"))?;
    let resp = match router.oneshot(req).await {
        Ok(resp) => resp,
        Err(never) => match never {},
    };
    let status = resp.status().as_u16();
    let headers: Vec<(String, Blob)> = resp
        .headers()
        .iter()
        .filter(|(n, _)| !hop_by_hop(n))
        .map(|(n, v)| (n.as_str().to_owned(), Blob(v.as_bytes().to_vec())))
        .collect();
    let body = resp.into_body();
    if !call.stream {
        let body = axum::body::to_bytes(body, MAX_BODY)
            .await
            .map_err(|e| format!("reading the reply: {e}"))?;
        return Ok(ForwardReply::Response {
            status,
            headers,
            body: Blob(body.to_vec()),
            session: None,
            done: true,
        });
    }
    let session = sessions.open(body);
    let (body, done) = sessions.take(session, FIRST_WAIT).await.unwrap_or_default();
    Ok(ForwardReply::Response {
        status,
        headers,
        body: Blob(body),
        session: (!done).then_some(session),
        done,
    })
}

/// One stream being served.
struct Session {
    rx: Arc<tokio::sync::Mutex<mpsc::Receiver<Bytes>>>,
    cancel: CancellationToken,
    /// Milliseconds since `Sessions::epoch` of the last poll.
    last_poll: Arc<AtomicU64>,
}

/// The open streams, by id.
#[derive(Clone, Default)]
struct Sessions {
    inner: Arc<SessionsInner>,
}

#[derive(Default)]
struct SessionsInner {
    next_id: AtomicU64,
    open: Mutex<HashMap<u64, Session>>,
}

impl Sessions {
    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<u64, Session>> {
        self.inner.open.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Starts pumping `body` and returns the session id.
    fn open(&self, body: Body) -> u64 {
        let id = self.inner.next_id.fetch_add(1, Ordering::Relaxed) + 1;
        let (tx, rx) = mpsc::channel(64);
        let cancel = CancellationToken::new();
        let last_poll = Arc::new(AtomicU64::new(now_ms()));
        self.lock().insert(
            id,
            Session {
                rx: Arc::new(tokio::sync::Mutex::new(rx)),
                cancel: cancel.clone(),
                last_poll: last_poll.clone(),
            },
        );
        let sessions = self.clone();
        tokio::spawn(async move {
            pump(body, tx, cancel, last_poll).await;
            // Leave the entry while the forwarder drains what is buffered; it goes with `done`.
            tokio::time::sleep(IDLE).await;
            sessions.lock().remove(&id);
        });
        id
    }

    /// Answers a `Next`.
    async fn next(&self, id: u64) -> ForwardReply {
        match self.take(id, LONG_POLL).await {
            Some((body, done)) => ForwardReply::Chunk {
                body: Blob(body),
                done,
            },
            None => ForwardReply::Gone,
        }
    }

    /// Waits up to `wait` for bytes of session `id`, then takes what is buffered; `done` when the body
    /// ended (the session is then closed). `None` for an unknown session.
    async fn take(&self, id: u64, wait: Duration) -> Option<(Vec<u8>, bool)> {
        let rx = {
            let open = self.lock();
            let s = open.get(&id)?;
            s.last_poll.store(now_ms(), Ordering::Relaxed);
            s.rx.clone()
        };
        let mut rx = rx.lock().await;
        let mut out = Vec::new();
        let mut done = false;
        match tokio::time::timeout(wait, rx.recv()).await {
            Ok(Some(b)) => out.extend_from_slice(&b),
            Ok(None) => done = true,
            Err(_) => {}
        }
        while !done && out.len() < MAX_CHUNK {
            match rx.try_recv() {
                Ok(b) => out.extend_from_slice(&b),
                Err(mpsc::error::TryRecvError::Empty) => break,
                Err(mpsc::error::TryRecvError::Disconnected) => done = true,
            }
        }
        if done {
            self.lock().remove(&id);
        }
        Some((out, done))
    }

    fn cancel(&self, id: u64) {
        if let Some(s) = self.lock().remove(&id) {
            s.cancel.cancel();
        }
    }
}

/// Copies `body` into `tx` until it ends, the session is cancelled, or nobody polls for `IDLE`.
async fn pump(
    body: Body,
    tx: mpsc::Sender<Bytes>,
    cancel: CancellationToken,
    last: Arc<AtomicU64>,
) {
    let mut stream = body.into_data_stream();
    let mut check = tokio::time::interval(IDLE / 3);
    loop {
        tokio::select! {
            () = cancel.cancelled() => return,
            _ = check.tick() => {
                if now_ms().saturating_sub(last.load(Ordering::Relaxed)) > IDLE.as_millis() as u64 {
                    tracing::debug!("forwarded stream abandoned");
                    return;
                }
            }
            item = stream.next() => match item {
                Some(Ok(bytes)) => {
                    tokio::select! {
                        () = cancel.cancelled() => return,
                        sent = tokio::time::timeout(IDLE, tx.send(bytes)) => {
                            if !matches!(sent, Ok(Ok(()))) {
                                return;
                            }
                        }
                    }
                }
                Some(Err(e)) => {
                    tracing::debug!(error = %e, "forwarded stream failed");
                    return;
                }
                None => return,
            },
        }
    }
}

fn now_ms() -> u64 {
    static EPOCH: std::sync::OnceLock<std::time::Instant> = std::sync::OnceLock::new();
    let epoch = *EPOCH.get_or_init(std::time::Instant::now);
    epoch.elapsed().as_millis() as u64
}
