//! `RaftNode`: one member of the region's Raft group. Opens the sled database
//! (`<data_dir>/server/raft/`, or a temporary one without a data dir), builds the
//! log store and state machine, and starts openraft on a transport.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use openraft::error::{InitializeError, RaftError};
use openraft::{Config, ServerState, SnapshotPolicy};
use tokio::sync::watch;

use super::applier::RaftApplier;
use super::batch::{BatchLimits, WriteBatcher};
use super::log_store::LogStore;
use super::network::NetworkFactory;
use super::shared::SharedState;
use super::state_machine::StateMachine;
use super::transport::RaftTransport;
use super::{NodeId, Raft, RaftMember, RaftNodeError, Result, rpc};

/// Raft timing and log-compaction knobs.
#[derive(Debug, Clone)]
pub struct RaftOptions {
    /// Leader heartbeat period.
    pub heartbeat_interval: Duration,
    /// Election timeout, lower bound (randomised up to `election_timeout_max`).
    pub election_timeout_min: Duration,
    /// Election timeout, upper bound.
    pub election_timeout_max: Duration,
    /// Take a snapshot after this many entries since the last one (Nomad's
    /// `raft_snapshot_threshold`, 8192).
    pub snapshot_threshold: u64,
    /// Entries kept in the log behind a snapshot, for followers slightly behind
    /// (Nomad's `raft_trailing_logs` is 10240).
    pub trailing_logs: u64,
    /// Most writes the applier puts into one log entry.
    pub write_batch_max: usize,
    /// Log entries the applier keeps proposed-but-unanswered; writes arriving
    /// meanwhile wait and share the next entry (so one flush covers them all).
    pub writes_in_flight: usize,
    /// Most log entries in one `AppendEntries`. A follower's Raft core is busy while it
    /// appends and fsyncs a batch (its election tick waits meanwhile), so a catch-up
    /// batch stays small next to the election timeout.
    pub max_payload_entries: u64,
    /// Most bytes of one encoded `AppendEntries` of several entries; a bigger one is
    /// sent as several (openraft's `PayloadTooLarge` with a hint). Far below the RPC
    /// port's 64 MiB frame, so that multi-megabyte plan entries never hit it.
    pub max_payload_bytes: usize,
}

impl Default for RaftOptions {
    /// Timing for a LAN, aimed at a failover (leader lost -> next write committed) of about
    /// 300 ms. openraft 0.9 starts an election once a follower has not heard the leader for
    /// the leader's lease (`election_timeout_max`) plus its own random election timeout,
    /// checked on a tick of 1.5 heartbeats: with these values 200-240 ms after the last
    /// heartbeat, plus up to a tick. openraft also uses the heartbeat as its
    /// `AppendEntries` timeout and `election_timeout_min` as its vote timeout, far too short
    /// for a catch-up batch and its fsync; [`super::RaftRuntime`] gives every RPC at least
    /// [`super::RPC_TIMEOUT_FLOOR`] instead, so only the timers are this short.
    /// `raft_multiplier` scales the timing.
    fn default() -> Self {
        Self {
            heartbeat_interval: Duration::from_millis(25),
            election_timeout_min: Duration::from_millis(80),
            election_timeout_max: Duration::from_millis(120),
            snapshot_threshold: 8192,
            trailing_logs: 10240,
            write_batch_max: BatchLimits::default().max_batch,
            writes_in_flight: BatchLimits::default().in_flight,
            max_payload_entries: 32,
            max_payload_bytes: super::network::DEFAULT_MAX_PAYLOAD_BYTES,
        }
    }
}

impl RaftOptions {
    /// These options with the timing multiplied by `multiplier` (Nomad's `raft_multiplier`, 1-10).
    pub fn scaled(mut self, multiplier: u32) -> Self {
        let m = multiplier.max(1);
        self.heartbeat_interval *= m;
        self.election_timeout_min *= m;
        self.election_timeout_max *= m;
        self
    }

