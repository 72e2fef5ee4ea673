//! `MeshCore`: the sans-IO membership core.
//!
//! A plain struct wrapping foca and the member view. Every input (a datagram,
//! a timer, a command) takes `now` from the caller and returns `Effects`:
//! datagrams to send, timers to set, member events to publish. It never reads
//! a clock, draws from a global RNG, or touches a socket, so the same core runs
//! under the QUIC driver and on a simulated network.
//!
//! Local lifecycle:
//! ```text
//! Running --leave()--> Leaving --(leave_propagate_delay)--> Left
//! ```

mod config;
mod effects;
mod react;
#[cfg(any(test, feature = "testing"))]
mod seed;
mod sync;

use std::net::SocketAddr;
use std::time::Instant;

use foca::{AccumulatingRuntime, Foca};
use rand::rngs::StdRng;

pub use self::config::{MAX_DATAGRAM, MeshConfig, Profile};
pub use self::effects::{CoreTimer, Effects, Stats};
use crate::broadcast::RecordHandler;
use crate::codec::{self, RmpCodec};
use crate::error::{Error, Result};
use crate::identity::Identity;
use crate::member::Member;
use crate::meta::{Intent, MemberMeta, MemberRecord};
use crate::view::{SharedView, View};
use crate::wire::{self, Packet};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Phase {
    Running,
    Leaving,
    Left,
}

/// How many `join` addresses a member remembers for re-announcing.
const MAX_JOIN_SEEDS: usize = 16;

/// The membership state machine of one member.
pub struct MeshCore {
    foca: Foca<Identity, RmpCodec, StdRng, RecordHandler>,
    rt: AccumulatingRuntime<Identity>,
    view: SharedView,
    config: MeshConfig,
    /// Our newest record (what we tell the mesh about ourselves).
    record: MemberRecord,
    phase: Phase,
    /// The member count foca's config was last sized for.
    sized_for: usize,
    /// Round-robin position for periodic syncs.
    sync_cursor: usize,
    /// Addresses `join` was given: re-announced to while we know nobody, so a
    /// join whose every packet was lost is retried instead of leaving us alone.
    join_seeds: Vec<SocketAddr>,
    stats: Stats,
    out: Effects,
}

impl MeshCore {
    /// A member that knows only itself. `meta.name` must equal the identity's
    /// name and `meta.region` its region. Call `start` next, then `join`.
    pub fn new(
        identity: Identity,
        meta: MemberMeta,
        config: MeshConfig,
        rng: StdRng,
        now: Instant,
    ) -> Result<Self> {
        let record = MemberRecord {
            id: identity.clone(),
            version: 1,
            intent: Intent::Alive,
            meta,
        };
        check_record(&record, &config)?;
        let view = SharedView::new(View::new(record.clone(), now));
        let handler = RecordHandler::new(view.clone());
        let foca =
            Foca::with_custom_broadcast(identity, config.foca_config(1), rng, RmpCodec, handler);
        let mut core = Self {
            foca,
            rt: AccumulatingRuntime::new(),
            view,
            config,
            record,
            phase: Phase::Running,
            sized_for: 1,
            sync_cursor: 0,
            join_seeds: Vec::new(),
            stats: Stats::default(),
            out: Effects::default(),
        };
        core.publish()?;
        Ok(core)
    }

    /// Schedules the core's own housekeeping. Call once, before anything else.
    pub fn start(&mut self, now: Instant) -> Effects {
        self.begin(now);
        self.out
            .timers
            .push((self.config.housekeeping_interval, CoreTimer::Housekeeping));
        if let Some(every) = self.config.sync_interval {
            self.out.timers.push((every, CoreTimer::Sync));
        }
        self.finish()
    }

    /// Our current identity (changes when foca renews it).
    pub fn identity(&self) -> &Identity {
        self.foca.identity()
    }

    /// Our newest record.
    pub fn record(&self) -> &MemberRecord {
        &self.record
    }

    /// The local member as the mesh sees it.
    pub fn local(&self) -> Option<Member> {
        self.view.lock().member(self.record.id.name())
    }

    /// Every visible member (the local one included), sorted by name.
    pub fn members(&self) -> Vec<Member> {
        self.view.lock().members()
    }

    /// One member by name.
    pub fn member(&self, name: &str) -> Option<Member> {
        self.view.lock().member(name)
    }

