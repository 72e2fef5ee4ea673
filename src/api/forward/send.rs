//! The forwarding side: sends a [`Call`] to an alive server of the target region over the mesh, trying
//! the next one when a server does not answer within the per-try timeout, and turns the reply into the
//! HTTP response (a streaming body for sessions, drained with `Next` long polls).
//!
//! Timeouts: an ordinary request gets [`BUDGET`] in all, shared by up to three servers (at most
//! [`TRY_TIMEOUT`] each), so a region that just died answers "No path to region" in under 5 s even before
//! the mesh has noticed, and one with two unreachable servers still reaches a third; a blocking query gets
//! its `wait` plus margin per server. A server that did not answer is tried last for [`SUSPECT_FOR`], so
//! while the mesh has not yet noticed a cut-off server only the first request pays for it.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, Instant};

use axum::body::{Body, Bytes};
use axum::http::{HeaderName, HeaderValue, StatusCode};
use axum::response::Response;
use futures_util::stream;
use nomad_gossip::{Member, MeshHandle};

use super::hop_by_hop;
use super::serve::LONG_POLL;
use super::wire::{self, Call, ForwardReply, ForwardRequest};
use crate::api::error::ApiError;

/// Per server, for an ordinary request.
pub const TRY_TIMEOUT: Duration = Duration::from_secs(3);
/// For all servers of the region together, for an ordinary request.
pub const BUDGET: Duration = Duration::from_millis(4500);
/// Margin over a blocking query's wait (the server adds up to wait/16 of jitter).
const BLOCKING_MARGIN: Duration = Duration::from_secs(5);

/// Spreads requests over a region's servers.
static ROTATE: AtomicUsize = AtomicUsize::new(0);

/// A server that did not answer is tried last for this long (the mesh may take seconds, or a minute
/// under WAN timing, to call it failed; meanwhile only the first request pays its timeout).
pub const SUSPECT_FOR: Duration = Duration::from_secs(30);

/// When each server last failed to answer a forwarded request (cleared when it answers).
fn suspects() -> std::sync::MutexGuard<'static, HashMap<SocketAddr, Instant>> {
    static SUSPECTS: OnceLock<Mutex<HashMap<SocketAddr, Instant>>> = OnceLock::new();
    SUSPECTS
        .get_or_init(Default::default)
        .lock()
        .unwrap_or_else(|p| p.into_inner())
}

/// The order to try a region's alive servers in: rotated by `turn` to spread the load, servers that
/// recently failed to answer last (still tried, in case they are back).
pub fn order<T>(mut servers: Vec<T>, turn: usize, suspect: impl Fn(&T) -> bool) -> Vec<T> {
    if servers.is_empty() {
        return servers;
    }
    let n = servers.len();
    servers.rotate_left(turn % n);
    let (mut fresh, late): (Vec<T>, Vec<T>) = servers.into_iter().partition(|s| !suspect(s));
    fresh.extend(late);
    fresh
}

/// Shortest per-server timeout of an ordinary request.
pub const MIN_TRY: Duration = Duration::from_secs(1);

/// How long to wait for a forwarded request.
#[derive(Debug, Clone, Copy)]
pub struct Deadline {
    pub per_try: Duration,
    pub total: Duration,
    /// Share `total` among up to three servers, so that two unreachable servers in a row (a region
    /// partly cut off, not yet noticed by the mesh) still leave time for a third.
    pub share: bool,
}

impl Deadline {
    /// An ordinary request.
    pub fn ordinary() -> Self {
        Deadline {
            per_try: TRY_TIMEOUT,
            total: BUDGET,
            share: true,
        }
    }

    /// A blocking query waiting up to `wait`.
    pub fn blocking(wait: Duration) -> Self {
        let per_try = wait + wait / 16 + BLOCKING_MARGIN;
        Deadline {
            per_try,
            total: per_try + TRY_TIMEOUT,
            share: false,
        }
    }

    /// The per-server timeout when the region has `servers` alive servers: 3 s with one, 2.25 s with
    /// two, 1.5 s with three or more.
    pub fn per_try_for(&self, servers: usize) -> Duration {
        if !self.share {
            return self.per_try;
        }
        let ways = u32::try_from(servers.clamp(1, 3)).unwrap_or(3);
        (self.total / ways).clamp(MIN_TRY, self.per_try)
    }
}

/// Forwards `call` to region `region` and returns the reply as a response.
pub async fn forward(
    mesh: &MeshHandle,
    region: &str,
    call: Call,
    deadline: Deadline,
) -> Result<Response, ApiError> {
    let servers = candidates(mesh, region)?;
    send_to(mesh, &servers, call, deadline)
        .await
        .map_err(|failures| {
            ApiError::Internal(format!(
                "No path to region {region:?}: no server answered ({failures})"
            ))
        })
}

/// The alive servers of `region` in the order to try them ([`order`]); "No path to region" when there
/// are none.
pub fn candidates(mesh: &MeshHandle, region: &str) -> Result<Vec<Member>, ApiError> {
    let servers = mesh.alive_in_region(region);
    if servers.is_empty() {
        return Err(ApiError::NoPathToRegion);
    }
    let now = Instant::now();
    let suspects = suspects();
    Ok(order(
        servers,
        ROTATE.fetch_add(1, Ordering::Relaxed),
        |m| {
            suspects
                .get(&m.addr)
                .is_some_and(|at| now.duration_since(*at) < SUSPECT_FOR)
        },
    ))
}

/// Notes whether the server at `addr` answered a forwarded request (one that did not is tried last
/// for a while).
pub fn answered(addr: SocketAddr, ok: bool) {
    if ok {
        suspects().remove(&addr);
    } else {
        suspects().insert(addr, Instant::now());
    }
}

