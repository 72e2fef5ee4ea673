//! A cluster of in-process Raft members on temp data dirs, joined by the
//! in-memory transport; members can be stopped, restarted from disk and cut off.

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use anyhow::{Context, Result, bail};
use nomad_region::raft::{
    InMemoryTransport, NodeId, RaftMember, RaftNode, RaftNodeConfig, RaftOptions,
};
use nomad_region::scheduler::testing::{mock_job, register_eval};
use nomad_region::server::Applier;
use nomad_region::state::{Command, CommandResult, StateSnapshot};
use tempfile::TempDir;

/// Generous deadline for anything the cluster must reach (no timing assertion).
pub const DEADLINE: Duration = Duration::from_secs(20);

pub struct Cluster {
    pub net: InMemoryTransport,
    pub nodes: BTreeMap<NodeId, RaftNode>,
    dirs: BTreeMap<NodeId, TempDir>,
    isolated: BTreeSet<NodeId>,
    options: RaftOptions,
}

/// Member `id`'s configuration entry.
pub fn member(id: NodeId) -> RaftMember {
    RaftMember::new(format!("127.0.0.1:{}", 4647 + id))
}

/// A `JobRegister` of a fresh job `name` with its evaluation.
pub fn job_register(name: &str) -> Command {
    let job = mock_job(name, 1);
    let eval = register_eval(&format!("eval-{name}"), &job);
    Command::JobRegister {
        job,
        eval: Some(eval),
    }
}

impl Cluster {
    /// Starts members 1..=n on fresh data dirs and forms the group from member 1.
    pub async fn start(n: u64, options: RaftOptions) -> Result<Self> {
        let mut c = Cluster {
            net: InMemoryTransport::new(),
            nodes: BTreeMap::new(),
            dirs: BTreeMap::new(),
            isolated: BTreeSet::new(),
            options,
        };
        for id in 1..=n {
            c.dirs.insert(id, tempfile::tempdir()?);
            c.start_node(id).await?;
        }
        let members = (1..=n).map(|id| (id, member(id))).collect();
        c.node(1)?.initialize(members).await?;
        Ok(c)
    }

    pub fn node(&self, id: NodeId) -> Result<&RaftNode> {
        self.nodes
            .get(&id)
            .with_context(|| format!("node {id} is not running"))
    }

