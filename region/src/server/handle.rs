//! `RegionServer::start` and `RegionHandle`: starting the region's server tasks
//! (workers, plan applier, timer loop) and the cloneable handle every caller uses.
//! The request methods live in `endpoints/`, one file per family.

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use crate::state::StateSnapshot;

use super::applier::{Applier, LocalApplier};
use super::config::ServerConfig;
use super::error::Result;
use super::leader::Leader;
use super::{leadership, plan_applier, timers, worker};

/// Plans queued for the applier before workers wait to submit.
const PLAN_QUEUE: usize = 64;

/// Entry point of the region server.
pub struct RegionServer;

impl RegionServer {
    /// Starts a single-server region on an in-memory store (`-dev`). Must run
    /// inside a tokio runtime. Everything stops when `cancel` fires; await
    /// [`RegionHandle::stopped`] to know it did.
    pub fn start(config: ServerConfig, cancel: CancellationToken) -> RegionHandle {
        Self::start_with_applier(config, LocalApplier::new(), cancel)
    }

    /// Starts the server over the given applier (Raft's, later).
    pub fn start_with_applier(
        config: ServerConfig,
        applier: Arc<dyn Applier>,
        cancel: CancellationToken,
    ) -> RegionHandle {
        let (plan_tx, plan_rx) = mpsc::channel(PLAN_QUEUE);
        let (bg_tx, bg_rx) = mpsc::unbounded_channel();
        let workers = config.num_schedulers.max(1);
        // A leadership watch whose sender is gone is final: a single in-memory server
        // that leads from the start with nothing left to apply. Raft's goes through
        // the leadership loop and its barrier.
        let mut watch = applier.leadership();
        let leads_now = *watch.borrow_and_update() && watch.has_changed().is_err();
        let leader = Arc::new(Leader::new(applier, config, plan_tx, bg_tx, cancel));
        if leads_now {
            leader.establish();
        }
        let tasks = TaskTracker::new();
        tasks.spawn(leadership::run(leader.clone()));
        tasks.spawn(plan_applier::run(leader.clone(), plan_rx));
        tasks.spawn(timers::run(leader.clone(), bg_rx));
        for id in 0..workers {
            tasks.spawn(worker::run(leader.clone(), id));
        }
        tasks.close();
        tracing::info!(workers, region = %leader.config.region, leader = leads_now, "region server started");
        RegionHandle { leader, tasks }
    }
}

/// A cloneable handle on the running region server.
#[derive(Clone)]
pub struct RegionHandle {
    pub(crate) leader: Arc<Leader>,
    tasks: TaskTracker,
}

/// Queue lengths of the leader's cores (for tests, metrics and `agent-info`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct BrokerStats {
    /// Evaluations ready for a worker.
    pub ready: usize,
    /// Evaluations being processed.
    pub unacked: usize,
    /// Evaluations waiting for their job or their time.
    pub waiting: usize,
    /// Blocked evaluations.
    pub blocked: usize,
}

impl RegionHandle {
    /// The latest state.
    pub fn snapshot(&self) -> StateSnapshot {
        self.leader.snapshot()
    }

    /// Blocking-query support: returns as soon as the latest index exceeds
    /// `min_index`, or when `timeout` passes, with the state at that moment.
    pub async fn wait_for_index(&self, min_index: u64, timeout: Duration) -> StateSnapshot {
        self.leader
            .wait_for_index_at_least(min_index.saturating_add(1), timeout)
            .await
    }

    /// True when this server is the region's leader and runs its duties.
    pub fn is_leader(&self) -> bool {
        self.leader.is_leader()
    }

    /// RPC address of the leader, if there is one.
    pub fn leader_addr(&self) -> Option<String> {
        if self.leader.is_leader() {
            Some(self.leader.config.rpc_addr.clone())
        } else {
            self.leader.applier.leader_addr()
        }
    }

    /// RPC addresses of the region's voting servers.
    pub fn peers(&self) -> Vec<String> {
        let peers = self.leader.applier.peers();
        if peers.is_empty() {
            vec![self.leader.config.rpc_addr.clone()]
        } else {
            peers
        }
    }

    /// The Raft configuration as (member ID, RPC address, voter); a single in-memory server reports
    /// itself with ID 0.
    pub fn raft_servers(&self) -> Vec<(u64, String, bool)> {
        let servers = self.leader.applier.raft_servers();
        if servers.is_empty() {
            vec![(0, self.leader.config.rpc_addr.clone(), true)]
        } else {
            servers
        }
    }

    /// Removes Raft member `id` from the region's configuration (`operator raft remove-peer`).
    pub async fn remove_raft_peer(&self, id: u64) -> Result<()> {
        self.leader.applier.remove_peer(id).await
    }

    /// Milliseconds since this server last heard from the leader (0 on the leader).
    pub fn last_contact_ms(&self) -> Option<u64> {
        if self.leader.is_leader() {
            Some(0)
        } else {
            self.leader.applier.last_contact_ms()
        }
    }

    /// Waits (up to `timeout`) until this server runs leader duties; false if it did not.
    pub async fn wait_for_leadership(&self, timeout: Duration) -> bool {
        let deadline = tokio::time::Instant::now() + timeout;
        while !self.leader.is_leader() {
            if tokio::time::Instant::now() >= deadline || self.leader.cancel.is_cancelled() {
                return false;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        true
    }

    /// The server's configuration.
    pub fn config(&self) -> &ServerConfig {
        &self.leader.config
    }

    /// Queue lengths.
    pub fn broker_stats(&self) -> BrokerStats {
        let b = self.leader.broker();
        let stats = BrokerStats {
            ready: b.ready_len(),
            unacked: b.unacked_len(),
            waiting: b.waiting_len(),
            blocked: 0,
        };
        drop(b);
        BrokerStats {
            blocked: self.leader.blocked().len(),
            ..stats
        }
    }

    /// Waits until every server task has exited (after the cancellation token fired).
    pub async fn stopped(&self) {
        self.tasks.wait().await;
    }
}
