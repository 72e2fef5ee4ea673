//! Three members over the in-memory transport: election, replication into every
//! state store, follower refusal, leader failover, restart from sled, snapshot
//! install on a lagging member.

use anyhow::{Context, Result, bail};
use nomad_region::raft::{NodeId, RaftNodeError, RaftOptions};
use nomad_region::server::Applier;

use crate::support::{Cluster, DEADLINE, fast_options, job_register, member};

fn follower_of(c: &Cluster, leader: NodeId) -> Result<NodeId> {
    c.nodes
        .keys()
        .copied()
        .find(|id| *id != leader)
        .context("no follower")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn three_members_replicate_and_fail_over() -> Result<()> {
    let mut c = Cluster::start(3, fast_options()).await?;
    let leader = c.leader().await?;

    let last = c.register_jobs("web", 10).await?;
    c.wait_applied(last).await?;
    let state = c.agreed_state()?;
    assert_eq!(state.jobs().len(), 10);
    assert_eq!(state.evals().len(), 10);
    // The Raft log index is the state index.
    assert_eq!(state.latest_index(), last);
    let job = state
        .job_by_id("default", "web-9")
        .context("web-9 replicated")?;
    assert_eq!(job.job_modify_index, last);

    // A follower serves reads of the same state and refuses writes, naming the leader.
    let follower = follower_of(&c, leader)?;
    let applier = c.node(follower)?.applier();
    assert_eq!(*applier.subscribe().borrow(), last);
    assert_eq!(applier.snapshot().jobs(), state.jobs());
    match applier.write(job_register("refused")).await {
        Err(RaftNodeError::NotLeader {
            leader_id,
            leader_addr,
        }) => {
            assert_eq!(leader_id, Some(leader));
            assert_eq!(leader_addr, Some(member(leader).rpc_addr));
        }
        other => bail!("follower write should be refused, got {other:?}"),
    }

    // Kill the leader: the two others elect a new one and writes continue.
    c.stop_node(leader).await?;
    let new_leader = c.leader().await?;
    assert_ne!(new_leader, leader);
    let last2 = c.register_jobs("api", 5).await?;
    assert!(last2 > last);
    c.wait_applied(last2).await?;
    let state = c.agreed_state()?;
    assert_eq!(state.jobs().len(), 15);
    assert!(state.job_by_id("default", "refused").is_none());
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn restarted_members_recover_from_disk() -> Result<()> {
    let mut c = Cluster::start(3, fast_options()).await?;
    let leader = c.leader().await?;
    let first = c.register_jobs("a", 5).await?;
    c.wait_applied(first).await?;

    // A follower misses writes while down, then catches up from its own log.
    let follower = follower_of(&c, leader)?;
    c.stop_node(follower).await?;
    let last = c.register_jobs("b", 5).await?;
    c.start_node(follower).await?;
    c.wait_applied(last).await?;
    let before = c.agreed_state()?;
    assert_eq!(before.jobs().len(), 10);

    // Every member stops; all come back with the same state and a leader.
    for id in [1, 2, 3] {
        c.stop_node(id).await?;
    }
    for id in [1, 2, 3] {
        c.start_node(id).await?;
    }
    c.leader().await?;
    c.wait_applied(last).await?;
    let after = c.agreed_state()?;
    assert_eq!(after.jobs(), before.jobs());
    assert_eq!(after.evals(), before.evals());

    let more = c.register_jobs("c", 1).await?;
    assert!(more > last);
    c.wait_applied(more).await?;
    assert_eq!(c.agreed_state()?.jobs().len(), 11);
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lagging_member_installs_snapshot() -> Result<()> {
    let options = RaftOptions {
        snapshot_threshold: 10,
        trailing_logs: 0,
        ..fast_options()
    };
    let mut c = Cluster::start(3, options).await?;
    let leader = c.leader().await?;
    let warm = c.register_jobs("warm", 1).await?;
    c.wait_applied(warm).await?;

    let lagging = follower_of(&c, leader)?;
    c.isolate(lagging);
    let lagging_last_log = c.node(lagging)?.raft().metrics().borrow().last_log_index;
    let last = c.register_jobs("job", 30).await?;

    // The leader snapshots and purges its log past what the lagging member has,
    // so entries alone can no longer bring it up to date.
    let leader = c.leader().await?;
    c.node(leader)?
        .raft()
        .wait(Some(DEADLINE))
        .metrics(
            |m| m.purged.map(|p| p.index) > lagging_last_log,
            "leader purged its log",
        )
        .await?;

    c.heal(lagging);
    c.leader().await?;
    c.wait_applied(last).await?;
    let state = c.agreed_state()?;
    assert_eq!(state.jobs().len(), 31);
    let installed = c.node(lagging)?.raft().metrics().borrow().snapshot;
    let installed = installed.context("the lagging member holds a snapshot")?;
    assert!(Some(installed.index) > lagging_last_log);

    // Restarted, it comes back from that snapshot (plus its log).
    c.stop_node(lagging).await?;
    c.start_node(lagging).await?;
    let more = c.register_jobs("after", 2).await?;
    c.wait_applied(more).await?;
    assert_eq!(c.agreed_state()?.jobs().len(), 33);
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lagging_member_catches_up_in_byte_capped_batches() -> Result<()> {
    // A few job registrations per `AppendEntries`: the catch-up batch of 32 entries is
    // refused by the sending side and resent in smaller ones until the member is current.
    let options = RaftOptions {
        max_payload_bytes: 16 << 10,
        ..fast_options()
    };
    let mut c = Cluster::start(3, options).await?;
    let leader = c.leader().await?;
    let warm = c.register_jobs("warm", 1).await?;
    c.wait_applied(warm).await?;

    let lagging = follower_of(&c, leader)?;
    c.isolate(lagging);
    let last = c.register_jobs("job", 40).await?;
    c.heal(lagging);
    c.wait_applied_on(lagging, last).await?;
    c.wait_applied(last).await?;
    assert_eq!(c.agreed_state()?.jobs().len(), 41);
    Ok(())
}
