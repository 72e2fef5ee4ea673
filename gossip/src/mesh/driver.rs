//! The task that owns the `MeshCore`: it feeds it inbound datagrams, due
//! timers and commands from `MeshHandle`s, and carries out the effects
//! (datagrams to the transport, timers to its queue, events to subscribers).
//!
//! Channels: `commands` is held by every `MeshHandle` clone; `events` and
//! `members` are read by handles (`subscribe`, `members`); `inbound` is fed by
//! the transport.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Instant;

use tokio::sync::{broadcast, mpsc, oneshot, watch};
use tokio_util::sync::CancellationToken;

use super::timers::TimerQueue;
use crate::core::{Effects, MeshCore, Stats};
use crate::error::Result;
use crate::member::{Member, MemberEvent, MemberEventKind};
use crate::meta::MemberMeta;
use crate::transport::{InboundDatagram, Transport};

/// Requests from handles to the driver.
pub(crate) enum Command {
    /// Announce to a peer the caller has already connected to.
    Announce {
        addr: SocketAddr,
        reply: oneshot::Sender<Result<()>>,
    },
    /// Graceful leave; answered once the leave has completed.
    Leave {
        reply: oneshot::Sender<Result<()>>,
    },
    ForceLeave {
        name: String,
        prune: bool,
        reply: oneshot::Sender<Result<()>>,
    },
    SetMeta {
        meta: Box<MemberMeta>,
        reply: oneshot::Sender<Result<()>>,
    },
    Stats {
        reply: oneshot::Sender<Stats>,
    },
}

/// The driver's clock: tokio's, so paused-time tests drive the core too.
fn now() -> Instant {
    tokio::time::Instant::now().into_std()
}

pub(crate) struct Driver {
    pub(crate) core: MeshCore,
    pub(crate) transport: Arc<dyn Transport>,
    pub(crate) inbound: mpsc::Receiver<InboundDatagram>,
    pub(crate) commands: mpsc::Receiver<Command>,
    pub(crate) events: broadcast::Sender<MemberEvent>,
    pub(crate) members: watch::Sender<Arc<Vec<Member>>>,
    pub(crate) cancel: CancellationToken,
    pub(crate) timers: TimerQueue,
    pub(crate) leave_waiters: Vec<oneshot::Sender<Result<()>>>,
}

impl Driver {
    /// Runs until cancelled, then shuts the transport down.
    pub(crate) async fn run(mut self) {
        let effects = self.core.start(now());
        self.apply(effects);
        self.members.send_replace(Arc::new(self.core.members()));
        loop {
            let deadline = self.timers.next_deadline();
            let sleep = async {
                match deadline {
                    Some(at) => tokio::time::sleep_until(tokio::time::Instant::from_std(at)).await,
                    None => std::future::pending().await,
                }
            };
            tokio::select! {
                biased;
                () = self.cancel.cancelled() => break,
                Some(d) = self.inbound.recv() => {
                    let now = now();
                    let effects = match &d.peer.name {
                        Some(name) => self.core.handle_authenticated_datagram(d.peer.addr, name, &d.bytes, now),
                        None => self.core.handle_datagram(d.peer.addr, &d.bytes, now),
                    };
                    self.apply(effects);
                }
                Some(cmd) = self.commands.recv() => self.command(cmd),
                () = sleep => {
                    let now = now();
                    while let Some(timer) = self.timers.pop_due(now) {
                        let effects = self.core.handle_timer(timer, now);
                        self.apply(effects);
                    }
                }
            }
        }
        for w in self.leave_waiters.drain(..) {
            let _ = w.send(Err(crate::Error::Shutdown));
        }
        self.transport.shutdown().await;
    }

    fn command(&mut self, cmd: Command) {
        let now = now();
        match cmd {
            Command::Announce { addr, reply } => {
                let result = self.core.join(addr, now).map(|e| self.apply(e));
                let _ = reply.send(result);
            }
            Command::Leave { reply } => match self.core.leave(now) {
                Ok(effects) => {
                    self.apply(effects);
                    if self.core.has_left() {
                        let _ = reply.send(Ok(()));
                    } else {
                        self.leave_waiters.push(reply);
                    }
                }
                Err(e) => {
                    let _ = reply.send(Err(e));
                }
            },
            Command::ForceLeave { name, prune, reply } => {
                let result = self
                    .core
                    .force_leave(&name, prune, now)
                    .map(|e| self.apply(e));
                let _ = reply.send(result);
            }
            Command::SetMeta { meta, reply } => {
                let result = self.core.set_meta(*meta, now).map(|e| self.apply(e));
                let _ = reply.send(result);
            }
            Command::Stats { reply } => {
                let _ = reply.send(self.core.stats());
            }
        }
    }

    fn apply(&mut self, effects: Effects) {
        let now = now();
        for (to, bytes) in effects.datagrams {
            self.transport.send_datagram(to, bytes);
        }
        for (after, timer) in effects.timers {
            self.timers.push(now + after, timer);
        }
        if !effects.events.is_empty() {
            let local = self.core.identity().name().to_owned();
            for event in effects.events {
                tracing::info!(member = %event.member.name, status = %event.member.status, kind = ?event.kind, "mesh member event");
                let gone = matches!(
                    event.kind,
                    MemberEventKind::Failed | MemberEventKind::Left | MemberEventKind::Reaped
                );
                if gone && event.member.name != local {
                    self.transport.forget(event.member.addr);
                }
                let _ = self.events.send(event);
            }
            self.members.send_replace(Arc::new(self.core.members()));
        }
        if self.core.has_left() {
            for w in self.leave_waiters.drain(..) {
                let _ = w.send(Ok(()));
            }
        }
    }
}