    fn to_config(&self) -> Result<Config> {
        let ms = |d: Duration| u64::try_from(d.as_millis()).unwrap_or(u64::MAX);
        Config {
            cluster_name: "nomad-region".into(),
            heartbeat_interval: ms(self.heartbeat_interval),
            election_timeout_min: ms(self.election_timeout_min),
            election_timeout_max: ms(self.election_timeout_max),
            snapshot_policy: SnapshotPolicy::LogsSinceLast(self.snapshot_threshold),
            max_in_snapshot_log_to_keep: self.trailing_logs,
            // Followers further behind than this get a snapshot instead of entries.
            replication_lag_threshold: self.snapshot_threshold.saturating_add(self.trailing_logs),
            max_payload_entries: self.max_payload_entries.max(1),
            ..Default::default()
        }
        .validate()
        .map_err(|e| RaftNodeError::Config(e.to_string()))
    }
}

/// What a member needs to start.
#[derive(Debug, Clone)]
pub struct RaftNodeConfig {
    /// This member's ID (stable across restarts).
    pub id: NodeId,
    /// This member's own entry in the configuration.
    pub member: RaftMember,
    /// The agent's data dir; `None` keeps everything in memory (`-dev`).
    pub data_dir: Option<PathBuf>,
    /// Timing and compaction.
    pub options: RaftOptions,
}

/// A running member. Cloning shares it.
#[derive(Clone)]
pub struct RaftNode {
    id: NodeId,
    member: RaftMember,
    raft: Raft,
    shared: Arc<SharedState>,
    db: sled::Db,
    /// The other end is the leadership task spawned by `start`.
    leading: watch::Receiver<bool>,
    /// Shared by every applier of this node, so that all its writers batch together.
    batcher: Arc<OnceLock<WriteBatcher>>,
    limits: BatchLimits,
}

/// sled's page cache per server.
const SLED_CACHE_BYTES: u64 = 64 * 1024 * 1024;

impl RaftNode {
    /// Opens storage and starts Raft, sending through `transport`. A member with a
    /// data dir resumes from its snapshot and log.
    pub async fn start(config: RaftNodeConfig, transport: Arc<dyn RaftTransport>) -> Result<Self> {
        // sled caches up to 1 GiB of pages by default, per server. Recent entries are read from
        // the log cache in front of it (`log_cache.rs`) and older ones rarely, so a small cache
        // keeps a busy region's servers from holding most of their log in memory twice.
        let sled_config = sled::Config::new().cache_capacity(SLED_CACHE_BYTES);
        let db = match &config.data_dir {
            Some(dir) => sled_config.path(dir.join("server").join("raft")).open()?,
            None => sled_config.temporary(true).open()?,
        };
        let log = LogStore::open(&db)?;
        let shared = Arc::new(SharedState::default());
        let sm = StateMachine::open(&db, shared.clone())?;
        let raft_config = Arc::new(config.options.to_config()?);
        let raft = Raft::new(
            config.id,
            raft_config,
            NetworkFactory::with_payload_limit(transport, config.options.max_payload_bytes),
            log,
            sm,
        )
        .await
        .map_err(|e| RaftNodeError::Raft(e.to_string()))?;
        let leading = spawn_leadership(config.id, &raft);
        Ok(Self {
            id: config.id,
            member: config.member,
            raft,
            shared,
            db,
            leading,
            batcher: Arc::new(OnceLock::new()),
            limits: BatchLimits {
                max_batch: config.options.write_batch_max.max(1),
                in_flight: config.options.writes_in_flight.max(1),
            },
        })
    }

    /// Forms the group with `members` (once, on one member). A member that is
    /// already part of a group answers `Ok` (bootstrap is idempotent on restart).
    pub async fn initialize(&self, members: BTreeMap<NodeId, RaftMember>) -> Result<()> {
        match self.raft.initialize(members).await {
            Ok(()) => Ok(()),
            Err(RaftError::APIError(InitializeError::NotAllowed(_))) => Ok(()),
            Err(e) => Err(RaftNodeError::Raft(e.to_string())),
        }
    }

