//! Starting the mesh and talking to it: `Mesh::start` binds the QUIC endpoint
//! and spawns the driver; `MeshHandle` is the cheap, cloneable handle the
//! agent keeps (members, join, leave, force-leave, metadata, events,
//! requests, shutdown).

mod driver;
mod timers;

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use bytes::Bytes;
use rand::SeedableRng;
use rand::rngs::StdRng;
use tokio::sync::{Mutex, broadcast, mpsc, oneshot, watch};
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

use self::driver::{Command, Driver};
use crate::core::{MeshConfig, MeshCore, Stats};
use crate::error::{Error, Result};
use crate::identity::Identity;
use crate::keyring::GossipKey;
use crate::member::{Member, MemberEvent, MemberStatus};
use crate::meta::MemberMeta;
use crate::quic::{HelloPolicy, QuicOptions, QuicTransport};
use crate::tls::TlsConfig;
use crate::transport::{
    HandlerSlot, InboundDatagram, MeshStream, Peer, RequestHandler, StreamHandler, Transport,
};

/// Everything needed to start a member of the mesh.
#[derive(Clone, Debug)]
pub struct MeshSettings {
    /// What this server tells the mesh (its name is the member name).
    pub meta: MemberMeta,
    /// Where the QUIC endpoint listens (the serf port, default 4648).
    pub bind: SocketAddr,
    /// The address other members reach us at; defaults to the bound address
    /// (required when binding to 0.0.0.0 / ::).
    pub advertise: Option<SocketAddr>,
    pub core: MeshConfig,
    /// Mutual TLS against a CA; without it the mesh uses a generated
    /// certificate (still encrypted, peers not authenticated by TLS).
    pub tls: Option<TlsConfig>,
    /// Nomad's gossip `encrypt` key (base64); peers must prove it.
    pub encrypt: Option<String>,
    pub quic: QuicOptions,
    /// How long `join` waits for each address.
    pub join_timeout: Duration,
    /// Seed for the membership RNG; random when `None`.
    pub seed: Option<u64>,
    /// Events buffered per subscriber before a slow one starts missing some.
    pub event_buffer: usize,
}

impl MeshSettings {
    /// Settings with Nomad's defaults (WAN timing) for a server with `meta`.
    pub fn new(meta: MemberMeta, bind: SocketAddr) -> Self {
        Self {
            meta,
            bind,
            advertise: None,
            core: MeshConfig::wan(),
            tls: None,
            encrypt: None,
            quic: QuicOptions::default(),
            join_timeout: Duration::from_secs(10),
            seed: None,
            event_buffer: 1024,
        }
    }
}

/// The transport side of a mesh, for `Mesh::start_with` (tests, other
/// transports).
pub struct Wiring {
    pub transport: Arc<dyn Transport>,
    pub inbound: mpsc::Receiver<InboundDatagram>,
    pub handler: HandlerSlot,
}

/// Entry points.
pub struct Mesh;

impl Mesh {
    /// Binds the QUIC endpoint and starts the member. Everything stops when
    /// `cancel` fires (or `MeshHandle::shutdown` is called).
    pub fn start(settings: MeshSettings, cancel: CancellationToken) -> Result<MeshHandle> {
        let key = settings
            .encrypt
            .as_deref()
            .map(GossipKey::parse)
            .transpose()?;
        let tls = crate::tls::build(settings.tls.as_ref(), &settings.meta.region)?;
        if !tls.ca_authenticated && key.is_none() {
            tracing::warn!(
                "mesh peers are not authenticated: set a gossip encryption key or a TLS CA; traffic is still encrypted"
            );
        }
        let policy = HelloPolicy {
            name: Arc::from(settings.meta.name.as_str()),
            key,
            verify_region: tls.verify_region,
        };
        let (tx, rx) = mpsc::channel(4096);
        let handler = HandlerSlot::default();
        let child = cancel.child_token();
        let transport = QuicTransport::bind(
            settings.bind,
            tls,
            policy,
            tx,
            handler.clone(),
            settings.quic.clone(),
            child.clone(),
        )?;
        let wiring = Wiring {
            transport: Arc::new(transport),
            inbound: rx,
            handler,
        };
        Self::start_with(settings, wiring, child)
    }

