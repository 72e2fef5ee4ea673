//! The per-peer connection table. Pure bookkeeping under one mutex, never held
//! across an await; the transport does the dialing.
//!
//! ```text
//!   (none) --send/request--> Connecting --ok--> Up --closed/forget--> (none)
//!                                |                 
//!                                +--fail--> Backoff --expired + send--> Connecting
//! ```
//! While Connecting, a few datagrams wait (the rest are dropped and counted):
//! a probe never waits on a handshake. Backoff grows with each failure, with
//! jitter, so a dead peer is not redialed on every probe.

use std::collections::{HashMap, VecDeque};
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use tokio::sync::oneshot;

/// An established, authenticated connection.
#[derive(Clone, Debug)]
pub(crate) struct Conn {
    pub(crate) conn: quinn::Connection,
    /// The member name the peer proved in the hello.
    pub(crate) peer: Arc<str>,
}

impl Conn {
    fn is_open(&self) -> bool {
        self.conn.close_reason().is_none()
    }
}

/// Someone waiting for a connection (a request or an explicit connect).
pub(crate) type Waiter = oneshot::Sender<Result<Conn, String>>;

enum Slot {
    Connecting {
        pending: VecDeque<Bytes>,
        waiters: Vec<Waiter>,
    },
    Up(Conn),
    Backoff {
        until: Instant,
    },
}

/// What the caller must do after `send`.
pub(crate) enum SendAction {
    /// Send on this connection now.
    Send(Conn, Bytes),
    /// Queued behind a handshake in progress.
    Queued,
    /// Start dialing (the datagram is queued).
    Dial,
    /// Dropped: queue full, peer backing off, or the pool is full.
    Dropped,
}

/// What the caller must do after `acquire`.
pub(crate) enum AcquireAction {
    Ready(Conn),
    /// Wait on the receiver; dial first if `dial` is set.
    Wait {
        rx: oneshot::Receiver<Result<Conn, String>>,
        dial: bool,
    },
    Full,
}

pub(crate) struct Pool {
    slots: HashMap<SocketAddr, Slot>,
    /// Failure counts survive a successful connection only until it is used.
    failures: HashMap<SocketAddr, u32>,
    max_connections: usize,
    max_pending: usize,
}

impl Pool {
    pub(crate) fn new(max_connections: usize, max_pending: usize) -> Self {
        Self {
            slots: HashMap::new(),
            failures: HashMap::new(),
            max_connections,
            max_pending,
        }
    }

    fn has_room(&self, to: SocketAddr) -> bool {
        self.slots.contains_key(&to) || self.slots.len() < self.max_connections
    }

    /// A datagram for `to`.
    pub(crate) fn send(&mut self, to: SocketAddr, bytes: Bytes, now: Instant) -> SendAction {
        if !self.has_room(to) {
            return SendAction::Dropped;
        }
        let max_pending = self.max_pending;
        match self.slots.get_mut(&to) {
            Some(Slot::Up(conn)) if conn.is_open() => return SendAction::Send(conn.clone(), bytes),
            Some(Slot::Connecting { pending, .. }) => {
                if pending.len() < max_pending {
                    pending.push_back(bytes);
                    return SendAction::Queued;
                }
                return SendAction::Dropped;
            }
            Some(Slot::Backoff { until, .. }) if *until > now => return SendAction::Dropped,
            _ => {}
        }
        self.slots.insert(
            to,
            Slot::Connecting {
                pending: VecDeque::from([bytes]),
                waiters: Vec::new(),
            },
        );
        SendAction::Dial
    }

    /// A connection for a request or an explicit connect (ignores backoff:
    /// a caller asked for it).
    pub(crate) fn acquire(&mut self, to: SocketAddr) -> AcquireAction {
        if !self.has_room(to) {
            return AcquireAction::Full;
        }
        let (tx, rx) = oneshot::channel();
        match self.slots.get_mut(&to) {
            Some(Slot::Up(conn)) if conn.is_open() => return AcquireAction::Ready(conn.clone()),
            Some(Slot::Connecting { waiters, .. }) => {
                waiters.push(tx);
                return AcquireAction::Wait { rx, dial: false };
            }
            _ => {}
        }
        self.slots.insert(
            to,
            Slot::Connecting {
                pending: VecDeque::new(),
                waiters: vec![tx],
            },
        );
        AcquireAction::Wait { rx, dial: true }
    }

    /// A dial finished. Returns datagrams to flush on success.
    pub(crate) fn dial_done(
        &mut self,
        to: SocketAddr,
        result: Result<Conn, String>,
        now: Instant,
        jitter: f64,
    ) -> Vec<Bytes> {
        let previous = self.slots.remove(&to);
        let (pending, waiters) = match previous {
            Some(Slot::Connecting { pending, waiters }) => (pending, waiters),
            // Someone accepted a connection from the peer meanwhile: keep it.
            Some(Slot::Up(conn)) if conn.is_open() => {
                self.slots.insert(to, Slot::Up(conn));
                return Vec::new();
            }
            _ => (VecDeque::new(), Vec::new()),
        };
        match result {
            Ok(conn) => {
                self.failures.remove(&to);
                for w in waiters {
                    let _ = w.send(Ok(conn.clone()));
                }
                self.slots.insert(to, Slot::Up(conn));
                pending.into()
            }
            Err(reason) => {
                let failures = self
                    .failures
                    .get(&to)
                    .copied()
                    .unwrap_or(0)
                    .saturating_add(1);
                self.failures.insert(to, failures);
                for w in waiters {
                    let _ = w.send(Err(reason.clone()));
                }
                let until = now + backoff(failures, jitter);
                self.slots.insert(to, Slot::Backoff { until });
                Vec::new()
            }
        }
    }

