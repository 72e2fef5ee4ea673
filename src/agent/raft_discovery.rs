//! Forming and growing a region's Raft group from the mesh, as Nomad does with `bootstrap_expect`:
//! servers of one region see each other as mesh members (their metadata carries the RPC address, the
//! voter flag and `bootstrap_expect`); once `bootstrap_expect` of them are alive the group is formed with
//! exactly those; afterwards the leader adds every other alive server of the region (as a learner, then a
//! voter unless it is a non-voting server) and removes servers that left gracefully.
//!
//! The decisions (`plan_bootstrap`, `plan_leader`) are pure; `run` is the thin loop that reads the mesh
//! and Raft and carries them out.
//!
//! ```text
//!   uninitialized --(expect alive voters seen)--> initialize(lowest `expect` IDs)
//!   leader: alive & unknown -> AddLearner -> Promote (voters) ; left -> Remove
//! ```

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use nomad_gossip::{MemberStatus, MeshHandle};
use nomad_region::raft::{NodeId, RaftMember, RaftNode};
use openraft::ChangeMembers;
use tokio_util::sync::CancellationToken;

use super::raft::raft_id;

/// How often the mesh and the Raft membership are compared.
const TICK: Duration = Duration::from_millis(500);

/// A server of our region as the mesh shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Peer {
    pub id: NodeId,
    pub rpc_addr: String,
    pub voter: bool,
    pub status: MemberStatus,
}

/// One change the leader should make to the membership.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Step {
    AddLearner(NodeId, RaftMember),
    Promote(BTreeSet<NodeId>),
    Remove(BTreeSet<NodeId>),
}

/// The group to form, once at least `expect` alive voting servers are seen: the `expect` with the lowest
/// IDs, so that every server that sees the same servers forms the same group.
pub fn plan_bootstrap(expect: u32, peers: &[Peer]) -> Option<BTreeMap<NodeId, RaftMember>> {
    if expect == 0 {
        return None;
    }
    let alive: BTreeMap<NodeId, RaftMember> = peers
        .iter()
        .filter(|p| p.status == MemberStatus::Alive && p.voter)
        .map(|p| (p.id, RaftMember::new(p.rpc_addr.clone())))
        .collect();
    (alive.len() >= expect as usize).then(|| alive.into_iter().take(expect as usize).collect())
}

/// What the leader changes so that the membership follows the mesh. `voters` and `learners` are the
/// current configuration; `own` is never removed.
pub fn plan_leader(
    own: NodeId,
    voters: &BTreeSet<NodeId>,
    learners: &BTreeSet<NodeId>,
    peers: &[Peer],
) -> Vec<Step> {
    let mut steps = Vec::new();
    for p in peers.iter().filter(|p| p.status == MemberStatus::Alive) {
        if !voters.contains(&p.id) && !learners.contains(&p.id) {
            steps.push(Step::AddLearner(p.id, RaftMember::new(p.rpc_addr.clone())));
        }
    }
    let promote: BTreeSet<NodeId> = peers
        .iter()
        .filter(|p| p.status == MemberStatus::Alive && p.voter && learners.contains(&p.id))
        .map(|p| p.id)
        .collect();
    if !promote.is_empty() {
        steps.push(Step::Promote(promote));
    }
    // Only a graceful leave removes a server: a failed one may come back with its log.
    let remove: BTreeSet<NodeId> = peers
        .iter()
        .filter(|p| p.status == MemberStatus::Left && p.id != own)
        .filter(|p| voters.contains(&p.id) || learners.contains(&p.id))
        .map(|p| p.id)
        .collect();
    if !remove.is_empty() {
        steps.push(Step::Remove(remove));
    }
    steps
}

/// The servers of `region` the mesh knows, newest entry per RPC address.
fn peers_of(mesh: &MeshHandle, region: &str) -> Vec<Peer> {
    mesh.members()
        .into_iter()
        .filter(|m| m.meta.region == region)
        .map(|m| {
            let rpc_addr = m.meta.rpc_addr.to_string();
            Peer {
                id: raft_id(&rpc_addr),
                rpc_addr,
                voter: m.meta.raft_voter,
                status: m.status,
            }
        })
        .collect()
}

