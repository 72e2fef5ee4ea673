//! Multi-region federation with real processes: three regions (east, west, south), one server+client
//! agent each, federated with `nomad server join`. Requests for another region (`-region`, a job's own
//! `region`) are forwarded over the mesh; log follows stream through it; a killed region fails fast and
//! clearly and comes back through `retry_join`. Also: an advertised serf address behind a NAT-like relay,
//! and a pruned region leaving no trace in `/v1/regions`.

use std::io::{BufRead, BufReader};
use std::net::UdpSocket;
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::thread;
use std::time::{Duration, Instant};

use super::federation_support::{
    FAST_FAILURE, RegionAgent, UdpRelay, batch_job, completed_in, get_indexed_at, names, run_job,
};
use super::mesh_support::{PATIENCE, ServerAgent, both, join, stdout, wait_for};
use super::support::NOMAD;

fn ticker_job(dir: &Path) -> String {
    let hcl = "job \"ticker\" {\n  datacenters = [\"dc1\"]\n  group \"g\" {\n    task \"t\" {\n      driver = \"raw_exec\"\n      config {\n        command = \"/bin/sh\"\n        args = [\"-c\", \"i=0; while [ $i -lt 100000 ]; do echo tick-$i; i=$((i+1)); sleep 0.3; done\"]\n      }\n      resources {\n        cpu = 50\n        memory = 32\n      }\n    }\n  }\n}\n";
    let path = dir.join("ticker.nomad.hcl");
    std::fs::write(&path, hcl).expect("write job");
    path.display().to_string()
}

