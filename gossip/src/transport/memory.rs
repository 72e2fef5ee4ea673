//! The in-memory twin of the QUIC transport: a hub connecting transports in
//! one process, with the same contract (MTU-limited best-effort datagrams,
//! request/response with deadlines, message streams) and knobs for latency,
//! loss, crashed hosts and partitions. Loss is drawn from a seeded RNG. A
//! stream is checked for reachability when it opens; once open it is two
//! channels, which a later partition does not cut.

use std::collections::{BTreeMap, BTreeSet};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use bytes::Bytes;
use rand::rngs::StdRng;
use rand::{RngExt, SeedableRng};
use tokio::sync::mpsc;
use tokio_util::task::TaskTracker;

use super::{BoxFuture, HandlerSlot, InboundDatagram, MeshStream, Peer, Transport};
use crate::error::{Error, Result};

/// Link behaviour of the in-memory network.
#[derive(Clone, Debug)]
pub struct MemoryLink {
    pub latency: Duration,
    pub loss: f64,
    pub mtu: usize,
}

impl Default for MemoryLink {
    fn default() -> Self {
        Self {
            latency: Duration::ZERO,
            loss: 0.0,
            mtu: crate::MAX_DATAGRAM,
        }
    }
}

struct Node {
    inbound: mpsc::Sender<InboundDatagram>,
    handler: HandlerSlot,
}

struct Hub {
    nodes: BTreeMap<SocketAddr, Node>,
    link: MemoryLink,
    rng: StdRng,
    down: BTreeSet<SocketAddr>,
    groups: Option<BTreeMap<SocketAddr, usize>>,
    dropped: u64,
}

impl Hub {
    fn can_talk(&self, from: SocketAddr, to: SocketAddr) -> bool {
        if self.down.contains(&from) || self.down.contains(&to) || !self.nodes.contains_key(&to) {
            return false;
        }
        match &self.groups {
            None => true,
            Some(g) => matches!((g.get(&from), g.get(&to)), (Some(a), Some(b)) if a == b),
        }
    }
}

/// A set of in-memory transports that can reach each other.
#[derive(Clone)]
pub struct MemoryNetwork {
    hub: Arc<Mutex<Hub>>,
    tasks: TaskTracker,
}

impl MemoryNetwork {
    pub fn new(seed: u64, link: MemoryLink) -> Self {
        Self {
            hub: Arc::new(Mutex::new(Hub {
                nodes: BTreeMap::new(),
                link,
                rng: StdRng::seed_from_u64(seed),
                down: BTreeSet::new(),
                groups: None,
                dropped: 0,
            })),
            tasks: TaskTracker::new(),
        }
    }

    fn hub(&self) -> MutexGuard<'_, Hub> {
        self.hub.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// A transport at `addr`; its datagrams arrive on `inbound`, its requests
    /// go to `handler`. Replaces any transport previously at `addr`.
    pub fn attach(
        &self,
        addr: SocketAddr,
        inbound: mpsc::Sender<InboundDatagram>,
        handler: HandlerSlot,
    ) -> MemoryTransport {
        let mut hub = self.hub();
        hub.nodes.insert(addr, Node { inbound, handler });
        hub.down.remove(&addr);
        MemoryTransport {
            net: self.clone(),
            addr,
        }
    }

    /// A transport at `addr` with fresh channels, ready for `Mesh::start_with`.
    pub fn wiring(&self, addr: SocketAddr) -> crate::mesh::Wiring {
        let (tx, rx) = mpsc::channel(4096);
        let handler = HandlerSlot::default();
        let transport = self.attach(addr, tx, handler.clone());
        crate::mesh::Wiring {
            transport: Arc::new(transport),
            inbound: rx,
            handler,
        }
    }

    /// Marks a host crashed (or back).
    pub fn set_down(&self, addr: SocketAddr, down: bool) {
        let mut hub = self.hub();
        if down {
            hub.down.insert(addr);
        } else {
            hub.down.remove(&addr);
        }
    }

    /// Hosts talk only within their group; hosts in no group are isolated.
    pub fn partition(&self, groups: &[Vec<SocketAddr>]) {
        let mut map = BTreeMap::new();
        for (i, g) in groups.iter().enumerate() {
            for a in g {
                map.insert(*a, i);
            }
        }
        self.hub().groups = Some(map);
    }