/// Sends `call` to the first of `servers` (in that order) that answers within `deadline`; when none
/// does, what each one's failure was.
pub async fn send_to(
    mesh: &MeshHandle,
    servers: &[Member],
    call: Call,
    deadline: Deadline,
) -> Result<Response, String> {
    let stream = call.stream;
    let msg = Bytes::from(wire::encode(&ForwardRequest::Call(call)).map_err(|e| e.to_string())?);
    let began = Instant::now();
    let per_try = deadline.per_try_for(servers.len());
    let mut failures = Vec::new();
    for server in servers {
        let left = deadline.total.saturating_sub(began.elapsed());
        if left.is_zero() {
            break;
        }
        match mesh
            .request(server.addr, msg.clone(), per_try.min(left))
            .await
        {
            Ok(reply) => {
                answered(server.addr, true);
                let reply: ForwardReply = wire::decode(&reply).map_err(|e| e.to_string())?;
                return response(mesh.clone(), server.addr, reply, stream)
                    .map_err(|e| e.to_string());
            }
            Err(e) => {
                tracing::warn!(server = %server.name, error = %e, "forwarding failed, trying another server");
                answered(server.addr, false);
                failures.push(format!("{}: {e}", server.name));
            }
        }
    }
    Err(failures.join("; "))
}

/// Builds the HTTP response from the first reply.
fn response(
    mesh: MeshHandle,
    addr: SocketAddr,
    reply: ForwardReply,
    stream: bool,
) -> Result<Response, ApiError> {
    let ForwardReply::Response {
        status,
        headers,
        body,
        session,
        done,
    } = reply
    else {
        return Err(ApiError::Internal(
            "forwarding: unexpected reply to a request".into(),
        ));
    };
    let body = match session.filter(|_| stream && !done) {
        None => Body::from(body.0),
        Some(session) => Body::from_stream(follow(mesh, addr, session, body.0)),
    };
    let mut resp = Response::new(body);
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
    Ok(resp)
}

/// Cancels the remote session if the stream is dropped before it ended (the HTTP client went away).
struct CancelOnDrop {
    mesh: MeshHandle,
    addr: SocketAddr,
    session: u64,
    done: bool,
}

impl Drop for CancelOnDrop {
    fn drop(&mut self) {
        if self.done {
            return;
        }
        let (mesh, addr, session) = (self.mesh.clone(), self.addr, self.session);
        if let Ok(rt) = tokio::runtime::Handle::try_current() {
            rt.spawn(async move {
                if let Ok(msg) = wire::encode(&ForwardRequest::Cancel { session }) {
                    let _ = mesh.request(addr, msg.into(), TRY_TIMEOUT).await;
                }
            });
        }
    }
}

/// The body of a streamed reply: `first`, then every chunk the serving server has, until it is done.
fn follow(
    mesh: MeshHandle,
    addr: SocketAddr,
    session: u64,
    first: Vec<u8>,
) -> impl futures_util::Stream<Item = Result<Bytes, std::io::Error>> + Send + 'static {
    let guard = CancelOnDrop {
        mesh,
        addr,
        session,
        done: false,
    };
    stream::unfold((guard, Some(first)), move |(mut guard, first)| async move {
        if let Some(first) = first.filter(|b| !b.is_empty()) {
            return Some((Ok(Bytes::from(first)), (guard, None)));
        }
        loop {
            if guard.done {
                return None;
            }
            let msg = match wire::encode(&ForwardRequest::Next { session }) {
                Ok(m) => Bytes::from(m),
                Err(e) => return Some((Err(std::io::Error::other(e)), done(guard))),
            };
            let reply = guard
                .mesh
                .request(guard.addr, msg, LONG_POLL + TRY_TIMEOUT)
                .await
                .map_err(std::io::Error::other)
                .and_then(|r| wire::decode::<ForwardReply>(&r).map_err(std::io::Error::other));
            match reply {
                Ok(ForwardReply::Chunk { body, done: end }) => {
                    guard.done = end;
                    if !body.0.is_empty() {
                        return Some((Ok(Bytes::from(body.0)), (guard, None)));
                    }
                }
                Ok(ForwardReply::Gone) => return None,
                Ok(ForwardReply::Response { .. }) => {
                    let e = std::io::Error::other("forwarding: unexpected reply to Next");
                    return Some((Err(e), done(guard)));
                }
                Err(e) => {
                    tracing::warn!(error = %e, "forwarded stream lost");
                    return Some((Err(e), done(guard)));
                }
            }
        }
    })
}

fn done(mut guard: CancelOnDrop) -> (CancelOnDrop, Option<Vec<u8>>) {
    guard.done = true;
    (guard, None)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn servers_rotate_and_suspects_go_last() {
        assert_eq!(order(vec![1, 2, 3], 1, |_| false), [2, 3, 1]);
        assert_eq!(order(vec![1, 2, 3], 4, |&s| s == 2), [3, 1, 2]);
        assert_eq!(order(vec![1, 2, 3], 0, |_| true), [1, 2, 3]);
        assert!(order(Vec::<u8>::new(), 7, |_| false).is_empty());
    }

    #[test]
    fn ordinary_budget_is_shared_blocking_is_not() {
        let d = Deadline::ordinary();
        assert_eq!(d.per_try_for(1), TRY_TIMEOUT);
        assert_eq!(d.per_try_for(2), Duration::from_millis(2250));
        assert_eq!(d.per_try_for(5), Duration::from_millis(1500));
        // Three tries fit the budget, which stays under the 5 s.
        assert!(d.per_try_for(5) * 3 <= BUDGET && BUDGET < Duration::from_secs(5));
        let b = Deadline::blocking(Duration::from_secs(60));
        assert!(b.per_try_for(5) > Duration::from_secs(60));
        assert!(b.total > b.per_try);
    }
}
