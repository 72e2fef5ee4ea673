//! A deterministic cluster of `MeshCore`s on a `SimNetwork` and a virtual
//! clock: the harness behind the membership tests and `nomad-sim`. One seed
//! reproduces a run exactly.

use std::cmp::Reverse;
use std::collections::{BTreeMap, BinaryHeap};
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use rand::SeedableRng;
use rand::rngs::StdRng;

use super::network::{LinkConfig, SimNetwork};
use crate::core::{CoreTimer, Effects, MeshConfig, MeshCore};
use crate::error::Result;
use crate::identity::Identity;
use crate::member::{Member, MemberEvent, MemberStatus};
use crate::meta::MemberMeta;

/// One simulated server.
pub struct SimNode {
    pub core: MeshCore,
    pub addr: SocketAddr,
    pub node: String,
    pub region: String,
    /// False after `kill` until `restart`.
    pub running: bool,
    /// Bumped on restart so timers of a previous life are dropped.
    generation: u64,
    /// Every event this node published, with the virtual time since start.
    pub events: Vec<(Duration, MemberEvent)>,
}

/// A timer's payload; the heap holds only (deadline, order, slot) so that
/// sifting moves small entries.
struct PendingTimer {
    node: usize,
    generation: u64,
    timer: CoreTimer,
}

/// Timers by deadline, ties in the order they were set.
#[derive(Default)]
struct TimerHeap {
    heap: BinaryHeap<Reverse<(Instant, u64, usize)>>,
    slots: Vec<Option<PendingTimer>>,
    free: Vec<usize>,
    seq: u64,
}

impl TimerHeap {
    fn push(&mut self, at: Instant, pending: PendingTimer) {
        let slot = match self.free.pop() {
            Some(i) => {
                self.slots[i] = Some(pending);
                i
            }
            None => {
                self.slots.push(Some(pending));
                self.slots.len() - 1
            }
        };
        self.seq += 1;
        self.heap.push(Reverse((at, self.seq, slot)));
    }

    fn next_at(&self) -> Option<Instant> {
        self.heap.peek().map(|Reverse((at, _, _))| *at)
    }

    fn pop(&mut self) -> Option<PendingTimer> {
        let Reverse((_, _, slot)) = self.heap.pop()?;
        self.free.push(slot);
        self.slots.get_mut(slot).and_then(Option::take)
    }

    fn len(&self) -> usize {
        self.heap.len()
    }
}

/// The harness.
pub struct SimCluster {
    start: Instant,
    now: Instant,
    seed: u64,
    pub net: SimNetwork,
    config: MeshConfig,
    nodes: Vec<SimNode>,
    by_addr: BTreeMap<SocketAddr, usize>,
    timers: TimerHeap,
    /// Keep per-node event logs (turn off for big simulations).
    pub record_events: bool,
    observer: Option<Observer>,
}

/// Called with (node index, virtual time since start, event) for every event.
pub type Observer = Box<dyn FnMut(usize, Duration, &MemberEvent)>;

impl SimCluster {
    pub fn new(seed: u64, config: MeshConfig, link: LinkConfig) -> Self {
        let start = Instant::now();
        Self {
            start,
            now: start,
            seed,
            net: SimNetwork::new(seed ^ 0x9e37_79b9_7f4a_7c15, link),
            config,
            nodes: Vec::new(),
            by_addr: BTreeMap::new(),
            timers: TimerHeap::default(),
            record_events: true,
            observer: None,
        }
    }

    /// Sees every event as it happens (simulations measure with this).
    pub fn set_observer(&mut self, observer: Observer) {
        self.observer = Some(observer);
    }

    /// Virtual time since the start.
    pub fn elapsed(&self) -> Duration {
        self.now - self.start
    }

    pub fn now(&self) -> Instant {
        self.now
    }

    pub fn len(&self) -> usize {
        self.nodes.len()
    }

    pub fn is_empty(&self) -> bool {
        self.nodes.is_empty()
    }

    /// Timers and datagrams waiting to be processed.
    pub fn pending(&self) -> (usize, usize) {
        (self.timers.len(), self.net.in_flight())
    }