    /// How many members (this one included) are shown alive; cheaper than
    /// `members()` for metrics and simulations.
    pub fn alive_count(&self) -> usize {
        self.view.lock().alive_count()
    }

    /// How many other members foca considers active.
    pub fn num_active(&self) -> usize {
        self.foca.num_members()
    }

    pub fn stats(&self) -> Stats {
        self.stats
    }

    /// True once a graceful leave has completed.
    pub fn has_left(&self) -> bool {
        self.phase == Phase::Left
    }

    /// The configured datagram limit.
    pub fn max_datagram(&self) -> usize {
        self.config.max_datagram.min(MAX_DATAGRAM)
    }

    /// Asks the member at `addr` to let us in.
    pub fn join(&mut self, addr: SocketAddr, now: Instant) -> Result<Effects> {
        if self.phase == Phase::Left {
            return Err(Error::Left);
        }
        self.begin(now);
        if !self.join_seeds.contains(&addr) && self.join_seeds.len() < MAX_JOIN_SEEDS {
            self.join_seeds.push(addr);
        }
        let result = self
            .foca
            .announce(Identity::placeholder(addr), &mut self.rt);
        self.send_sync_request(addr);
        self.out
            .timers
            .push((self.config.pull_interval, CoreTimer::JoinSync(addr)));
        let effects = self.finish();
        result?;
        Ok(effects)
    }

    /// A datagram from the network (unauthenticated transport).
    pub fn handle_datagram(&mut self, from: SocketAddr, bytes: &[u8], now: Instant) -> Effects {
        self.handle_datagram_inner(from, None, bytes, now)
    }

    /// A datagram that arrived over a connection proven to belong to member
    /// `peer_name`; packets claiming another sender are dropped.
    pub fn handle_authenticated_datagram(
        &mut self,
        from: SocketAddr,
        peer_name: &str,
        bytes: &[u8],
        now: Instant,
    ) -> Effects {
        self.handle_datagram_inner(from, Some(peer_name), bytes, now)
    }

    fn handle_datagram_inner(
        &mut self,
        from: SocketAddr,
        peer_name: Option<&str>,
        bytes: &[u8],
        now: Instant,
    ) -> Effects {
        self.begin(now);
        self.stats.datagrams_in += 1;
        self.stats.bytes_in += bytes.len() as u64;
        if self.phase == Phase::Left {
            self.stats.dropped_after_leave += 1;
            return self.finish();
        }
        let packet = match wire::decode(bytes, self.max_datagram()) {
            Ok(p) => p,
            Err(e) => {
                self.stats.dropped_malformed += 1;
                tracing::debug!(%from, error = %e, "dropped malformed datagram");
                return self.finish();
            }
        };
        if let Some(expected) = peer_name
            && packet.sender().name() != expected
        {
            self.stats.dropped_unauthenticated += 1;
            tracing::warn!(%from, expected, claimed = packet.sender().name(), "dropped datagram from a sender the connection did not prove");
            return self.finish();
        }
        match packet {
            Packet::Swim {
                sender,
                sender_version,
                payload,
            } => match self.foca.handle_data(payload, &mut self.rt) {
                Ok(()) => {
                    let pull = self.view.lock().want_record(
                        &sender,
                        Some(sender_version),
                        self.config.pull_interval,
                    );
                    if pull {
                        self.send_pull(sender.addr());
                    }
                }
                Err(e) => {
                    self.stats.dropped_malformed += 1;
                    tracing::debug!(%from, error = %e, "foca refused datagram");
                }
            },
            Packet::Pull { .. } => self.send_push(from),
            Packet::Push { record } => {
                let record = crate::intern::record(record);
                let outcome = self.view.lock().apply_record(record, false);
                tracing::trace!(%from, ?outcome, "record pushed");
            }
            Packet::SyncReq { digest, .. } => self.send_sync(from, digest),
            Packet::Sync { members, .. } => self.apply_sync(members),
        }
        self.finish()
    }

    /// A timer set by an earlier `Effects` is due.
    pub fn handle_timer(&mut self, timer: CoreTimer, now: Instant) -> Effects {
        self.begin(now);
        match timer {
            CoreTimer::Swim(t) => {
                if let Err(e) = self.foca.handle_timer(t, &mut self.rt) {
                    tracing::debug!(error = %e, "foca timer");
                }
            }
            CoreTimer::FinishLeave => self.finish_leave(),
            CoreTimer::Housekeeping => self.housekeeping(),
            CoreTimer::Sync => self.periodic_sync(),
            CoreTimer::JoinSync(addr) => {
                if self.phase == Phase::Running {
                    self.send_sync_request(addr);
                }
            }
        }
        self.finish()
    }

