//! The mesh refuses servers that fail authentication and shrugs off junk, with real agents: a server
//! whose TLS certificate (made by `nomad tls ...`) names another region, and a server holding another
//! gossip key (made by `nomad operator gossip keyring generate`), never appear in anyone's member list;
//! random, truncated, corrupted and oversized UDP packets on the serf port neither crash an agent nor
//! change its members.

use std::net::UdpSocket;
use std::process::{Command, Stdio};
use std::thread;
use std::time::{Duration, Instant};

use super::mesh_support::{ServerAgent, both, join, sees_alive, stdout, wait_for};
use super::support::{NOMAD, run_nomad};

/// Long enough for several LAN probe and gossip rounds, so a refused server would have shown up.
const SETTLE: Duration = Duration::from_secs(3);

/// Polls for `SETTLE` and panics the moment `check` fails: membership must stay as it is.
fn stays(agents: &[&ServerAgent], what: &str, mut check: impl FnMut() -> bool) {
    let start = Instant::now();
    while start.elapsed() < SETTLE {
        if !check() {
            let logs: Vec<String> = agents.iter().map(|a| a.log()).collect();
            panic!("{what} stopped holding\n{}", logs.join("\n"));
        }
        thread::sleep(Duration::from_millis(200));
    }
}

/// Both directions of a join between a good server and an intruder fail for `reason`, and after a while
/// the good ones still list only each other and the intruder only itself.
fn assert_refused(a: &ServerAgent, b: &ServerAgent, intruder: &ServerAgent, reason: &str) {
    for (from, to) in [(intruder, a), (a, intruder)] {
        let out = from.nomad(&["server", "join", &to.serf_addr()]);
        assert_eq!(out.status.code(), Some(1), "{}", both(&out));
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(
            err.starts_with("Error joining") && err.contains(reason),
            "{}",
            both(&out)
        );
    }
    let good = [a.member(), b.member()];
    let alone = [intruder.member()];
    stays(&[a, b, intruder], "the intruder staying out", || {
        sees_alive(a, &good) && sees_alive(b, &good) && sees_alive(intruder, &alone)
    });
}

#[test]
fn a_server_with_another_regions_certificate_is_refused() {
    let certs = tempfile::tempdir().expect("tempdir");
    let run = |args: &[&str]| {
        let out = run_nomad(certs.path(), args).expect("run nomad");
        assert_eq!(out.code, Some(0), "{}", out.describe());
        out.stdout
    };
    let ca = run(&["tls", "ca", "create"]);
    assert!(
        ca.contains("==> CA Certificate saved to: nomad-agent-ca.pem"),
        "{ca}"
    );
    let global = run(&["tls", "cert", "create", "-server", "-region", "global"]);
    assert!(
        global.contains("==> Server Certificate saved to global-server-nomad.pem"),
        "{global}"
    );
    run(&["tls", "cert", "create", "-server", "-region", "west"]);
    for file in [
        "nomad-agent-ca-key.pem",
        "global-server-nomad-key.pem",
        "west-server-nomad.pem",
        "west-server-nomad-key.pem",
    ] {
        assert!(certs.path().join(file).is_file(), "{file} missing");
    }
    // Never overwritten.
    let again = run_nomad(certs.path(), &["tls", "ca", "create"]).expect("run nomad");
    assert_eq!(again.code, Some(1), "{}", again.describe());

    let tls = |region: &str| {
        let dir = certs.path().display();
        format!(
            "tls {{\n  rpc = true\n  ca_file = \"{dir}/nomad-agent-ca.pem\"\n  \
             cert_file = \"{dir}/{region}-server-nomad.pem\"\n  \
             key_file = \"{dir}/{region}-server-nomad-key.pem\"\n  verify_server_hostname = true\n}}\n"
        )
    };
    let a = ServerAgent::start("a", &tls("global"));
    let b = ServerAgent::start("b", &tls("global"));
    // Configured for region global, holding a certificate for west.
    let c = ServerAgent::start("c", &tls("west"));
    join(&b, &a);
    let good = [a.member(), b.member()];
    wait_for(&[&a, &b], "a and b to see each other", || {
        sees_alive(&a, &good) && sees_alive(&b, &good)
    });
    assert_refused(
        &a,
        &b,
        &c,
        "c.global: certificate is not valid for server.global.nomad",
    );
}

