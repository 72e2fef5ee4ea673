//! Behaviour of `MeshCore` members on the simulated network.

use std::time::Duration;

use crate::member::{MemberEventKind, MemberStatus};
use crate::testing::{LinkConfig, SimCluster};
use crate::{MeshConfig, wire};
use proptest::prelude::*;

const STEP: Duration = Duration::from_millis(100);

fn cluster(n: usize, seed: u64) -> SimCluster {
    let mut c = SimCluster::new(seed, MeshConfig::lan(), LinkConfig::default());
    for _ in 0..n {
        c.add_node().unwrap();
    }
    for i in 1..n {
        c.join(i, 0).unwrap();
    }
    assert!(
        c.run_until(Duration::from_secs(30), STEP, SimCluster::converged),
        "cluster of {n} did not converge"
    );
    c
}

fn all_others_see(c: &SimCluster, subject: usize, status: Option<MemberStatus>) -> bool {
    let name = c.name(subject);
    c.running()
        .filter(|&i| i != subject)
        .all(|i| c.status_seen_by(i, &name) == status)
}

#[test]
fn three_members_converge_with_metadata() {
    let c = cluster(3, 1);
    let members = c.members_of(2);
    assert_eq!(members.len(), 3);
    let s0 = members.iter().find(|m| m.name == "s0.global").unwrap();
    assert_eq!(s0.meta.region, "global");
    assert_eq!(s0.meta.rpc_addr.port(), 4647);
    assert_eq!(s0.addr, c.node(0).addr);
    // Each node announced the other two as joined, and never itself.
    let joined: Vec<_> = c
        .node(1)
        .events
        .iter()
        .filter(|(_, e)| e.kind == MemberEventKind::Joined)
        .collect();
    assert_eq!(joined.len(), 2);
    assert!(joined.iter().all(|(_, e)| e.member.name != "s1.global"));
}

#[test]
fn fifty_members_converge_through_one_seed() {
    let c = cluster(50, 2);
    assert!(c.running().all(|i| c.members_of(i).len() == 50));
}

#[test]
fn settled_mesh_skips_periodic_syncs_and_a_joiner_still_gets_the_list() {
    let mut c = cluster(50, 3);
    let skipped = |c: &SimCluster| {
        c.running()
            .map(|i| c.node(i).core.stats().syncs_skipped)
            .sum::<u64>()
    };
    let before = skipped(&c);
    // LAN syncs every 30 s x 2 at 50 members: a few rounds, all answered
    // by "you know everything already".
    c.run_for(Duration::from_secs(200));
    assert!(
        skipped(&c) > before + 50,
        "settled syncs were answered in full"
    );
    // A joiner's digest (only itself) differs: it gets the whole list.
    let newcomer = c.add_node().unwrap();
    c.join(newcomer, 0).unwrap();
    assert!(c.run_until(Duration::from_secs(30), STEP, SimCluster::converged));
    assert_eq!(c.members_of(newcomer).len(), 51);
}

#[test]
fn a_join_whose_every_packet_is_lost_is_retried() {
    let mut c = cluster(5, 4);
    let newcomer = c.add_node().unwrap();
    let (a, b) = (c.node(newcomer).addr, c.node(0).addr);
    // Announce, sync request and its retry all vanish.
    c.net.set_cut(a, b, true);
    c.join(newcomer, 0).unwrap();
    c.run_for(Duration::from_secs(5));
    assert_eq!(c.node(newcomer).core.num_active(), 0);
    c.net.set_cut(a, b, false);
    assert!(
        c.run_until(Duration::from_secs(30), STEP, SimCluster::converged),
        "the lonely member never got in"
    );
    assert_eq!(c.members_of(newcomer).len(), 6);
}

#[test]
fn killed_member_is_detected_failed() {
    let mut c = cluster(5, 3);
    c.kill(4);
    assert!(
        c.run_until(Duration::from_secs(30), STEP, |c| all_others_see(
            c,
            4,
            Some(MemberStatus::Failed)
        ))
    );
    let failed = c
        .node(0)
        .events
        .iter()
        .filter(|(_, e)| e.kind == MemberEventKind::Failed)
        .count();
    assert_eq!(failed, 1);
}

#[test]
fn graceful_leave_shows_left_not_failed() {
    let mut c = cluster(5, 4);
    c.leave(2).unwrap();
    assert!(c.run_until(Duration::from_secs(10), STEP, |c| c.node(2).core.has_left()));
    c.kill(2); // the process exits after leaving
    assert!(
        c.run_until(Duration::from_secs(30), STEP, |c| all_others_see(
            c,
            2,
            Some(MemberStatus::Left)
        ))
    );
    // Nobody ever reported it failed, even after suspicion timeouts pass.
    c.run_for(Duration::from_secs(20));
    assert!(all_others_see(&c, 2, Some(MemberStatus::Left)));
    for i in [0, 1, 3, 4] {
        assert!(
            !c.node(i)
                .events
                .iter()
                .any(|(_, e)| e.kind == MemberEventKind::Failed)
        );
    }
    assert_eq!(
        c.node(2).core.local().map(|m| m.status),
        Some(MemberStatus::Left)
    );
}

