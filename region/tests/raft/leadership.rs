//! Leader duties follow Raft leadership: of three region servers on one Raft group only the leader runs
//! them, and when it dies the new leader restores them from the replicated state (an evaluation left
//! pending in the log is picked up and processed by the new leader's workers).

use std::collections::BTreeMap;
use std::time::Duration;

use anyhow::{Context, Result, bail};
use nomad_region::raft::NodeId;
use nomad_region::server::{RegionHandle, RegionServer, ServerConfig};
use tokio_util::sync::CancellationToken;

use crate::support::{Cluster, DEADLINE, fast_options, job_register, member};

fn start_regions(c: &Cluster) -> Result<BTreeMap<NodeId, (RegionHandle, CancellationToken)>> {
    let mut regions = BTreeMap::new();
    for id in c.nodes.keys().copied() {
        let cancel = CancellationToken::new();
        let config = ServerConfig {
            num_schedulers: 1,
            rpc_addr: member(id).rpc_addr,
            ..ServerConfig::default()
        };
        let handle =
            RegionServer::start_with_applier(config, c.node(id)?.applier(), cancel.clone());
        regions.insert(id, (handle, cancel));
    }
    Ok(regions)
}

/// Waits until exactly the region server on `leader` runs leader duties.
async fn wait_duties_on(
    regions: &BTreeMap<NodeId, (RegionHandle, CancellationToken)>,
    leader: NodeId,
) -> Result<()> {
    let start = tokio::time::Instant::now();
    while start.elapsed() < DEADLINE {
        let leading: Vec<NodeId> = regions
            .iter()
            .filter(|(_, (h, _))| h.is_leader())
            .map(|(id, _)| *id)
            .collect();
        if leading == vec![leader] {
            return Ok(());
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    bail!("leader duties did not settle on member {leader}")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn leader_duties_move_with_leadership_and_restore_from_state() -> Result<()> {
    let mut c = Cluster::start(3, fast_options()).await?;
    let leader = c.leader().await?;
    let mut regions = start_regions(&c)?;
    wait_duties_on(&regions, leader).await?;
    let (handle, _) = &regions[&leader];
    assert_eq!(handle.leader_addr(), Some(member(leader).rpc_addr));
    assert_eq!(handle.peers().len(), 3);
    for (id, (h, _)) in &regions {
        assert_eq!(
            h.leader_addr(),
            Some(member(leader).rpc_addr),
            "member {id} knows the leader"
        );
    }

    // Written straight into the log, bypassing the leader's broker: only a restore finds it.
    let (index, _) = c.write(job_register("orphan")).await?;
    c.wait_applied(index).await?;
    let state = c.agreed_state()?;
    let eval = state.eval_by_id("eval-orphan").context("eval replicated")?;
    assert_eq!(eval.status, "pending");

    // The leader dies; the new one restores its duties from the replicated state.
    let (old, cancel) = regions.remove(&leader).context("leader region")?;
    cancel.cancel();
    old.stopped().await;
    c.stop_node(leader).await?;
    let new_leader = c.leader().await?;
    assert_ne!(new_leader, leader);
    wait_duties_on(&regions, new_leader).await?;
    let start = tokio::time::Instant::now();
    loop {
        let snap = regions[&new_leader].0.snapshot();
        let status = snap
            .eval_by_id("eval-orphan")
            .map(|e| e.status.clone())
            .unwrap_or_default();
        if status != "pending" {
            break;
        }
        if start.elapsed() > DEADLINE {
            bail!("the new leader never processed the restored evaluation");
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    for (_, (h, cancel)) in regions {
        cancel.cancel();
        h.stopped().await;
    }
    Ok(())
}