#[test]
fn three_regions_forward_stream_and_survive_a_lost_region() {
    let east = RegionAgent::start("east", "");
    let mut west = RegionAgent::start("west", "");
    let south = RegionAgent::start("south", "");
    let members = [east.member(), west.member(), south.member()];
    join(&west, &east);
    join(&south, &east);
    wait_for(
        &[&east, &west, &south],
        "every server to list every region's server",
        || {
            [&east, &west, &south].iter().all(|a| {
                members
                    .iter()
                    .all(|m| a.status_of(m).as_deref() == Some("alive"))
            })
        },
    );
    for a in [&east, &west, &south] {
        let regions = names(&a.json("/v1/regions").expect("regions"));
        assert_eq!(regions, ["east", "south", "west"], "{}", a.region);
    }
    wait_for(
        &[&east, &west, &south],
        "a ready node in every region",
        || [&east, &west, &south].iter().all(|a| a.node_ready()),
    );

    // `-region west` through east's address places in west only.
    let dir = tempfile::tempdir().expect("tempdir");
    let hello = batch_job(dir.path(), "hello", None, "hello-from-west");
    run_job(&east, &["-region", "west"], &hello);
    let alloc = completed_in(&[&east, &west, &south], &west, "hello");
    assert!(east.local_allocs("hello").is_empty());
    assert!(south.local_allocs("hello").is_empty());
    let node = west
        .json(&format!("/v1/allocation/{alloc}"))
        .expect("alloc")["NodeID"]
        .clone();
    let west_nodes = west.json("/v1/nodes").expect("nodes");
    assert!(
        west_nodes
            .as_array()
            .is_some_and(|ns| ns.iter().any(|n| n["ID"] == node)),
        "{node} is not west's node: {west_nodes}"
    );

    // A job that names its region goes there wherever it is submitted: the server reads `Job.Region`.
    let body = r#"{"Job": {"ID": "own", "Name": "own", "Region": "west", "Type": "batch", "Datacenters": ["dc1"],
        "TaskGroups": [{"Name": "g", "Count": 1, "Tasks": [{"Name": "t", "Driver": "raw_exec",
        "Config": {"command": "/bin/sh", "args": ["-c", "echo own-region"]},
        "Resources": {"CPU": 50, "MemoryMB": 32}}]}]}}"#;
    let (status, text) = south.request("PUT", "/v1/jobs", Some(body));
    assert_eq!(status, 200, "{text}");
    completed_in(&[&east, &west, &south], &west, "own");
    assert!(south.local_allocs("own").is_empty());
    // And through the CLI, from a file that says `region = "west"`, submitted to east.
    let named = batch_job(dir.path(), "named", Some("west"), "named-region");
    run_job(&east, &[], &named);
    completed_in(&[&east, &west, &south], &west, "named");

    // Status and logs of west's job from every region's address.
    for a in [&east, &west, &south] {
        let out = a.nomad(&["job", "status", "-region", "west", "hello"]);
        assert!(out.status.success(), "{}: {}", a.region, both(&out));
        assert!(stdout(&out).contains("hello"), "{}", both(&out));
        let out = a.nomad(&["alloc", "logs", "-region", "west", &alloc]);
        assert!(out.status.success(), "{}: {}", a.region, both(&out));
        assert_eq!(stdout(&out).trim(), "hello-from-west", "{}", a.region);
    }
    // A blocking query forwarded to west blocks there past the ordinary per-try timeout and wakes on
    // west's change.
    let (status, mut index, body) = east.get_indexed("/v1/jobs?region=west");
    assert!(status == 200 && index > 0, "{status} {body}");
    let port = east.http;
    let waiter = thread::spawn(move || {
        let mut seen = Vec::new();
        let start = Instant::now();
        while start.elapsed() < PATIENCE {
            let url = format!("http://127.0.0.1:{port}/v1/jobs?region=west&index={index}&wait=60s");
            let (status, next, body) = get_indexed_at(&url);
            seen.push((status, next));
            if status != 200 {
                return (seen, body);
            }
            index = next;
            if body.contains("\"woken\"") {
                return (seen, body);
            }
        }
        (seen, String::new())
    });
    thread::sleep(Duration::from_secs(4));
    let woken = batch_job(dir.path(), "woken", None, "woken");
    run_job(&south, &["-region", "west", "-detach"], &woken);
    let (seen, body) = waiter.join().expect("waiter");
    assert!(body.contains("\"woken\""), "{seen:?} {body}");
    assert!(seen.iter().all(|(s, _)| *s == 200), "{seen:?} {body}");
    completed_in(&[&east, &west, &south], &west, "woken");

    // NOMAD_REGION does the same as -region.
    let out = Command::new(NOMAD)
        .args(["job", "status", "hello"])
        .env("NOMAD_ADDR", format!("http://127.0.0.1:{}", south.http))
        .env("NOMAD_REGION", "west")
        .output()
        .expect("run nomad");
    assert!(out.status.success(), "{}", both(&out));

    // `alloc logs -f` streams through the mesh: lines printed after the follow began keep arriving.
    run_job(
        &east,
        &["-region", "south", "-detach"],
        &ticker_job(dir.path()),
    );
    let mut ticker = String::new();
    wait_for(
        &[&east, &west, &south],
        "ticker to run in south",
        || match south.local_allocs("ticker").as_slice() {
            [(id, status)] if status == "running" => {
                ticker = id.clone();
                true
            }
            _ => false,
        },
    );
    // How far the task got before the follow began (read directly in south).
    let before = south.nomad(&["alloc", "logs", &ticker]);
    let printed = stdout(&before).lines().count() as u64;
    let mut follow = Command::new(NOMAD)
        .args(["alloc", "logs", "-f", "-region", "south", &ticker])
        .env("NOMAD_ADDR", format!("http://127.0.0.1:{}", east.http))
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("follow logs");
    let (tx, rx) = mpsc::channel();
    let lines = BufReader::new(follow.stdout.take().expect("stdout"));
    thread::spawn(move || {
        for line in lines.lines().map_while(Result::ok) {
            if tx.send(line).is_err() {
                return;
            }
        }
    });
    let started = Instant::now();
    let mut last_n = 0;
    while last_n < printed + 5 && started.elapsed() < PATIENCE {
        if let Ok(line) = rx.recv_timeout(Duration::from_secs(1)) {
            last_n = line.trim_start_matches("tick-").parse().expect("tick line");
        }
    }
    let _ = follow.kill();
    let _ = follow.wait();
    assert!(
        last_n >= printed + 5,
        "the follow stopped at tick-{last_n}; {printed} lines were printed before it began"
    );
    let out = east.nomad(&["job", "stop", "-region", "south", "ticker"]);
    assert!(out.status.success(), "{}", both(&out));

    // Every region's leader is shown.
    let out = east.nomad(&["server", "members"]);
    assert!(out.status.success(), "{}", both(&out));
    let text = stdout(&out);
    for m in &members {
        let line = text.lines().find(|l| l.starts_with(m.as_str())).expect(m);
        assert_eq!(line.split_whitespace().nth(4), Some("true"), "{text}");
    }

    // West dies without leaving. Requests for it fail fast and clearly, before and after the mesh notices.
    west.kill();
    let check_lost = |via: &RegionAgent| {
        let begun = Instant::now();
        let out = via.nomad(&["job", "status", "-region", "west", "hello"]);
        let took = begun.elapsed();
        assert!(!out.status.success(), "{}", both(&out));
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains("No path to region"), "{err}");
        assert!(took < FAST_FAILURE, "took {took:?}: {err}");
    };
    check_lost(&east);
    wait_for(&[&east, &south], "west to be seen failed", || {
        east.status_of(&members[1]).as_deref() == Some("failed")
            && south.status_of(&members[1]).as_deref() == Some("failed")
    });
    check_lost(&south);

    // The others keep scheduling, each through the other's address.
    let e = batch_job(dir.path(), "after-east", None, "still-east");
    run_job(&south, &["-region", "east"], &e);
    completed_in(&[&east, &south], &east, "after-east");
    let s = batch_job(dir.path(), "after-south", None, "still-south");
    run_job(&east, &["-region", "south"], &s);
    completed_in(&[&east, &south], &south, "after-south");

    // `server members` still prints every server; west's leader is unknown, and a warning says why.
    let out = south.nomad(&["server", "members"]);
    assert!(out.status.success(), "{}", both(&out));
    let text = stdout(&out);
    assert_eq!(text.lines().count(), 4, "{text}");
    let west_line = text
        .lines()
        .find(|l| l.starts_with(members[1].as_str()))
        .expect("west");
    let cols: Vec<&str> = west_line.split_whitespace().collect();
    assert_eq!(cols[3..5], ["failed", "unknown"], "{text}");
    let east_line = text
        .lines()
        .find(|l| l.starts_with(members[0].as_str()))
        .expect("east");
    assert_eq!(east_line.split_whitespace().nth(4), Some("true"), "{text}");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("Warning") && err.contains("\"west\"") && err.contains("No path to region"),
        "{err}"
    );

    // West comes back on its own through retry_join; nothing else is restarted.
    let seed = east.serf_addr();
    west.spawn(&["-retry-join", &seed, "-retry-interval", "1s"]);
    wait_for(
        &[&east, &west, &south],
        "west to be alive again everywhere",
        || {
            [&east, &south]
                .iter()
                .all(|a| a.status_of(&members[1]).as_deref() == Some("alive"))
                && west.node_ready()
        },
    );
    let again = batch_job(dir.path(), "again", None, "west-again");
    run_job(&south, &["-region", "west"], &again);
    let alloc = completed_in(&[&east, &west, &south], &west, "again");
    let out = east.nomad(&["alloc", "logs", "-region", "west", &alloc]);
    assert!(out.status.success(), "{}", both(&out));
    assert_eq!(stdout(&out).trim(), "west-again");
}