#[test]
fn force_leave_turns_failed_into_left_and_prune_removes() {
    let mut c = cluster(4, 5);
    c.kill(3);
    assert!(
        c.run_until(Duration::from_secs(30), STEP, |c| all_others_see(
            c,
            3,
            Some(MemberStatus::Failed)
        ))
    );
    c.force_leave(0, "s3.global", false).unwrap();
    assert!(
        c.run_until(Duration::from_secs(10), STEP, |c| all_others_see(
            c,
            3,
            Some(MemberStatus::Left)
        ))
    );
    c.force_leave(1, "s3.global", true).unwrap();
    assert!(
        c.run_until(Duration::from_secs(10), STEP, |c| all_others_see(
            c, 3, None
        ))
    );
    assert!(
        c.node(2)
            .events
            .iter()
            .any(|(_, e)| e.kind == MemberEventKind::Reaped && e.member.name == "s3.global")
    );
    assert_eq!(c.members_of(0).len(), 3);
}

#[test]
fn force_leave_of_an_alive_member_is_refuted() {
    let mut c = cluster(4, 6);
    c.force_leave(0, "s2.global", false).unwrap();
    c.run_for(Duration::from_secs(5));
    assert!(all_others_see(&c, 2, Some(MemberStatus::Alive)));
    assert!(c.node(2).core.record().version > 1);
}

#[test]
fn force_leave_rejects_unknown_and_local() {
    let mut c = cluster(2, 7);
    assert!(matches!(
        c.force_leave(0, "nope.global", false),
        Err(crate::Error::UnknownMember(_))
    ));
    assert!(matches!(
        c.force_leave(0, "s0.global", false),
        Err(crate::Error::ForceLeaveLocal(_))
    ));
}

#[test]
fn restarted_member_rejoins_with_a_renewed_identity() {
    let mut c = cluster(4, 8);
    let before = c.node(3).core.identity().incarnation();
    c.kill(3);
    assert!(
        c.run_until(Duration::from_secs(30), STEP, |c| all_others_see(
            c,
            3,
            Some(MemberStatus::Failed)
        ))
    );
    c.restart(3, 0).unwrap();
    assert!(c.run_until(Duration::from_secs(30), STEP, SimCluster::converged));
    assert!(c.node(3).core.identity().incarnation() > before);
    let seen = c.node(1).core.member("s3.global").unwrap();
    assert_eq!(seen.incarnation, c.node(3).core.identity().incarnation());
    let kinds: Vec<_> = c
        .node(1)
        .events
        .iter()
        .filter(|(_, e)| e.member.name == "s3.global")
        .map(|(_, e)| e.kind)
        .collect();
    assert_eq!(kinds.first(), Some(&MemberEventKind::Joined));
    assert_eq!(kinds.last(), Some(&MemberEventKind::Joined));
    assert!(kinds.contains(&MemberEventKind::Failed));
}

#[test]
fn quick_restart_before_detection_replaces_the_old_identity() {
    let mut c = cluster(3, 9);
    c.kill(2);
    c.restart(2, 0).unwrap();
    assert!(c.run_until(Duration::from_secs(30), STEP, |c| {
        let inc = c.node(2).core.identity().incarnation();
        (0..2).all(|i| {
            c.node(i)
                .core
                .member("s2.global")
                .is_some_and(|m| m.incarnation == inc && m.is_alive())
        })
    }));
}

#[test]
fn metadata_update_spreads_to_everyone() {
    let mut c = cluster(20, 10);
    let mut meta = c.node(5).core.record().meta.clone();
    meta.build = "1.9.9".into();
    meta.tags.insert("raft_vsn".into(), "3".into());
    c.set_meta(5, meta.clone()).unwrap();
    assert!(c.run_until(Duration::from_secs(10), STEP, |c| {
        c.running().all(|i| {
            c.node(i)
                .core
                .member("s5.global")
                .is_some_and(|m| m.meta == meta)
        })
    }));
    let updated = c
        .node(0)
        .events
        .iter()
        .filter(|(_, e)| e.kind == MemberEventKind::Updated && e.member.name == "s5.global")
        .count();
    assert_eq!(updated, 1);
}

#[test]
fn set_meta_validates_name_and_size() {
    let mut c = cluster(1, 11);
    let mut meta = c.node(0).core.record().meta.clone();
    meta.name = "other.global".into();
    assert!(matches!(
        c.set_meta(0, meta),
        Err(crate::Error::InvalidMeta(_))
    ));
    let mut meta = c.node(0).core.record().meta.clone();
    meta.tags.insert("big".into(), "x".repeat(2000));
    assert!(matches!(
        c.set_meta(0, meta),
        Err(crate::Error::MetaTooLarge { .. })
    ));
    assert_eq!(c.node(0).core.record().version, 1);
}