    /// Starts (or restarts) member `id` from its data dir.
    pub async fn start_node(&mut self, id: NodeId) -> Result<()> {
        let dir = self
            .dirs
            .get(&id)
            .context("no data dir")?
            .path()
            .to_path_buf();
        let config = RaftNodeConfig {
            id,
            member: member(id),
            data_dir: Some(dir),
            options: self.options.clone(),
        };
        // The previous incarnation's sled lock may take a moment to be released.
        let mut tries = 0;
        let node = loop {
            match RaftNode::start(config.clone(), self.net.endpoint(id)).await {
                Ok(node) => break node,
                Err(e) if tries < 50 => {
                    tries += 1;
                    tracing::debug!("restart of {id} failed, retrying: {e}");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
                Err(e) => return Err(e.into()),
            }
        };
        self.net.register(id, node.raft().clone());
        self.nodes.insert(id, node);
        Ok(())
    }

    /// Stops member `id` as a crash would look to its peers (off the network),
    /// then shuts it down and releases its storage.
    pub async fn stop_node(&mut self, id: NodeId) -> Result<()> {
        self.net.unregister(id);
        let node = self.nodes.remove(&id).context("not running")?;
        node.shutdown().await?;
        drop(node);
        Ok(())
    }

    /// Cuts member `id` off the network (it keeps running).
    pub fn isolate(&mut self, id: NodeId) {
        self.net.isolate(id);
        self.isolated.insert(id);
    }

    /// Reconnects member `id`.
    pub fn heal(&mut self, id: NodeId) {
        self.net.heal(id);
        self.isolated.remove(&id);
    }

    /// Waits until the running, connected members agree on one leader among them;
    /// returns it.
    pub async fn leader(&self) -> Result<NodeId> {
        let start = tokio::time::Instant::now();
        while start.elapsed() < DEADLINE {
            let seen: Vec<Option<NodeId>> = self
                .nodes
                .iter()
                .filter(|(id, _)| !self.isolated.contains(id))
                .map(|(_, n)| n.raft().metrics().borrow().current_leader)
                .collect();
            if let Some(Some(l)) = seen.first()
                && seen.iter().all(|s| *s == Some(*l))
                && !self.isolated.contains(l)
                && self.nodes.get(l).is_some_and(|n| n.is_leader())
            {
                return Ok(*l);
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        bail!("no agreed leader within {DEADLINE:?}")
    }

    /// Commits `cmd` through the leader's applier. Leadership can move between finding the leader and
    /// writing (right after restarts); like a client, retry against the new leader.
    pub async fn write(&self, cmd: Command) -> Result<(u64, CommandResult)> {
        let start = tokio::time::Instant::now();
        loop {
            let leader = self.leader().await?;
            let applier = self.node(leader)?.applier();
            match applier.apply(cmd.clone()).await {
                Ok(done) => return Ok(done),
                Err(e) if e.to_string().contains("leader") && start.elapsed() < DEADLINE => {
                    tokio::time::sleep(Duration::from_millis(20)).await;
                }
                Err(e) => return Err(e.into()),
            }
        }
    }

    /// Registers jobs `prefix-0..n`; returns the index of the last one.
    pub async fn register_jobs(&self, prefix: &str, n: usize) -> Result<u64> {
        let mut last = 0;
        for i in 0..n {
            let (index, result) = self.write(job_register(&format!("{prefix}-{i}"))).await?;
            if !matches!(result, CommandResult::JobRegistered { .. }) {
                bail!("unexpected result {result:?}");
            }
            if index <= last {
                bail!("index did not grow: {index} after {last}");
            }
            last = index;
        }
        Ok(last)
    }

    /// Waits until every running member has applied `index`.
    pub async fn wait_applied(&self, index: u64) -> Result<()> {
        for id in self.nodes.keys() {
            self.wait_applied_on(*id, index).await?;
        }
        Ok(())
    }

    /// Waits until member `id` has applied `index`.
    pub async fn wait_applied_on(&self, id: NodeId, index: u64) -> Result<()> {
        self.node(id)?
            .raft()
            .wait(Some(DEADLINE))
            .applied_index_at_least(Some(index), format!("node {id} applies {index}"))
            .await?;
        Ok(())
    }

    /// Asserts that every running member's state store holds the same state;
    /// returns it.
    pub fn agreed_state(&self) -> Result<StateSnapshot> {
        let mut snaps = self
            .nodes
            .iter()
            .map(|(id, n)| (*id, n.shared().snapshot()));
        let (first_id, first) = snaps.next().context("no running node")?;
        for (id, s) in snaps {
            if s.latest_index() != first.latest_index()
                || s.jobs() != first.jobs()
                || s.evals() != first.evals()
                || s.summaries_differ(&first)
            {
                bail!(
                    "node {id} (index {}) disagrees with node {first_id} (index {})",
                    s.latest_index(),
                    first.latest_index()
                );
            }
        }
        Ok(first)
    }
}

/// Summaries compared per job (the read API has no list of them).
trait SummariesDiffer {
    /// True when some job's summary differs.
    fn summaries_differ(&self, other: &StateSnapshot) -> bool;
}

impl SummariesDiffer for StateSnapshot {
    fn summaries_differ(&self, other: &StateSnapshot) -> bool {
        self.jobs().iter().any(|j| {
            self.job_summary(&j.namespace, &j.id) != other.job_summary(&j.namespace, &j.id)
        })
    }
}

/// Raft timings that elect fast: the defaults (heartbeat 25 ms, election 80-120 ms), so
/// that these tests run the production timing, under whatever load the machine has.
pub fn fast_options() -> RaftOptions {
    RaftOptions::default()
}