    pub fn node(&self, i: usize) -> &SimNode {
        &self.nodes[i]
    }

    pub fn node_mut(&mut self, i: usize) -> &mut SimNode {
        &mut self.nodes[i]
    }

    /// `<node>.<region>` of node `i`.
    pub fn name(&self, i: usize) -> String {
        format!("{}.{}", self.nodes[i].node, self.nodes[i].region)
    }

    /// Adds a server `s<i>` in region `global`; returns its index.
    pub fn add_node(&mut self) -> Result<usize> {
        let i = self.nodes.len();
        self.add_node_named(&format!("s{i}"), "global")
    }

    /// Adds a server with the given node name and region.
    pub fn add_node_named(&mut self, node: &str, region: &str) -> Result<usize> {
        let i = self.nodes.len();
        let octets = u32::try_from(i + 1).unwrap_or(u32::MAX).to_be_bytes();
        let addr = SocketAddr::from(([10, octets[1], octets[2], octets[3]], 4648));
        let core = self.make_core(node, region, addr, i)?;
        self.nodes.push(SimNode {
            core,
            addr,
            node: node.to_owned(),
            region: region.to_owned(),
            running: true,
            generation: 0,
            events: Vec::new(),
        });
        self.by_addr.insert(addr, i);
        let effects = self.nodes[i].core.start(self.now);
        self.apply(i, effects);
        Ok(i)
    }

    fn make_core(&self, node: &str, region: &str, addr: SocketAddr, i: usize) -> Result<MeshCore> {
        let incarnation = u64::try_from(self.elapsed().as_millis()).unwrap_or(u64::MAX) + 1;
        let id = Identity::new(format!("{node}.{region}"), addr, incarnation);
        let rpc = SocketAddr::new(addr.ip(), 4647);
        let http = SocketAddr::new(addr.ip(), 4646);
        let meta = MemberMeta::new(node, region, "dc1", rpc, http);
        let seed = self.seed.wrapping_mul(1_000_003).wrapping_add(i as u64) ^ incarnation;
        MeshCore::new(
            id,
            meta,
            self.config.clone(),
            StdRng::seed_from_u64(seed),
            self.now,
        )
    }

    /// Starts from a converged mesh: every running node is told every
    /// running node's current record and liveness at once
    /// (`MeshCore::seed_converged`), instead of learning them through a mass
    /// join. What happens next goes through the real protocol. The timers
    /// this sets (probe and gossip rounds) are spread evenly over `spread`
    /// so that the members do not all probe in the same instant, as members
    /// that joined at different times would not.
    pub fn seed_converged(&mut self, spread: Duration) {
        let records: Vec<_> = self
            .running()
            .map(|i| crate::intern::record(self.nodes[i].core.record().clone()))
            .collect();
        let running: Vec<usize> = self.running().collect();
        let count = u32::try_from(running.len()).unwrap_or(u32::MAX).max(1);
        for (k, i) in running.into_iter().enumerate() {
            let mut effects = self.nodes[i].core.seed_converged(&records, self.now);
            let offset = spread * u32::try_from(k).unwrap_or(u32::MAX) / count;
            for (after, _) in &mut effects.timers {
                *after += offset;
            }
            self.apply(i, effects);
        }
    }

    /// Node `i` joins through node `via`.
    pub fn join(&mut self, i: usize, via: usize) -> Result<()> {
        let addr = self.nodes[via].addr;
        let effects = self.nodes[i].core.join(addr, self.now)?;
        self.apply(i, effects);
        Ok(())
    }

    /// Crash: node `i` stops without a word.
    pub fn kill(&mut self, i: usize) {
        self.nodes[i].running = false;
        self.net.set_down(self.nodes[i].addr, true);
    }

    /// Restart node `i` (same name and address, a newer incarnation) and
    /// rejoin through `via`.
    pub fn restart(&mut self, i: usize, via: usize) -> Result<()> {
        let (node, region, addr) = {
            let n = &self.nodes[i];
            (n.node.clone(), n.region.clone(), n.addr)
        };
        let core = self.make_core(&node, &region, addr, i)?;
        let n = &mut self.nodes[i];
        n.core = core;
        n.generation += 1;
        n.running = true;
        self.net.set_down(addr, false);
        let effects = self.nodes[i].core.start(self.now);
        self.apply(i, effects);
        self.join(i, via)
    }

