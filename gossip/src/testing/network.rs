//! A simulated datagram network on a virtual clock: latency with jitter,
//! random loss, an MTU, crashed hosts, cut links and partitions, all
//! deterministic from one seed. It carries the exact bytes the cores produce,
//! so the real codec is on the path.

use std::cmp::{Ordering, Reverse};
use std::collections::{BTreeMap, BTreeSet, BinaryHeap};
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use bytes::Bytes;
use rand::rngs::StdRng;
use rand::{RngExt, SeedableRng};

/// Behaviour of every link.
#[derive(Clone, Debug)]
pub struct LinkConfig {
    /// One-way delay.
    pub latency: Duration,
    /// Extra delay drawn uniformly from `0..=jitter`.
    pub jitter: Duration,
    /// Probability (0..1) that a datagram is lost.
    pub loss: f64,
    /// Datagrams larger than this are dropped (as a path MTU would).
    pub mtu: usize,
}

impl Default for LinkConfig {
    fn default() -> Self {
        Self {
            latency: Duration::from_millis(1),
            jitter: Duration::ZERO,
            loss: 0.0,
            mtu: crate::MAX_DATAGRAM,
        }
    }
}

/// A datagram in flight.
#[derive(Debug)]
pub struct Delivery {
    pub at: Instant,
    seq: u64,
    pub from: SocketAddr,
    pub to: SocketAddr,
    pub bytes: Bytes,
}

impl PartialEq for Delivery {
    fn eq(&self, other: &Self) -> bool {
        (self.at, self.seq) == (other.at, other.seq)
    }
}
impl Eq for Delivery {}
impl PartialOrd for Delivery {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for Delivery {
    fn cmp(&self, other: &Self) -> Ordering {
        (self.at, self.seq).cmp(&(other.at, other.seq))
    }
}

/// Counters of what the network did.
#[derive(Clone, Debug, Default)]
pub struct NetStats {
    pub sent: u64,
    pub delivered: u64,
    pub lost: u64,
    pub too_big: u64,
    pub blocked: u64,
    /// Bytes sent per source address.
    pub bytes_by_sender: BTreeMap<SocketAddr, u64>,
}

/// The simulated network.
pub struct SimNetwork {
    rng: StdRng,
    link: LinkConfig,
    queue: BinaryHeap<Reverse<Delivery>>,
    seq: u64,
    down: BTreeSet<SocketAddr>,
    cuts: BTreeSet<(SocketAddr, SocketAddr)>,
    /// When set, only hosts in the same group can talk.
    groups: Option<BTreeMap<SocketAddr, usize>>,
    stats: NetStats,
}

impl SimNetwork {
    pub fn new(seed: u64, link: LinkConfig) -> Self {
        Self {
            rng: StdRng::seed_from_u64(seed),
            link,
            queue: BinaryHeap::new(),
            seq: 0,
            down: BTreeSet::new(),
            cuts: BTreeSet::new(),
            groups: None,
            stats: NetStats::default(),
        }
    }

    pub fn link(&self) -> &LinkConfig {
        &self.link
    }

    pub fn set_link(&mut self, link: LinkConfig) {
        self.link = link;
    }

    pub fn stats(&self) -> &NetStats {
        &self.stats
    }

    /// A crashed host: nothing reaches it or leaves it.
    pub fn set_down(&mut self, addr: SocketAddr, down: bool) {
        if down {
            self.down.insert(addr);
        } else {
            self.down.remove(&addr);
        }
    }

    /// Cuts (or restores) the link between two hosts, both ways.
    pub fn set_cut(&mut self, a: SocketAddr, b: SocketAddr, cut: bool) {
        for pair in [(a, b), (b, a)] {
            if cut {
                self.cuts.insert(pair);
            } else {
                self.cuts.remove(&pair);
            }
        }
    }

    /// Splits the network: hosts talk only within their group. Hosts in no
    /// group are isolated.
    pub fn partition(&mut self, groups: &[Vec<SocketAddr>]) {
        let mut map = BTreeMap::new();
        for (i, group) in groups.iter().enumerate() {
            for addr in group {
                map.insert(*addr, i);
            }
        }
        self.groups = Some(map);
    }