#[test]
fn a_server_with_another_gossip_key_is_refused() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let key = || {
        let out = run_nomad(tmp.path(), &["operator", "gossip", "keyring", "generate"])
            .expect("run nomad");
        assert_eq!(out.code, Some(0), "{}", out.describe());
        let key = out.stdout.trim().to_owned();
        // 32 random bytes in standard base64.
        assert_eq!(key.len(), 44, "{key}");
        assert!(key.ends_with('='), "{key}");
        key
    };
    let (k1, k2) = (key(), key());
    assert_ne!(k1, k2);
    let with_key = |k: &str| format!("server {{\n  encrypt = \"{k}\"\n}}\n");
    let a = ServerAgent::start("a", &with_key(&k1));
    let b = ServerAgent::start("b", &with_key(&k1));
    let c = ServerAgent::start("c", &with_key(&k2));
    join(&b, &a);
    let good = [a.member(), b.member()];
    wait_for(&[&a, &b], "a and b to see each other", || {
        sees_alive(&a, &good) && sees_alive(&b, &good)
    });
    assert_refused(&a, &b, &c, "does not have our gossip encryption key");
}

/// xorshift64: reproducible junk without a dependency.
fn junk(seed: &mut u64, len: usize) -> Vec<u8> {
    (0..len)
        .map(|_| {
            *seed ^= *seed << 13;
            *seed ^= *seed >> 7;
            *seed ^= *seed << 17;
            (*seed >> 24) as u8
        })
        .collect()
}

/// A real QUIC Initial packet, as `agent` sends when it dials: we ask it to join a socket we own.
fn capture_initial(agent: &ServerAgent) -> Vec<u8> {
    let trap = UdpSocket::bind("127.0.0.1:0").expect("bind");
    trap.set_read_timeout(Some(Duration::from_secs(30)))
        .expect("timeout");
    let addr = trap.local_addr().expect("addr").to_string();
    let mut dial = Command::new(NOMAD)
        .args(["server", "join", &addr])
        .env("NOMAD_ADDR", format!("http://127.0.0.1:{}", agent.http))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("run nomad");
    let mut buf = vec![0u8; 65_536];
    let got = trap.recv_from(&mut buf);
    let _ = dial.kill();
    let _ = dial.wait();
    let (n, _) = got.expect("the agent dials the trap");
    buf.truncate(n);
    buf
}

#[test]
fn junk_on_the_serf_port_changes_nothing() {
    let mut a = ServerAgent::start("a", "");
    let mut b = ServerAgent::start("b", "");
    join(&b, &a);
    let good = [a.member(), b.member()];
    wait_for(&[&a, &b], "a and b to see each other", || {
        sees_alive(&a, &good) && sees_alive(&b, &good)
    });

    let initial = capture_initial(&a);
    // A client Initial: long header, padded to at least 1200 bytes.
    assert!(
        initial[0] & 0x80 != 0 && initial.len() >= 1200,
        "{initial:?}"
    );
    let n = initial.len();
    let mut packets: Vec<Vec<u8>> = Vec::new();
    let mut seed = 0x9e37_79b9_7f4a_7c15_u64;
    for len in [0, 1, 2, 5, 40, 200, 1200, 1500, 9000, 65_000] {
        packets.push(junk(&mut seed, len));
    }
    for cut in [1, 5, 6, 7, 20, 50, 100, n / 2, n - 1] {
        packets.push(initial[..cut].to_vec());
    }
    for at in [0, 1, 5, 6, 20, n / 2, n - 1] {
        let mut flipped = initial.clone();
        flipped[at] ^= 0x5a;
        packets.push(flipped);
    }
    // Long-header junk with a valid version, short-header junk, and the Initial replayed from a stranger.
    let mut long = vec![0xc0, 0, 0, 0, 1, 8];
    long.extend(junk(&mut seed, 1194));
    packets.push(long);
    let mut short = vec![0x40];
    short.extend(junk(&mut seed, 60));
    packets.push(short);
    packets.push(initial.clone());

    let sock = UdpSocket::bind("127.0.0.1:0").expect("bind");
    for target in [&b, &a] {
        for p in &packets {
            sock.send_to(p, target.serf_addr()).expect("send junk");
        }
    }
    stays(&[&a, &b], "membership after the junk", || {
        sees_alive(&a, &good) && sees_alive(&b, &good)
    });
    assert!(a.running() && b.running(), "{}\n{}", a.log(), b.log());
    let out = b.nomad(&["server", "members"]);
    assert!(out.status.success(), "{}", both(&out));
    assert_eq!(stdout(&out).lines().count(), 3, "{}", both(&out));
    for agent in [&a, &b] {
        assert!(!agent.log().contains("panicked"), "{}", agent.log());
    }
}