    /// The peer connected to us. Returns datagrams that were waiting for a
    /// connection to it. If we already have one up, that one stays on record
    /// and the new one is only read from.
    pub(crate) fn accepted(&mut self, addr: SocketAddr, conn: Conn) -> Vec<Bytes> {
        match self.slots.remove(&addr) {
            Some(Slot::Up(existing)) if existing.is_open() => {
                self.slots.insert(addr, Slot::Up(existing));
                Vec::new()
            }
            Some(Slot::Connecting { pending, waiters }) => {
                for w in waiters {
                    let _ = w.send(Ok(conn.clone()));
                }
                self.failures.remove(&addr);
                self.slots.insert(addr, Slot::Up(conn));
                pending.into()
            }
            _ => {
                if self.slots.len() < self.max_connections {
                    self.failures.remove(&addr);
                    self.slots.insert(addr, Slot::Up(conn));
                }
                Vec::new()
            }
        }
    }

    /// A connection closed; forget it if it is the one on record.
    pub(crate) fn closed(&mut self, addr: SocketAddr, stable_id: usize) {
        if let Some(Slot::Up(conn)) = self.slots.get(&addr)
            && conn.conn.stable_id() == stable_id
        {
            self.slots.remove(&addr);
        }
    }

    /// Drops the peer's slot; returns its connection to close.
    pub(crate) fn remove(&mut self, addr: SocketAddr) -> Option<Conn> {
        self.failures.remove(&addr);
        match self.slots.remove(&addr) {
            Some(Slot::Up(conn)) => Some(conn),
            Some(other @ Slot::Connecting { .. }) => {
                // A dial is in flight; let it land and be used normally.
                self.slots.insert(addr, other);
                None
            }
            _ => None,
        }
    }

    /// Every open connection (for shutdown).
    pub(crate) fn drain(&mut self) -> Vec<Conn> {
        self.slots
            .drain()
            .filter_map(|(_, s)| match s {
                Slot::Up(c) => Some(c),
                _ => None,
            })
            .collect()
    }

    pub(crate) fn len(&self) -> usize {
        self.slots.len()
    }
}

/// 250 ms doubling per failure up to 30 s, scaled by `jitter` in [0.5, 1.5).
pub(crate) fn backoff(failures: u32, jitter: f64) -> Duration {
    let base = Duration::from_millis(250) * 2u32.saturating_pow(failures.saturating_sub(1).min(7));
    base.min(Duration::from_secs(30))
        .mul_f64(jitter.clamp(0.5, 1.5))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn addr(n: u8) -> SocketAddr {
        SocketAddr::from(([10, 0, 0, n], 4648))
    }

    #[test]
    fn datagrams_queue_while_dialing_then_back_off_on_failure() {
        let mut pool = Pool::new(8, 2);
        let now = Instant::now();
        assert!(matches!(
            pool.send(addr(1), Bytes::from_static(b"a"), now),
            SendAction::Dial
        ));
        assert!(matches!(
            pool.send(addr(1), Bytes::from_static(b"b"), now),
            SendAction::Queued
        ));
        assert!(matches!(
            pool.send(addr(1), Bytes::from_static(b"c"), now),
            SendAction::Dropped
        ));
        let flushed = pool.dial_done(addr(1), Err("refused".into()), now, 1.0);
        assert!(flushed.is_empty());
        // Backing off: probes are dropped, not redialed.
        assert!(matches!(
            pool.send(addr(1), Bytes::from_static(b"d"), now),
            SendAction::Dropped
        ));
        let later = now + Duration::from_secs(1);
        assert!(matches!(
            pool.send(addr(1), Bytes::from_static(b"e"), later),
            SendAction::Dial
        ));
    }

    #[test]
    fn waiters_are_told_when_a_dial_fails_and_the_pool_is_bounded() {
        let mut pool = Pool::new(1, 4);
        let AcquireAction::Wait { mut rx, dial: true } = pool.acquire(addr(1)) else {
            panic!("expected a dial");
        };
        assert!(matches!(pool.acquire(addr(2)), AcquireAction::Full));
        assert!(matches!(
            pool.send(addr(2), Bytes::new(), Instant::now()),
            SendAction::Dropped
        ));
        pool.dial_done(addr(1), Err("nope".into()), Instant::now(), 1.0);
        assert_eq!(rx.try_recv().unwrap().unwrap_err(), "nope");
        assert_eq!(pool.len(), 1);
    }

    #[test]
    fn backoff_grows_and_caps() {
        assert_eq!(backoff(1, 1.0), Duration::from_millis(250));
        assert_eq!(backoff(2, 1.0), Duration::from_millis(500));
        assert_eq!(backoff(30, 1.0), Duration::from_secs(30));
        assert!(backoff(3, 0.5) < backoff(3, 1.4));
    }
}