#[test]
fn partition_heals() {
    let mut c = cluster(6, 12);
    let left: Vec<_> = (0..3).map(|i| c.node(i).addr).collect();
    let right: Vec<_> = (3..6).map(|i| c.node(i).addr).collect();
    c.net.partition(&[left, right]);
    assert!(c.run_until(Duration::from_secs(60), STEP, |c| {
        (0..3)
            .all(|i| (3..6).all(|j| c.status_seen_by(i, &c.name(j)) == Some(MemberStatus::Failed)))
    }));
    c.net.heal();
    assert!(
        c.run_until(Duration::from_secs(300), STEP, SimCluster::converged),
        "partition did not heal"
    );
}

#[test]
fn lossy_network_converges_without_false_failures() {
    let link = LinkConfig {
        loss: 0.05,
        latency: Duration::from_millis(5),
        jitter: Duration::from_millis(5),
        ..LinkConfig::default()
    };
    let mut c = SimCluster::new(13, MeshConfig::lan(), link);
    for _ in 0..10 {
        c.add_node().unwrap();
    }
    for i in 1..10 {
        c.join(i, 0).unwrap();
    }
    assert!(c.run_until(Duration::from_secs(60), STEP, SimCluster::converged));
    c.run_for(Duration::from_secs(120));
    for i in 0..10 {
        assert!(
            !c.node(i)
                .events
                .iter()
                .any(|(_, e)| e.kind == MemberEventKind::Failed),
            "false failure seen by node {i}"
        );
    }
}

#[test]
fn failed_members_are_reaped_after_the_timeout() {
    let mut config = MeshConfig::lan();
    config.reap_failed_after = Duration::from_secs(30);
    let mut c = SimCluster::new(14, config, LinkConfig::default());
    for _ in 0..3 {
        c.add_node().unwrap();
    }
    for i in 1..3 {
        c.join(i, 0).unwrap();
    }
    assert!(c.run_until(Duration::from_secs(30), STEP, SimCluster::converged));
    c.kill(2);
    assert!(
        c.run_until(Duration::from_secs(30), STEP, |c| all_others_see(
            c,
            2,
            Some(MemberStatus::Failed)
        ))
    );
    assert!(
        c.run_until(Duration::from_secs(60), STEP, |c| all_others_see(
            c, 2, None
        ))
    );
    assert!(
        c.node(0)
            .events
            .iter()
            .any(|(_, e)| e.kind == MemberEventKind::Reaped)
    );
}

#[test]
fn junk_datagrams_do_not_disturb_membership() {
    let mut c = cluster(3, 15);
    let before = c.members_of(0);
    let now = c.now();
    let from = c.node(1).addr;
    let junk: Vec<Vec<u8>> = vec![
        vec![],
        vec![1],
        vec![1, 0],
        vec![1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff],
        vec![1, 2, 0xdb, 0xff, 0xff, 0xff, 0xff],
        vec![0xff; 1150],
        vec![1; 5000],
    ];
    for bytes in &junk {
        let effects = c.node_mut(0).core.handle_datagram(from, bytes, now);
        assert!(effects.events.is_empty());
    }
    assert_eq!(c.node(0).core.stats().dropped_malformed, junk.len() as u64);
    assert_eq!(c.members_of(0), before);
    c.run_for(Duration::from_secs(5));
    assert!(c.converged());
}

#[test]
fn authenticated_datagrams_must_come_from_the_proven_member() {
    let mut c = cluster(2, 16);
    let now = c.now();
    let from = c.node(1).addr;
    let id = c.node(1).core.identity().clone();
    let bytes = wire::pull(&id).unwrap();
    let effects =
        c.node_mut(0)
            .core
            .handle_authenticated_datagram(from, "mallory.global", &bytes, now);
    assert!(effects.datagrams.is_empty());
    assert_eq!(c.node(0).core.stats().dropped_unauthenticated, 1);
    let effects = c
        .node_mut(0)
        .core
        .handle_authenticated_datagram(from, "s1.global", &bytes, now);
    assert_eq!(effects.datagrams.len(), 1, "a proven pull gets a push back");
}

#[test]
fn same_seed_same_run() {
    let run = || {
        let c = cluster(8, 17);
        (c.elapsed(), c.net.stats().sent, c.node(3).core.stats())
    };
    assert_eq!(run(), run());
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, .. ProptestConfig::default() })]

    /// Garbage on the serf port changes nothing: same members, same statuses.
    #[test]
    fn random_datagrams_never_disturb_membership(
        packets in proptest::collection::vec(
            (0u8..3, proptest::collection::vec(any::<u8>(), 0..1300)),
            1..20,
        )
    ) {
        let mut c = cluster(3, 99);
        let before = c.members_of(0);
        let now = c.now();
        let from = c.node(1).addr;
        for (prefix, tail) in packets {
            let mut bytes = match prefix {
                0 => vec![],
                1 => vec![wire::WIRE_VERSION, tail.first().copied().unwrap_or(0) % 5],
                _ => vec![wire::WIRE_VERSION, 0, 0, 0, 0, 0, 0, 0, 0, 1],
            };
            bytes.extend(tail);
            let effects = c.node_mut(0).core.handle_datagram(from, &bytes, now);
            prop_assert!(effects.events.is_empty());
        }
        prop_assert_eq!(c.members_of(0), before);
    }
}