    /// Starts a member over a given transport.
    pub fn start_with(
        settings: MeshSettings,
        wiring: Wiring,
        cancel: CancellationToken,
    ) -> Result<MeshHandle> {
        let bound = wiring.transport.local_addr();
        let advertise = match settings.advertise {
            Some(a) => a,
            None if bound.ip().is_unspecified() => {
                return Err(Error::Config(format!(
                    "an advertise address is required when binding to {bound}"
                )));
            }
            None => bound,
        };
        // Start time in microseconds: a restarted server always starts later
        // than its previous life, so its identity wins.
        let incarnation = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| u64::try_from(d.as_micros()).unwrap_or(u64::MAX))
            .unwrap_or(1);
        let identity = Identity::new(settings.meta.name.as_str(), advertise, incarnation);
        let rng = match settings.seed {
            Some(seed) => StdRng::seed_from_u64(seed),
            None => StdRng::from_rng(&mut rand::rng()),
        };
        let local_name = settings.meta.name.clone();
        let core = MeshCore::new(
            identity,
            settings.meta,
            settings.core,
            rng,
            tokio::time::Instant::now().into_std(),
        )?;
        let (commands_tx, commands_rx) = mpsc::channel(64);
        let (events, _) = broadcast::channel(settings.event_buffer.max(1));
        let (members_tx, members_rx) = watch::channel(Arc::new(Vec::new()));
        let driver = Driver {
            core,
            transport: wiring.transport.clone(),
            inbound: wiring.inbound,
            commands: commands_rx,
            events: events.clone(),
            members: members_tx,
            cancel: cancel.clone(),
            timers: Default::default(),
            leave_waiters: Vec::new(),
        };
        let task = tokio::spawn(driver.run());
        Ok(MeshHandle {
            inner: Arc::new(Inner {
                commands: commands_tx,
                events,
                members: members_rx,
                local_name,
                local_addr: advertise,
                transport: std::sync::RwLock::new(Some(wiring.transport)),
                handler: wiring.handler,
                cancel,
                task: Mutex::new(Some(task)),
                join_timeout: settings.join_timeout,
            }),
        })
    }
}

struct Inner {
    commands: mpsc::Sender<Command>,
    events: broadcast::Sender<MemberEvent>,
    members: watch::Receiver<Arc<Vec<Member>>>,
    local_name: String,
    local_addr: SocketAddr,
    /// Taken on shutdown, so the socket is released with the driver's copy.
    transport: std::sync::RwLock<Option<Arc<dyn Transport>>>,
    handler: HandlerSlot,
    cancel: CancellationToken,
    task: Mutex<Option<JoinHandle<()>>>,
    join_timeout: Duration,
}

/// A handle on a running mesh member. Cheap to clone.
#[derive(Clone)]
pub struct MeshHandle {
    inner: Arc<Inner>,
}

impl MeshHandle {
    /// Every known member (this one included), sorted by name.
    pub fn members(&self) -> Vec<Member> {
        self.inner.members.borrow().as_ref().clone()
    }

    /// One member by name.
    pub fn member(&self, name: &str) -> Option<Member> {
        self.inner
            .members
            .borrow()
            .iter()
            .find(|m| m.name == name)
            .cloned()
    }

    /// This member.
    pub fn local(&self) -> Option<Member> {
        self.member(&self.inner.local_name)
    }

    /// This member's name, `<node>.<region>`.
    pub fn local_name(&self) -> &str {
        &self.inner.local_name
    }

    /// The advertised mesh address.
    pub fn local_addr(&self) -> SocketAddr {
        self.inner.local_addr
    }

    /// Alive members of `region` (Raft peers, forwarding targets).
    pub fn alive_in_region(&self, region: &str) -> Vec<Member> {
        self.inner
            .members
            .borrow()
            .iter()
            .filter(|m| m.status == MemberStatus::Alive && m.meta.region == region)
            .cloned()
            .collect()
    }

    /// Regions with at least one known member, sorted (`/v1/regions`).
    pub fn regions(&self) -> Vec<String> {
        let mut regions: Vec<String> = self
            .inner
            .members
            .borrow()
            .iter()
            .map(|m| m.meta.region.clone())
            .collect();
        regions.sort();
        regions.dedup();
        regions
    }

    /// Membership changes from now on.
    pub fn subscribe(&self) -> broadcast::Receiver<MemberEvent> {
        self.inner.events.subscribe()
    }

    fn transport(&self) -> Result<Arc<dyn Transport>> {
        self.inner
            .transport
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
            .ok_or(Error::Shutdown)
    }