    pub fn leave(&mut self, i: usize) -> Result<()> {
        let effects = self.nodes[i].core.leave(self.now)?;
        self.apply(i, effects);
        Ok(())
    }

    pub fn force_leave(&mut self, i: usize, name: &str, prune: bool) -> Result<()> {
        let effects = self.nodes[i].core.force_leave(name, prune, self.now)?;
        self.apply(i, effects);
        Ok(())
    }

    pub fn set_meta(&mut self, i: usize, meta: MemberMeta) -> Result<()> {
        let effects = self.nodes[i].core.set_meta(meta, self.now)?;
        self.apply(i, effects);
        Ok(())
    }

    /// What node `i` thinks of member `name`.
    pub fn status_seen_by(&self, i: usize, name: &str) -> Option<MemberStatus> {
        self.nodes[i].core.member(name).map(|m| m.status)
    }

    pub fn members_of(&self, i: usize) -> Vec<Member> {
        self.nodes[i].core.members()
    }

    /// Indices of running nodes.
    pub fn running(&self) -> impl Iterator<Item = usize> + '_ {
        (0..self.nodes.len()).filter(|&i| self.nodes[i].running)
    }

    /// True when every running node sees every running node alive.
    pub fn converged(&self) -> bool {
        let names: Vec<String> = self.running().map(|i| self.name(i)).collect();
        self.running().all(|i| {
            names
                .iter()
                .all(|n| self.status_seen_by(i, n) == Some(MemberStatus::Alive))
        })
    }

    /// Runs until `cond` holds (checked every `step` of virtual time) or
    /// `limit` passes; returns whether it held.
    pub fn run_until(
        &mut self,
        limit: Duration,
        step: Duration,
        mut cond: impl FnMut(&Self) -> bool,
    ) -> bool {
        let end = self.now + limit;
        loop {
            if cond(self) {
                return true;
            }
            if self.now >= end {
                return false;
            }
            let next = (self.now + step).min(end);
            self.run_to(next);
        }
    }

    /// Runs for `d` of virtual time.
    pub fn run_for(&mut self, d: Duration) {
        let end = self.now + d;
        self.run_to(end);
    }

    /// Processes every timer and delivery due up to `end`, in time order.
    fn run_to(&mut self, end: Instant) {
        loop {
            let next_timer = self.timers.next_at();
            let next_packet = self.net.next_at();
            let next = match (next_timer, next_packet) {
                (Some(a), Some(b)) => a.min(b),
                (Some(a), None) | (None, Some(a)) => a,
                (None, None) => break,
            };
            if next > end {
                break;
            }
            self.now = self.now.max(next);
            if next_packet == Some(next) {
                if let Some(d) = self.net.pop_due(self.now)
                    && let Some(&i) = self.by_addr.get(&d.to)
                    && self.nodes[i].running
                {
                    let effects = self.nodes[i]
                        .core
                        .handle_datagram(d.from, &d.bytes, self.now);
                    self.apply(i, effects);
                }
                continue;
            }
            if let Some(t) = self.timers.pop() {
                let node = &mut self.nodes[t.node];
                if node.running && node.generation == t.generation {
                    let effects = node.core.handle_timer(t.timer, self.now);
                    self.apply(t.node, effects);
                }
            }
        }
        self.now = self.now.max(end);
    }

    fn apply(&mut self, i: usize, effects: Effects) {
        let from = self.nodes[i].addr;
        for (to, bytes) in effects.datagrams {
            self.net.send(self.now, from, to, bytes);
        }
        for (after, timer) in effects.timers {
            let pending = PendingTimer {
                node: i,
                generation: self.nodes[i].generation,
                timer,
            };
            self.timers.push(self.now + after, pending);
        }
        let at = self.elapsed();
        if let Some(observer) = self.observer.as_mut() {
            for e in &effects.events {
                observer(i, at, e);
            }
        }
        if self.record_events {
            self.nodes[i]
                .events
                .extend(effects.events.into_iter().map(|e| (at, e)));
        }
    }
}