#[test]
fn advertised_serf_address_and_a_pruned_region() {
    let east = RegionAgent::start("east", "");
    let south = RegionAgent::start("south", "");
    // `far` sits behind a relay (a NAT port forward): it binds its own serf port but advertises the relay's.
    let front = UdpSocket::bind("127.0.0.1:0").expect("relay socket");
    let relay_port = front.local_addr().expect("relay addr").port();
    let mut far = ServerAgent::prepare(
        "far-1",
        &format!("region = \"far\"\nadvertise {{\n  serf = \"127.0.0.1:{relay_port}\"\n}}\n"),
    );
    let _relay = UdpRelay::start(front, format!("127.0.0.1:{}", far.serf).parse().unwrap());
    far.spawn(&[]);
    let far_member = "far-1.far".to_owned();

    join(&south, &east);
    let out = far.nomad(&["server", "join", &east.serf_addr()]);
    assert!(out.status.success(), "{}", both(&out));
    wait_for(&[&east, &south, &far], "far alive everywhere", || {
        [east.status_of(&far_member), south.status_of(&far_member)]
            .iter()
            .all(|s| s.as_deref() == Some("alive"))
            && far.status_of(&south.member()).as_deref() == Some("alive")
    });
    let entry = |agent: &ServerAgent| {
        agent.get("/v1/agent/members").expect("members")["Members"]
            .as_array()
            .and_then(|ms| {
                ms.iter()
                    .find(|m| m["Name"] == far_member.as_str())
                    .cloned()
            })
            .expect("far listed")
    };
    let seen = entry(&east);
    let own = entry(&far);
    assert_eq!(seen["Addr"], "127.0.0.1", "{seen}");
    assert_eq!(seen["Port"], relay_port, "the advertised serf port: {seen}");
    assert_eq!(own["Port"], relay_port, "far advertises the relay: {own}");
    assert_ne!(far.serf, relay_port);
    // The RPC address is not the serf one: far's RPC port travels unchanged in its tags.
    assert_eq!(seen["Tags"]["port"], own["Tags"]["port"], "{seen}");
    assert_ne!(seen["Tags"]["port"], relay_port.to_string(), "{seen}");
    let regions = names(&south.json("/v1/regions").expect("regions"));
    assert_eq!(regions, ["east", "far", "south"]);

    // The region goes away: its only server is killed and pruned. No server lists the region any more.
    far.kill();
    wait_for(&[&east, &south], "far to be seen failed", || {
        east.status_of(&far_member).as_deref() == Some("failed")
    });
    let out = east.nomad(&["server", "force-leave", "-prune", &far_member]);
    assert!(out.status.success(), "{}", both(&out));
    wait_for(&[&east, &south], "far to vanish from /v1/regions", || {
        [&east, &south].iter().all(|a| {
            a.json("/v1/regions").map(|r| names(&r)) == Some(vec!["east".into(), "south".into()])
                && a.status_of(&far_member).is_none()
        })
    });
    let begun = Instant::now();
    let (status, text) = east.request("GET", "/v1/jobs?region=far", None);
    assert_eq!((status, text.trim()), (500, "No path to region"));
    assert!(begun.elapsed() < FAST_FAILURE);
}