    /// Starts a graceful leave: spreads the intent, then goes quiet after
    /// `leave_propagate_delay` (watch `has_left`). Others will show `left`.
    pub fn leave(&mut self, now: Instant) -> Result<Effects> {
        match self.phase {
            Phase::Left => return Err(Error::Left),
            Phase::Leaving => return Ok(Effects::default()),
            Phase::Running => {}
        }
        self.begin(now);
        self.phase = Phase::Leaving;
        self.record.intent = Intent::Leave;
        self.record.version += 1;
        let result = self
            .publish()
            .and_then(|()| Ok(self.foca.gossip(&mut self.rt)?));
        if self.foca.num_members() == 0 {
            self.finish_leave();
        } else {
            self.out
                .timers
                .push((self.config.leave_propagate_delay, CoreTimer::FinishLeave));
        }
        let effects = self.finish();
        result?;
        Ok(effects)
    }

    /// Marks a member as left (Nomad's `server force-leave`); with `prune`,
    /// drops it from the list. A member that is in fact alive refutes this and
    /// comes back as alive.
    pub fn force_leave(&mut self, name: &str, prune: bool, now: Instant) -> Result<Effects> {
        if name == self.record.id.name() {
            return Err(Error::ForceLeaveLocal(name.to_owned()));
        }
        if self.phase == Phase::Left {
            return Err(Error::Left);
        }
        let Some(mut record) = self.view.lock().record(name).cloned() else {
            return Err(Error::UnknownMember(name.to_owned()));
        };
        self.begin(now);
        record.version += 1;
        record.intent = if prune { Intent::Prune } else { Intent::Leave };
        let result = codec::encode(&record)
            .map_err(Error::from)
            .and_then(|bytes| Ok(self.foca.add_broadcast(&bytes)?))
            .and_then(|_| Ok(self.foca.gossip(&mut self.rt)?));
        let effects = self.finish();
        result?;
        Ok(effects)
    }

    /// Replaces our metadata and spreads it.
    pub fn set_meta(&mut self, meta: MemberMeta, now: Instant) -> Result<Effects> {
        if self.phase == Phase::Left {
            return Err(Error::Left);
        }
        let mut record = self.record.clone();
        record.meta = meta;
        record.version += 1;
        check_record(&record, &self.config)?;
        self.begin(now);
        self.record = record;
        let result = self.publish();
        let effects = self.finish();
        result?;
        Ok(effects)
    }

    fn begin(&mut self, now: Instant) {
        self.view.lock().set_now(now);
    }

    /// Hands our record to foca to spread (the handler stores it in the view).
    pub(super) fn publish(&mut self) -> Result<()> {
        let bytes = codec::encode(&self.record)?;
        self.foca.add_broadcast(&bytes)?;
        Ok(())
    }

    fn finish_leave(&mut self) {
        if self.phase != Phase::Leaving {
            return;
        }
        if let Err(e) = self.foca.leave_cluster(&mut self.rt) {
            tracing::warn!(error = %e, "leave");
        }
        self.phase = Phase::Left;
        self.view.lock().local_down();
    }

    pub(super) fn push_datagram(&mut self, to: SocketAddr, bytes: bytes::Bytes) {
        self.stats.datagrams_out += 1;
        self.stats.bytes_out += bytes.len() as u64;
        self.out.datagrams.push((to, bytes));
    }
}

fn check_record(record: &MemberRecord, config: &MeshConfig) -> Result<()> {
    let meta = &record.meta;
    if meta.name.is_empty() || meta.name != record.id.name() {
        return Err(Error::InvalidMeta(format!(
            "name {:?} must equal the identity name {:?}",
            meta.name,
            record.id.name()
        )));
    }
    if meta.region.is_empty() || meta.region != record.id.region() {
        return Err(Error::InvalidMeta(format!(
            "name {:?} must end in \".{}\" (its region)",
            meta.name, meta.region
        )));
    }
    let size = codec::encode(record)?.len();
    let max = config.max_record();
    if size > max {
        return Err(Error::MetaTooLarge { size, max });
    }
    Ok(())
}

#[cfg(test)]
mod tests;