    /// This member's ID.
    pub fn id(&self) -> NodeId {
        self.id
    }

    /// This member's own configuration entry.
    pub fn member(&self) -> &RaftMember {
        &self.member
    }

    /// The openraft handle (metrics, membership changes, `wait()`).
    pub fn raft(&self) -> &Raft {
        &self.raft
    }

    /// The state store this member applies to.
    pub fn shared(&self) -> Arc<SharedState> {
        self.shared.clone()
    }

    /// The `Applier` the region server writes through.
    pub fn applier(&self) -> Arc<RaftApplier> {
        Arc::new(RaftApplier::with_batcher(
            self.raft.clone(),
            self.shared.clone(),
            self.leading.clone(),
            self.batcher.clone(),
            self.limits,
        ))
    }

    /// Serves one encoded request from a peer (the transport's receiving side).
    pub async fn handle_rpc(&self, request: &[u8]) -> Result<Vec<u8>> {
        rpc::serve_rpc(&self.raft, request).await
    }

    /// The current leader and its configuration entry, if known.
    pub fn leader(&self) -> Option<(NodeId, RaftMember)> {
        let metrics = self.raft.metrics().borrow().clone();
        let id = metrics.current_leader?;
        let member = metrics
            .membership_config
            .membership()
            .get_node(&id)
            .cloned()?;
        Some((id, member))
    }

    /// Whether this member leads the group now.
    pub fn is_leader(&self) -> bool {
        self.raft.metrics().borrow().current_leader == Some(self.id)
    }

    /// Stops Raft and flushes storage. The sled directory is released once the
    /// last clone of this node is dropped.
    pub async fn shutdown(&self) -> Result<()> {
        self.raft
            .shutdown()
            .await
            .map_err(|e| RaftNodeError::Raft(e.to_string()))?;
        self.db.flush_async().await?;
        Ok(())
    }
}

/// Follows openraft's metrics and publishes whether member `id` leads. Ends (and
/// reports `false`) when Raft shuts down and its metrics sender goes away.
fn spawn_leadership(id: NodeId, raft: &Raft) -> watch::Receiver<bool> {
    let (tx, rx) = watch::channel(false);
    let mut metrics = raft.metrics();
    tokio::spawn(async move {
        loop {
            let leads = {
                let m = metrics.borrow_and_update();
                m.state == ServerState::Leader && m.current_leader == Some(id)
            };
            tx.send_if_modified(|v| std::mem::replace(v, leads) != leads);
            if metrics.changed().await.is_err() {
                tx.send_replace(false);
                break;
            }
        }
    });
    rx
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn raft_multiplier_scales_every_timer() {
        let base = RaftOptions::default();
        let scaled = RaftOptions::default().scaled(4);
        assert_eq!(scaled.heartbeat_interval, base.heartbeat_interval * 4);
        assert_eq!(scaled.election_timeout_min, base.election_timeout_min * 4);
        assert_eq!(scaled.election_timeout_max, base.election_timeout_max * 4);
        let config = scaled.to_config().expect("scaled defaults are valid");
        assert_eq!(config.heartbeat_interval, 100);
        assert_eq!(config.election_timeout_min, 320);
        assert_eq!(config.election_timeout_max, 480);
    }

    #[test]
    fn defaults_are_a_valid_openraft_config() {
        // openraft wants the heartbeat below the election timeout.
        let config = RaftOptions::default().to_config().expect("valid");
        assert!(config.heartbeat_interval < config.election_timeout_min);
        assert_eq!(config.max_payload_entries, 32);
    }

    #[test]
    fn multiplier_zero_is_treated_as_one() {
        let scaled = RaftOptions::default().scaled(0);
        assert_eq!(
            scaled.heartbeat_interval,
            RaftOptions::default().heartbeat_interval
        );
    }
}
