//! The mesh over real QUIC sockets on loopback (127.0.0.1:0).

use std::net::{SocketAddr, UdpSocket};
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

use super::{HelloPolicy, QuicOptions, QuicTransport};
use crate::member::MemberStatus;
use crate::meta::MemberMeta;
use crate::tls::{self, TlsConfig, certs};
use crate::transport::{HandlerSlot, Transport};
use crate::{Error, Mesh, MeshConfig, MeshHandle, MeshSettings, generate_gossip_key};

fn loopback() -> SocketAddr {
    SocketAddr::from(([127, 0, 0, 1], 0))
}

fn settings(node: &str, region: &str, bind: SocketAddr) -> MeshSettings {
    let ip = bind.ip();
    let meta = MemberMeta::new(
        node,
        region,
        "dc1",
        SocketAddr::new(ip, 4647),
        SocketAddr::new(ip, 4646),
    );
    let mut s = MeshSettings::new(meta, bind);
    s.core = MeshConfig::fast();
    s.join_timeout = Duration::from_secs(5);
    s
}

fn start(s: MeshSettings) -> MeshHandle {
    Mesh::start(s, CancellationToken::new()).unwrap()
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
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

fn status(m: &MeshHandle, name: &str) -> Option<MemberStatus> {
    m.member(name).map(|x| x.status)
}

fn all_alive(meshes: &[&MeshHandle], n: usize) -> bool {
    meshes
        .iter()
        .all(|m| m.members().iter().filter(|x| x.is_alive()).count() == n)
}

const LIMIT: Duration = Duration::from_secs(20);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lifecycle_join_fail_leave_restart() {
    let a = start(settings("a", "global", loopback()));
    let b = start(settings("b", "global", loopback()));
    let c = start(settings("c", "global", loopback()));
    let d = start(settings("d", "global", loopback()));
    for m in [&b, &c, &d] {
        assert_eq!(m.join(&[a.local_addr()]).await.unwrap(), 1);
    }
    assert!(
        wait_for(LIMIT, || all_alive(&[&a, &b, &c, &d], 4)).await,
        "did not converge"
    );
    let seen = a.member("c.global").unwrap();
    assert_eq!(seen.addr, c.local_addr());
    assert_eq!(seen.meta.rpc_addr.port(), 4647);

    // Killed without leaving: failed.
    let c_addr = c.local_addr();
    c.shutdown().await;
    assert!(
        wait_for(LIMIT, || status(&a, "c.global")
            == Some(MemberStatus::Failed)
            && status(&b, "c.global") == Some(MemberStatus::Failed))
        .await
    );

    // Graceful leave: left, never failed.
    let mut events = a.subscribe();
    d.leave().await.unwrap();
    d.shutdown().await;
    assert!(
        wait_for(LIMIT, || status(&a, "d.global") == Some(MemberStatus::Left)
            && status(&b, "d.global") == Some(MemberStatus::Left))
        .await
    );
    while let Ok(e) = events.try_recv() {
        assert!(!(e.member.name == "d.global" && e.kind == crate::MemberEventKind::Failed));
    }

    // Restart on the same port: alive again under a newer identity.
    let before = a.member("c.global").unwrap().incarnation;
    let c2 = start(settings("c", "global", c_addr));
    assert_eq!(c2.local_addr(), c_addr);
    c2.join(&[b.local_addr()]).await.unwrap();
    assert!(
        wait_for(LIMIT, || status(&a, "c.global")
            == Some(MemberStatus::Alive)
            && status(&b, "c.global") == Some(MemberStatus::Alive))
        .await
    );
    assert!(a.member("c.global").unwrap().incarnation > before);
    for m in [&a, &b, &c2] {
        m.shutdown().await;
    }
}

fn write_certs(dir: &Path, regions: &[&str]) -> (std::path::PathBuf, std::path::PathBuf) {
    let (ca_cert, ca_key) = certs::write_ca(dir, certs::CA_DAYS).unwrap();
    for r in regions {
        certs::write_server_cert(dir, &ca_cert, &ca_key, r, certs::CERT_DAYS).unwrap();
    }
    (ca_cert, ca_key)
}

fn tls_for(dir: &Path, ca: &Path, cert_region: &str) -> TlsConfig {
    TlsConfig {
        ca_file: ca.to_path_buf(),
        cert_file: dir.join(certs::server_cert_file(cert_region)),
        key_file: dir.join(certs::server_key_file(cert_region)),
        verify_server_hostname: true,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tls_refuses_wrong_region_and_foreign_ca_but_federates_regions() {
    let dir = tempfile::tempdir().unwrap();
    let (ca, _) = write_certs(dir.path(), &["west", "east"]);
    let other = tempfile::tempdir().unwrap();
    let (other_ca, _) = write_certs(other.path(), &["west"]);

    let mut s = settings("a", "west", loopback());
    s.tls = Some(tls_for(dir.path(), &ca, "west"));
    let a = start(s);

    // Claims region west but holds an east certificate: refused.
    let mut s = settings("liar", "west", loopback());
    s.tls = Some(tls_for(dir.path(), &ca, "east"));
    let liar = start(s);
    assert!(liar.join(&[a.local_addr()]).await.is_err());

    // A west certificate from another CA: refused by the handshake.
    let mut s = settings("stranger", "west", loopback());
    s.tls = Some(tls_for(other.path(), &other_ca, "west"));
    let stranger = start(s);
    assert!(stranger.join(&[a.local_addr()]).await.is_err());

    // Same region, right certificate; and another region with its own.
    let mut s = settings("b", "west", loopback());
    s.tls = Some(tls_for(dir.path(), &ca, "west"));
    let b = start(s);
    let mut s = settings("e", "east", loopback());
    s.tls = Some(tls_for(dir.path(), &ca, "east"));
    let e = start(s);
    assert_eq!(b.join(&[a.local_addr()]).await.unwrap(), 1);
    assert_eq!(e.join(&[a.local_addr()]).await.unwrap(), 1);
    assert!(wait_for(LIMIT, || all_alive(&[&a, &b, &e], 3)).await);
    assert_eq!(a.regions(), vec!["east".to_owned(), "west".to_owned()]);
    // The refused never made it in.
    assert!(a.member("liar.west").is_none());
    assert!(a.member("stranger.west").is_none());
    for m in [&a, &b, &e, &liar, &stranger] {
        m.shutdown().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn gossip_key_must_match() {
    let key = generate_gossip_key().unwrap();
    let mut s = settings("a", "global", loopback());
    s.encrypt = Some(key.clone());
    let a = start(s);

    let mut s = settings("wrongkey", "global", loopback());
    s.encrypt = Some(generate_gossip_key().unwrap());
    let wrong = start(s);
    assert!(wrong.join(&[a.local_addr()]).await.is_err());

    let nokey = start(settings("nokey", "global", loopback()));
    assert!(nokey.join(&[a.local_addr()]).await.is_err());

    let mut s = settings("b", "global", loopback());
    s.encrypt = Some(key);
    let b = start(s);
    assert_eq!(b.join(&[a.local_addr()]).await.unwrap(), 1);
    assert!(wait_for(LIMIT, || all_alive(&[&a, &b], 2)).await);
    assert!(a.member("wrongkey.global").is_none());
    assert!(a.member("nokey.global").is_none());
    for m in [&a, &b, &wrong, &nokey] {
        m.shutdown().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn junk_on_the_serf_port_changes_nothing() {
    let key = generate_gossip_key().unwrap();
    let mut s = settings("a", "global", loopback());
    s.encrypt = Some(key.clone());
    let a = start(s);
    let mut s = settings("b", "global", loopback());
    s.encrypt = Some(key.clone());
    let b = start(s);
    b.join(&[a.local_addr()]).await.unwrap();
    assert!(wait_for(LIMIT, || all_alive(&[&a, &b], 2)).await);
    let before = a.members();

    // Raw UDP: random, truncated-looking and oversized packets.
    let raw = UdpSocket::bind(loopback()).unwrap();
    let mut seed = 0x1234_5678_u64;
    for len in [0usize, 1, 5, 40, 1200, 1500, 9000] {
        let junk: Vec<u8> = (0..len)
            .map(|_| {
                seed ^= seed << 13;
                seed ^= seed >> 7;
                seed ^= seed << 17;
                seed as u8
            })
            .collect();
        raw.send_to(&junk, a.local_addr()).unwrap();
    }

    // Junk QUIC datagrams over an authenticated connection, from a peer
    // that proved the key (as a compromised member could).
    let tls = tls::build(None, "global").unwrap();
    let policy = HelloPolicy {
        name: Arc::from("b.global"),
        key: Some(crate::GossipKey::parse(&key).unwrap()),
        verify_region: false,
    };
    let (tx, _rx) = mpsc::channel(16);
    let cancel = CancellationToken::new();
    let peer = QuicTransport::bind(
        loopback(),
        tls,
        policy,
        tx,
        HandlerSlot::default(),
        QuicOptions::default(),
        cancel,
    )
    .unwrap();
    peer.connect(a.local_addr(), Duration::from_secs(5))
        .await
        .unwrap();
    for junk in [
        &b""[..],
        &[1, 0],
        &[1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x95],
        &[9; 1100],
        &[1, 2, 0xdb, 0xff, 0xff, 0xff, 0xff],
    ] {
        peer.send_datagram(a.local_addr(), Bytes::copy_from_slice(junk));
    }
    let dropped = {
        let mut dropped = 0;
        for _ in 0..100 {
            dropped = a.stats().await.unwrap().dropped_malformed;
            if dropped >= 4 {
                break;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        dropped
    };
    assert!(dropped >= 4, "only {dropped} junk datagrams counted");
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(a.members().len(), before.len());
    assert!(all_alive(&[&a, &b], 2));
    peer.shutdown().await;
    a.shutdown().await;
    b.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn requests_round_trip_time_out_and_fail_cleanly() {
    let a = start(settings("a", "global", loopback()));
    let b = start(settings("b", "global", loopback()));
    b.set_request_handler(|peer, body| async move {
        if body.as_ref() == b"slow" {
            tokio::time::sleep(Duration::from_secs(5)).await;
        }
        if body.as_ref() == b"fail" {
            return Err("boom".to_owned());
        }
        let mut out = peer.name.as_deref().unwrap_or("?").as_bytes().to_vec();
        out.push(b':');
        out.extend_from_slice(&body);
        Ok(Bytes::from(out))
    });
    let reply = a
        .request(
            b.local_addr(),
            Bytes::from_static(b"ping"),
            Duration::from_secs(5),
        )
        .await
        .unwrap();
    assert_eq!(&reply[..], b"a.global:ping");
    // A second request reuses the connection.
    let big = Bytes::from(vec![7u8; 200_000]);
    let reply = a
        .request(b.local_addr(), big.clone(), Duration::from_secs(5))
        .await
        .unwrap();
    assert_eq!(reply.len(), big.len() + "a.global:".len());
    let err = a
        .request(
            b.local_addr(),
            Bytes::from_static(b"fail"),
            Duration::from_secs(5),
        )
        .await
        .unwrap_err();
    assert!(
        matches!(&err, Error::Request { reason, .. } if reason == "boom"),
        "{err}"
    );
    let err = a
        .request(
            b.local_addr(),
            Bytes::from_static(b"slow"),
            Duration::from_millis(300),
        )
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Timeout(_)), "{err}");
    // Nobody listens there.
    let dead = UdpSocket::bind(loopback()).unwrap().local_addr().unwrap();
    let err = a
        .request(dead, Bytes::from_static(b"x"), Duration::from_millis(500))
        .await
        .unwrap_err();
    assert!(
        matches!(err, Error::Timeout(_) | Error::Connect { .. }),
        "{err}"
    );
    a.shutdown().await;
    b.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn streams_carry_messages_both_ways_and_end_with_either_side() {
    let a = start(settings("a", "global", loopback()));
    let b = start(settings("b", "global", loopback()));
    // Without a stream handler the stream ends at once.
    let mut refused = a
        .open_stream(b.local_addr(), Bytes::new(), Duration::from_secs(5))
        .await
        .unwrap();
    assert!(refused.rx.recv().await.is_none());
    // An echo service that first says who opened it with what, and ends after "bye".
    b.set_stream_handler(|peer, opening, mut s: crate::MeshStream| async move {
        let mut hello = peer.name.as_deref().unwrap_or("?").as_bytes().to_vec();
        hello.push(b':');
        hello.extend_from_slice(&opening);
        let _ = s.tx.send(Bytes::from(hello)).await;
        while let Some(m) = s.rx.recv().await {
            if m.as_ref() == b"bye" {
                return;
            }
            let _ = s.tx.send(m).await;
        }
    });
    let mut s = a
        .open_stream(
            b.local_addr(),
            Bytes::from_static(b"exec"),
            Duration::from_secs(5),
        )
        .await
        .unwrap();
    assert_eq!(&s.rx.recv().await.unwrap()[..], b"a.global:exec");
    // Messages keep their boundaries and order, large ones too.
    let big = Bytes::from(vec![9u8; 300_000]);
    for m in [Bytes::from_static(b"one"), big.clone(), Bytes::new()] {
        s.tx.send(m).await.unwrap();
    }
    assert_eq!(&s.rx.recv().await.unwrap()[..], b"one");
    assert_eq!(s.rx.recv().await.unwrap(), big);
    assert!(s.rx.recv().await.unwrap().is_empty());
    // The serving side ends: our receiver sees the end.
    s.tx.send(Bytes::from_static(b"bye")).await.unwrap();
    assert!(s.rx.recv().await.is_none());
    // The opening side ends: the handler's receiver sees the end and the handler returns.
    let (done_tx, mut done_rx) = mpsc::channel::<()>(1);
    b.set_stream_handler(move |_peer, _opening, mut s: crate::MeshStream| {
        let done = done_tx.clone();
        async move {
            while s.rx.recv().await.is_some() {}
            let _ = done.send(()).await;
        }
    });
    let s = a
        .open_stream(b.local_addr(), Bytes::new(), Duration::from_secs(5))
        .await
        .unwrap();
    drop(s);
    assert!(
        tokio::time::timeout(Duration::from_secs(10), done_rx.recv())
            .await
            .is_ok()
    );
    // Nobody listens there: a bounded failure.
    let dead = UdpSocket::bind(loopback()).unwrap().local_addr().unwrap();
    let err = a
        .open_stream(dead, Bytes::new(), Duration::from_millis(500))
        .await
        .unwrap_err();
    assert!(
        matches!(err, Error::Timeout(_) | Error::Connect { .. }),
        "{err}"
    );
    a.shutdown().await;
    b.shutdown().await;
}