    pub fn heal(&self) {
        self.hub().groups = None;
    }

    /// Datagrams dropped so far (loss, MTU, partitions, full queues).
    pub fn dropped(&self) -> u64 {
        self.hub().dropped
    }
}

/// One endpoint on a `MemoryNetwork`.
pub struct MemoryTransport {
    net: MemoryNetwork,
    addr: SocketAddr,
}

impl Transport for MemoryTransport {
    fn local_addr(&self) -> SocketAddr {
        self.addr
    }

    fn send_datagram(&self, to: SocketAddr, bytes: Bytes) {
        let (target, latency) = {
            let mut hub = self.net.hub();
            let loss = hub.link.loss.clamp(0.0, 1.0);
            let lost = loss > 0.0 && hub.rng.random_bool(loss);
            if bytes.len() > hub.link.mtu || lost || !hub.can_talk(self.addr, to) {
                hub.dropped += 1;
                return;
            }
            let Some(node) = hub.nodes.get(&to) else {
                return;
            };
            (node.inbound.clone(), hub.link.latency)
        };
        let datagram = InboundDatagram {
            peer: Peer {
                addr: self.addr,
                name: None,
            },
            bytes,
        };
        if latency.is_zero() {
            if target.try_send(datagram).is_err() {
                self.net.hub().dropped += 1;
            }
        } else {
            self.net.tasks.spawn(async move {
                tokio::time::sleep(latency).await;
                let _ = target.try_send(datagram);
            });
        }
    }

