//! The driver and handle over the in-memory transport, on tokio's paused
//! clock.

use std::net::SocketAddr;
use std::time::Duration;

use bytes::Bytes;
use tokio_util::sync::CancellationToken;

use super::{Mesh, MeshHandle, MeshSettings};
use crate::member::{MemberEventKind, MemberStatus};
use crate::meta::MemberMeta;
use crate::transport::memory::{MemoryLink, MemoryNetwork};
use crate::{Error, MeshConfig};

fn addr(n: u8) -> SocketAddr {
    SocketAddr::from(([10, 0, 0, n], 4648))
}

fn settings(n: u8) -> MeshSettings {
    let a = addr(n);
    let meta = MemberMeta::new(
        &format!("s{n}"),
        "global",
        "dc1",
        SocketAddr::new(a.ip(), 4647),
        SocketAddr::new(a.ip(), 4646),
    );
    let mut s = MeshSettings::new(meta, a);
    s.core = MeshConfig::fast();
    s.seed = Some(u64::from(n));
    s
}

fn start(net: &MemoryNetwork, n: u8) -> MeshHandle {
    Mesh::start_with(settings(n), net.wiring(addr(n)), CancellationToken::new()).unwrap()
}

async fn wait_for(limit: Duration, mut cond: impl FnMut() -> bool) -> bool {
    let deadline = tokio::time::Instant::now() + limit;
    loop {
        if cond() {
            return true;
        }
        if tokio::time::Instant::now() >= deadline {
            return false;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

fn sees(m: &MeshHandle, name: &str, status: Option<MemberStatus>) -> bool {
    m.member(name).map(|x| x.status) == status
}

async fn three(net: &MemoryNetwork) -> Vec<MeshHandle> {
    let meshes: Vec<_> = (1..=3).map(|n| start(net, n)).collect();
    for m in &meshes[1..] {
        assert_eq!(m.join(&[addr(1)]).await.unwrap(), 1);
    }
    assert!(
        wait_for(Duration::from_secs(10), || meshes.iter().all(|m| m
            .members()
            .iter()
            .filter(|x| x.is_alive())
            .count()
            == 3))
        .await,
        "did not converge"
    );
    meshes
}

#[tokio::test(start_paused = true)]
async fn three_members_join_and_see_each_other() {
    let net = MemoryNetwork::new(1, MemoryLink::default());
    let meshes = three(&net).await;
    let m = &meshes[2];
    assert_eq!(m.local().unwrap().name, "s3.global");
    assert_eq!(m.local_addr(), addr(3));
    assert_eq!(m.regions(), vec!["global".to_owned()]);
    assert_eq!(m.alive_in_region("global").len(), 3);
    assert!(m.stats().await.unwrap().datagrams_in > 0);
    for m in &meshes {
        m.shutdown().await;
    }
}

#[tokio::test(start_paused = true)]
async fn join_reports_unreachable_addresses() {
    let net = MemoryNetwork::new(2, MemoryLink::default());
    let m = start(&net, 1);
    let err = m.join(&[addr(9)]).await.unwrap_err();
    assert!(matches!(err, Error::Connect { .. }));
    let _other = start(&net, 2);
    assert_eq!(m.join(&[addr(9), addr(2)]).await.unwrap(), 1);
    m.shutdown().await;
}

#[tokio::test(start_paused = true)]
async fn shutdown_without_leave_is_failed_and_leave_is_left() {
    let net = MemoryNetwork::new(3, MemoryLink::default());
    let meshes = three(&net).await;
    let mut events = meshes[0].subscribe();
    meshes[2].shutdown().await;
    assert!(
        wait_for(Duration::from_secs(10), || sees(
            &meshes[0],
            "s3.global",
            Some(MemberStatus::Failed)
        ))
        .await
    );
    meshes[1].leave().await.unwrap();
    meshes[1].shutdown().await;
    assert!(
        wait_for(Duration::from_secs(10), || sees(
            &meshes[0],
            "s2.global",
            Some(MemberStatus::Left)
        ))
        .await
    );
    let mut kinds = Vec::new();
    while let Ok(e) = events.try_recv() {
        kinds.push((e.member.name, e.kind));
    }
    assert!(kinds.contains(&("s3.global".into(), MemberEventKind::Failed)));
    assert!(kinds.contains(&("s2.global".into(), MemberEventKind::Left)));
    assert!(!kinds.contains(&("s2.global".into(), MemberEventKind::Failed)));
    assert!(matches!(meshes[1].leave().await, Err(Error::Shutdown)));
    meshes[0].shutdown().await;
}

#[tokio::test(start_paused = true)]
async fn restarted_member_is_alive_again() {
    let net = MemoryNetwork::new(4, MemoryLink::default());
    let meshes = three(&net).await;
    let before = meshes[0].member("s3.global").unwrap().incarnation;
    meshes[2].shutdown().await;
    assert!(
        wait_for(Duration::from_secs(10), || sees(
            &meshes[0],
            "s3.global",
            Some(MemberStatus::Failed)
        ))
        .await
    );
    let again = start(&net, 3);
    again.join(&[addr(1)]).await.unwrap();
    assert!(
        wait_for(Duration::from_secs(10), || sees(
            &meshes[0],
            "s3.global",
            Some(MemberStatus::Alive)
        ) && sees(
            &meshes[1],
            "s3.global",
            Some(MemberStatus::Alive)
        ))
        .await
    );
    assert!(meshes[0].member("s3.global").unwrap().incarnation > before);
    for m in [&meshes[0], &meshes[1], &again] {
        m.shutdown().await;
    }
}

#[tokio::test(start_paused = true)]
async fn metadata_and_force_leave_through_the_handle() {
    let net = MemoryNetwork::new(5, MemoryLink::default());
    let meshes = three(&net).await;
    let mut meta = meshes[1].local().unwrap().meta;
    meta.build = "2.0.0".into();
    meshes[1].set_meta(meta).await.unwrap();
    assert!(
        wait_for(Duration::from_secs(5), || meshes[2]
            .member("s2.global")
            .is_some_and(|m| m.meta.build == "2.0.0"))
        .await
    );
    meshes[2].shutdown().await;
    assert!(
        wait_for(Duration::from_secs(10), || sees(
            &meshes[0],
            "s3.global",
            Some(MemberStatus::Failed)
        ))
        .await
    );
    meshes[0].force_leave("s3.global", true).await.unwrap();
    assert!(
        wait_for(Duration::from_secs(5), || sees(
            &meshes[1],
            "s3.global",
            None
        ))
        .await
    );
    assert!(matches!(
        meshes[0].force_leave("nobody.global", false).await,
        Err(Error::UnknownMember(_))
    ));
    meshes[0].shutdown().await;
    meshes[1].shutdown().await;
}

#[tokio::test(start_paused = true)]
async fn requests_round_trip_and_time_out() {
    let net = MemoryNetwork::new(6, MemoryLink::default());
    let a = start(&net, 1);
    let b = start(&net, 2);
    b.set_request_handler(|peer, body| async move {
        let mut out = body.to_vec();
        out.extend_from_slice(peer.addr.to_string().as_bytes());
        Ok(Bytes::from(out))
    });
    let reply = a
        .request(
            addr(2),
            Bytes::from_static(b"hi from "),
            Duration::from_secs(1),
        )
        .await
        .unwrap();
    assert_eq!(&reply[..], b"hi from 10.0.0.1:4648");
    b.set_request_handler(|_, _| async { Err("no such region".to_owned()) });
    let err = a
        .request(addr(2), Bytes::new(), Duration::from_secs(1))
        .await
        .unwrap_err();
    assert!(err.to_string().contains("no such region"), "{err}");
    b.shutdown().await;
    let err = a
        .request(addr(2), Bytes::new(), Duration::from_millis(200))
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Timeout(_)));
    a.shutdown().await;
}