/// Follows the mesh until `cancel`: forms the group when `expect` servers are seen (never when
/// `expect` is 0: such a server waits to be added), then, while leader, keeps the membership in step.
pub async fn run(
    node: RaftNode,
    mesh: MeshHandle,
    region: String,
    expect: u32,
    cancel: CancellationToken,
) {
    loop {
        tokio::select! {
            () = cancel.cancelled() => return,
            () = tokio::time::sleep(TICK) => {}
        }
        let peers = peers_of(&mesh, &region);
        let raft = node.raft();
        match raft.is_initialized().await {
            Err(_) => return,
            Ok(false) => {
                if let Some(members) = plan_bootstrap(expect, &peers)
                    && members.contains_key(&node.id())
                {
                    tracing::info!(
                        servers = members.len(),
                        "bootstrap_expect reached: forming the raft group"
                    );
                    if let Err(e) = node.initialize(members).await {
                        tracing::warn!(error = %e, "raft bootstrap failed");
                    }
                }
                continue;
            }
            Ok(true) => {}
        }
        if !node.is_leader() {
            continue;
        }
        let membership = raft
            .metrics()
            .borrow()
            .membership_config
            .membership()
            .clone();
        let voters: BTreeSet<NodeId> = membership.voter_ids().collect();
        let learners: BTreeSet<NodeId> = membership.learner_ids().collect();
        for step in plan_leader(node.id(), &voters, &learners, &peers) {
            let result = match &step {
                Step::AddLearner(id, member) => raft
                    .add_learner(*id, member.clone(), true)
                    .await
                    .map(|_| ()),
                Step::Promote(ids) => raft
                    .change_membership(ChangeMembers::AddVoterIds(ids.clone()), false)
                    .await
                    .map(|_| ()),
                Step::Remove(ids) => raft
                    .change_membership(ChangeMembers::RemoveVoters(ids.clone()), false)
                    .await
                    .map(|_| ()),
            };
            match result {
                Ok(()) => tracing::info!(?step, "raft membership changed"),
                Err(e) => {
                    tracing::debug!(?step, error = %e, "raft membership change failed");
                    break;
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn peer(n: u16, status: MemberStatus) -> Peer {
        let rpc_addr = format!("127.0.0.1:{n}");
        Peer {
            id: raft_id(&rpc_addr),
            rpc_addr,
            voter: true,
            status,
        }
    }

    #[test]
    fn forms_the_group_once_expect_voters_are_alive_and_all_agree() {
        let a = peer(1, MemberStatus::Alive);
        let b = peer(2, MemberStatus::Alive);
        let c = peer(3, MemberStatus::Alive);
        let d = peer(4, MemberStatus::Alive);
        let failed = peer(5, MemberStatus::Failed);
        assert_eq!(
            plan_bootstrap(3, &[a.clone(), b.clone(), failed.clone()]),
            None
        );
        assert_eq!(plan_bootstrap(0, &[a.clone(), b.clone(), c.clone()]), None);
        let three = plan_bootstrap(3, &[c.clone(), a.clone(), b.clone()]).unwrap();
        assert_eq!(three.len(), 3);
        // Seen in another order, or with a fourth: the same group.
        let again = plan_bootstrap(3, &[b.clone(), c.clone(), a.clone()]).unwrap();
        assert_eq!(three, again);
        let with_more = plan_bootstrap(3, &[d, a, b, c, failed]).unwrap();
        assert_eq!(with_more.len(), 3);
        let mut lowest: Vec<NodeId> = with_more.keys().copied().collect();
        lowest.sort();
        assert!(with_more.keys().all(|id| lowest.contains(id)));
    }

    #[test]
    fn non_voters_do_not_count_for_bootstrap() {
        let mut nv = peer(2, MemberStatus::Alive);
        nv.voter = false;
        assert_eq!(plan_bootstrap(2, &[peer(1, MemberStatus::Alive), nv]), None);
    }

    #[test]
    fn leader_adds_promotes_and_removes_only_the_departed() {
        let own = peer(1, MemberStatus::Alive);
        let newcomer = peer(2, MemberStatus::Alive);
        let learner = peer(3, MemberStatus::Alive);
        let left = peer(4, MemberStatus::Left);
        let failed = peer(5, MemberStatus::Failed);
        let mut nonvoter = peer(6, MemberStatus::Alive);
        nonvoter.voter = false;
        let voters = BTreeSet::from([own.id, left.id, failed.id]);
        let learners = BTreeSet::from([learner.id, nonvoter.id]);
        let steps = plan_leader(
            own.id,
            &voters,
            &learners,
            &[
                own.clone(),
                newcomer.clone(),
                learner.clone(),
                left.clone(),
                failed,
                nonvoter,
            ],
        );
        assert_eq!(
            steps,
            vec![
                Step::AddLearner(newcomer.id, RaftMember::new(newcomer.rpc_addr.clone())),
                Step::Promote(BTreeSet::from([learner.id])),
                Step::Remove(BTreeSet::from([left.id])),
            ]
        );
        // In step with the mesh: nothing to do; and the leader never removes itself.
        let mut own_left = own.clone();
        own_left.status = MemberStatus::Left;
        assert!(
            plan_leader(
                own.id,
                &BTreeSet::from([own.id]),
                &BTreeSet::new(),
                &[own_left]
            )
            .is_empty()
        );
    }
}