    fn connect(&self, to: SocketAddr, _timeout: Duration) -> BoxFuture<'_, Result<()>> {
        let ok = self.net.hub().can_talk(self.addr, to);
        Box::pin(async move {
            if ok {
                Ok(())
            } else {
                Err(Error::Connect {
                    addr: to,
                    reason: "unreachable".into(),
                })
            }
        })
    }

    fn request(
        &self,
        to: SocketAddr,
        body: Bytes,
        timeout: Duration,
    ) -> BoxFuture<'_, Result<Bytes>> {
        let (handler, latency) = {
            let hub = self.net.hub();
            let handler = hub
                .can_talk(self.addr, to)
                .then(|| hub.nodes.get(&to).map(|n| n.handler.get()))
                .flatten();
            (handler, hub.link.latency)
        };
        let from = Peer {
            addr: self.addr,
            name: None,
        };
        Box::pin(async move {
            let call = async {
                let Some(slot) = handler else {
                    // Unreachable: like a dead peer, the answer never comes.
                    std::future::pending::<()>().await;
                    return Err(Error::Timeout(to));
                };
                let Some(handler) = slot else {
                    return Err(Error::Request {
                        addr: to,
                        reason: "no request handler registered".into(),
                    });
                };
                tokio::time::sleep(latency * 2).await;
                handler(from, body)
                    .await
                    .map_err(|reason| Error::Request { addr: to, reason })
            };
            tokio::time::timeout(timeout, call)
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
        let (handler, latency) = {
            let hub = self.net.hub();
            let handler = hub
                .can_talk(self.addr, to)
                .then(|| hub.nodes.get(&to).map(|n| n.handler.get_stream()))
                .flatten();
            (handler, hub.link.latency)
        };
        let from = Peer {
            addr: self.addr,
            name: None,
        };
        let tasks = self.net.tasks.clone();
        Box::pin(async move {
            let Some(slot) = handler else {
                // Unreachable: like a dead peer, the connection never comes up.
                tokio::time::sleep(timeout).await;
                return Err(Error::Timeout(to));
            };
            let (ours, theirs) = MeshStream::pair();
            tokio::time::sleep(latency).await;
            match slot {
                Some(handler) => {
                    tasks.spawn(handler(from, opening, theirs));
                }
                // As over QUIC: the peer finishes the stream at once.
                None => drop(theirs),
            }
            Ok(ours)
        })
    }

    fn forget(&self, _to: SocketAddr) {}

    fn shutdown(&self) -> BoxFuture<'_, ()> {
        let addr = self.addr;
        self.net.hub().nodes.remove(&addr);
        Box::pin(async {})
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn addr(n: u8) -> SocketAddr {
        SocketAddr::from(([10, 0, 0, n], 4648))
    }

    #[tokio::test]
    async fn datagrams_respect_mtu_and_partitions() {
        let net = MemoryNetwork::new(1, MemoryLink::default());
        let (tx1, _rx1) = mpsc::channel(8);
        let (tx2, mut rx2) = mpsc::channel(8);
        let t1 = net.attach(addr(1), tx1, HandlerSlot::default());
        let _t2 = net.attach(addr(2), tx2, HandlerSlot::default());
        t1.send_datagram(addr(2), Bytes::from_static(b"hi"));
        let got = rx2.recv().await.unwrap();
        assert_eq!((got.peer.addr, &got.bytes[..]), (addr(1), &b"hi"[..]));
        t1.send_datagram(addr(2), Bytes::from(vec![0; 5000]));
        net.partition(&[vec![addr(1)], vec![addr(2)]]);
        t1.send_datagram(addr(2), Bytes::from_static(b"x"));
        assert_eq!(net.dropped(), 2);
        assert!(rx2.try_recv().is_err());
        assert!(t1.connect(addr(2), Duration::from_secs(1)).await.is_err());
    }

    #[tokio::test]
    async fn requests_reach_the_handler_and_time_out_when_cut() {
        let net = MemoryNetwork::new(1, MemoryLink::default());
        let (tx1, _rx1) = mpsc::channel(8);
        let (tx2, _rx2) = mpsc::channel(8);
        let t1 = net.attach(addr(1), tx1, HandlerSlot::default());
        let slot = HandlerSlot::default();
        let handler: super::super::RequestHandler = Arc::new(|peer: Peer, body: Bytes| {
            Box::pin(async move {
                let mut out = format!("{}:", peer.addr).into_bytes();
                out.extend_from_slice(&body);
                Ok(Bytes::from(out))
            })
        });
        slot.set(handler);
        let _t2 = net.attach(addr(2), tx2, slot);
        let reply = t1
            .request(addr(2), Bytes::from_static(b"ping"), Duration::from_secs(1))
            .await
            .unwrap();
        assert_eq!(&reply[..], b"10.0.0.1:4648:ping");
        net.set_down(addr(2), true);
        let err = t1
            .request(addr(2), Bytes::new(), Duration::from_millis(50))
            .await
            .unwrap_err();
        assert!(matches!(err, Error::Timeout(_)));
    }

    #[tokio::test]
    async fn streams_carry_messages_both_ways_until_a_side_ends() {
        let net = MemoryNetwork::new(1, MemoryLink::default());
        let (tx1, _rx1) = mpsc::channel(8);
        let (tx2, _rx2) = mpsc::channel(8);
        let t1 = net.attach(addr(1), tx1, HandlerSlot::default());
        let slot = HandlerSlot::default();
        // An echo service that says what it was opened with first.
        let handler: super::super::StreamHandler =
            Arc::new(|_peer: Peer, opening: Bytes, mut s: MeshStream| {
                Box::pin(async move {
                    let _ = s.tx.send(opening).await;
                    while let Some(m) = s.rx.recv().await {
                        let _ = s.tx.send(m).await;
                    }
                })
            });
        slot.set_stream(handler);
        let _t2 = net.attach(addr(2), tx2, slot);
        let mut s = t1
            .open_stream(
                addr(2),
                Bytes::from_static(b"hello"),
                Duration::from_secs(1),
            )
            .await
            .unwrap();
        assert_eq!(&s.rx.recv().await.unwrap()[..], b"hello");
        s.tx.send(Bytes::from_static(b"one")).await.unwrap();
        assert_eq!(&s.rx.recv().await.unwrap()[..], b"one");
        drop(s.tx);
        assert!(s.rx.recv().await.is_none());
        net.set_down(addr(2), true);
        let err = t1
            .open_stream(addr(2), Bytes::new(), Duration::from_millis(50))
            .await
            .unwrap_err();
        assert!(matches!(err, Error::Timeout(_)));
    }
}