    /// Removes any partition.
    pub fn heal(&mut self) {
        self.groups = None;
    }

    fn can_talk(&self, from: SocketAddr, to: SocketAddr) -> bool {
        if self.down.contains(&from) || self.down.contains(&to) || self.cuts.contains(&(from, to)) {
            return false;
        }
        match &self.groups {
            None => true,
            Some(g) => matches!((g.get(&from), g.get(&to)), (Some(a), Some(b)) if a == b),
        }
    }

    /// Puts a datagram on the wire at `now`.
    pub fn send(&mut self, now: Instant, from: SocketAddr, to: SocketAddr, bytes: Bytes) {
        self.stats.sent += 1;
        *self.stats.bytes_by_sender.entry(from).or_default() += bytes.len() as u64;
        if bytes.len() > self.link.mtu {
            self.stats.too_big += 1;
            return;
        }
        if !self.can_talk(from, to) {
            self.stats.blocked += 1;
            return;
        }
        if self.link.loss > 0.0 && self.rng.random_bool(self.link.loss.clamp(0.0, 1.0)) {
            self.stats.lost += 1;
            return;
        }
        let jitter = if self.link.jitter.is_zero() {
            Duration::ZERO
        } else {
            let max = u64::try_from(self.link.jitter.as_micros()).unwrap_or(u64::MAX);
            Duration::from_micros(self.rng.random_range(0..=max))
        };
        self.seq += 1;
        self.queue.push(Reverse(Delivery {
            at: now + self.link.latency + jitter,
            seq: self.seq,
            from,
            to,
            bytes,
        }));
    }

    /// Datagrams on the wire.
    pub fn in_flight(&self) -> usize {
        self.queue.len()
    }

    /// When the next datagram lands, if any.
    pub fn next_at(&self) -> Option<Instant> {
        self.queue.peek().map(|Reverse(d)| d.at)
    }

    /// The next datagram due at or before `now` that can still be delivered
    /// (a host that crashed or got cut meanwhile does not receive it).
    pub fn pop_due(&mut self, now: Instant) -> Option<Delivery> {
        while self.queue.peek().is_some_and(|Reverse(d)| d.at <= now) {
            let Reverse(d) = self.queue.pop()?;
            if self.can_talk(d.from, d.to) {
                self.stats.delivered += 1;
                return Some(d);
            }
            self.stats.blocked += 1;
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn a(n: u8) -> SocketAddr {
        SocketAddr::from(([10, 0, 0, n], 4648))
    }

    #[test]
    fn delivers_after_latency_and_honours_mtu_and_partitions() {
        let t0 = Instant::now();
        let mut net = SimNetwork::new(1, LinkConfig::default());
        net.send(t0, a(1), a(2), Bytes::from_static(b"hi"));
        net.send(t0, a(1), a(2), Bytes::from(vec![0; 2000]));
        assert_eq!(net.stats().too_big, 1);
        assert!(net.pop_due(t0).is_none());
        let d = net.pop_due(t0 + Duration::from_millis(1)).unwrap();
        assert_eq!((d.from, d.to, &d.bytes[..]), (a(1), a(2), &b"hi"[..]));

        net.partition(&[vec![a(1)], vec![a(2)]]);
        net.send(t0, a(1), a(2), Bytes::from_static(b"x"));
        assert_eq!(net.stats().blocked, 1);
        net.heal();
        net.send(t0, a(1), a(2), Bytes::from_static(b"y"));
        assert!(net.pop_due(t0 + Duration::from_secs(1)).is_some());
    }

    #[test]
    fn loss_is_deterministic_per_seed() {
        let run = |seed| {
            let t0 = Instant::now();
            let mut net = SimNetwork::new(
                seed,
                LinkConfig {
                    loss: 0.5,
                    ..LinkConfig::default()
                },
            );
            for _ in 0..200 {
                net.send(t0, a(1), a(2), Bytes::from_static(b"x"));
            }
            net.stats().lost
        };
        assert_eq!(run(7), run(7));
        let lost = run(7);
        assert!((50..150).contains(&lost), "lost {lost} of 200 at 50%");
    }
}