    async fn call<T>(&self, make: impl FnOnce(oneshot::Sender<T>) -> Command) -> Result<T> {
        let (tx, rx) = oneshot::channel();
        self.inner
            .commands
            .send(make(tx))
            .await
            .map_err(|_| Error::Shutdown)?;
        rx.await.map_err(|_| Error::Shutdown)
    }

    /// Joins through each address (`nomad server join`); returns how many
    /// answered. Fails only if none did.
    pub async fn join(&self, addrs: &[SocketAddr]) -> Result<usize> {
        let timeout = self.inner.join_timeout;
        let mut attempts = tokio::task::JoinSet::new();
        for &addr in addrs {
            let handle = self.clone();
            attempts.spawn(async move {
                handle.transport()?.connect(addr, timeout).await?;
                handle
                    .call(|reply| Command::Announce { addr, reply })
                    .await?
            });
        }
        let mut results = Vec::with_capacity(addrs.len());
        while let Some(r) = attempts.join_next().await {
            results.push(r.unwrap_or(Err(Error::Shutdown)));
        }
        let mut joined = 0;
        let mut last_err = None;
        for r in results {
            match r {
                Ok(()) => joined += 1,
                Err(e) => {
                    tracing::warn!(error = %e, "mesh join");
                    last_err = Some(e);
                }
            }
        }
        match (joined, last_err) {
            (0, Some(e)) => Err(e),
            _ => Ok(joined),
        }
    }

    /// Leaves gracefully: the others will show this member as `left`.
    /// Returns once the intent has spread.
    pub async fn leave(&self) -> Result<()> {
        self.call(|reply| Command::Leave { reply }).await?
    }

    /// `nomad server force-leave [-prune] <name>`.
    pub async fn force_leave(&self, name: &str, prune: bool) -> Result<()> {
        let name = name.to_owned();
        self.call(|reply| Command::ForceLeave { name, prune, reply })
            .await?
    }

    /// Replaces this member's metadata and spreads it.
    pub async fn set_meta(&self, meta: MemberMeta) -> Result<()> {
        self.call(|reply| Command::SetMeta {
            meta: Box::new(meta),
            reply,
        })
        .await?
    }

    /// The membership core's counters.
    pub async fn stats(&self) -> Result<Stats> {
        self.call(|reply| Command::Stats { reply }).await
    }

    /// Registers the handler for requests from other members (replaces any
    /// previous one).
    pub fn set_request_handler<F, Fut>(&self, handler: F)
    where
        F: Fn(Peer, Bytes) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = std::result::Result<Bytes, String>> + Send + 'static,
    {
        let handler: RequestHandler = Arc::new(move |peer, body| Box::pin(handler(peer, body)));
        self.inner.handler.set(handler);
    }

    /// Sends a request to the member at `addr` and waits for its answer.
    pub async fn request(&self, addr: SocketAddr, body: Bytes, timeout: Duration) -> Result<Bytes> {
        self.transport()?.request(addr, body, timeout).await
    }

    /// Registers the handler for streams other members open (replaces any
    /// previous one). It gets the opening message and this end of the stream.
    pub fn set_stream_handler<F, Fut>(&self, handler: F)
    where
        F: Fn(Peer, Bytes, MeshStream) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = ()> + Send + 'static,
    {
        let handler: StreamHandler =
            Arc::new(move |peer, opening, stream| Box::pin(handler(peer, opening, stream)));
        self.inner.handler.set_stream(handler);
    }

    /// Opens a message stream to the member at `addr`, `opening` first,
    /// connecting within `timeout`.
    pub async fn open_stream(
        &self,
        addr: SocketAddr,
        opening: Bytes,
        timeout: Duration,
    ) -> Result<MeshStream> {
        self.transport()?.open_stream(addr, opening, timeout).await
    }

    /// Stops the member without leaving (others will see it `failed`) and
    /// waits for every task to end. Call `leave` first for a clean exit.
    pub async fn shutdown(&self) {
        self.inner.cancel.cancel();
        let transport = self
            .inner
            .transport
            .write()
            .unwrap_or_else(|p| p.into_inner())
            .take();
        drop(transport);
        let task = self.inner.task.lock().await.take();
        if let Some(task) = task
            && let Err(e) = task.await
        {
            tracing::error!(error = %e, "mesh driver task failed");
        }
    }
}

#[cfg(test)]
mod tests;
