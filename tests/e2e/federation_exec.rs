//! `nomad alloc exec -region west` from east's address, with real processes: the exec websocket travels
//! over the mesh as a stream to west's server, which runs it on its client. Output, exit codes and stdin
//! go through (a tty too, and a lot of output in order); a caller that goes away ends the command in
//! west; a refusal in west reaches the caller as west's plain HTTP error. A cut-off west (frozen with
//! SIGSTOP, so that its tasks are still stopped when the test ends) fails new requests fast and clearly,
//! through the CLI and on the websocket itself, and ends a session in progress with the reason.
//! With two servers in west, an exec that reaches the server whose client does not run the allocation
//! is relayed on to the node that does.

use std::io::Write;
use std::process::{Child, Command, Output, Stdio};
use std::time::Instant;

use super::federation_support::{FAST_FAILURE, RegionAgent, run_job};
use super::mesh_support::{ServerAgent, both, join, stdout, wait_for};
use super::support::NOMAD;

/// A raw_exec service that keeps running, so that commands can be run inside it.
fn sleeper_job(dir: &std::path::Path) -> String {
    let hcl = "job \"sleeper\" {\n  datacenters = [\"dc1\"]\n  group \"g\" {\n    task \"t\" {\n      driver = \"raw_exec\"\n      config {\n        command = \"/bin/sh\"\n        args = [\"-c\", \"while true; do sleep 1; done\"]\n      }\n      resources {\n        cpu = 50\n        memory = 32\n      }\n    }\n  }\n}\n";
    let path = dir.join("sleeper.nomad.hcl");
    std::fs::write(&path, hcl).expect("write job");
    path.display().to_string()
}

/// A raw_exec service like the sleeper, pinned to the node named `node`.
fn pinned_sleeper(dir: &std::path::Path, node: &str) -> String {
    let hcl = format!(
        "job \"pinned\" {{\n  datacenters = [\"dc1\"]\n  constraint {{\n    attribute = \"${{node.unique.name}}\"\n    value = \"{node}\"\n  }}\n  group \"g\" {{\n    task \"t\" {{\n      driver = \"raw_exec\"\n      config {{\n        command = \"/bin/sh\"\n        args = [\"-c\", \"while true; do sleep 1; done\"]\n      }}\n      resources {{\n        cpu = 50\n        memory = 32\n      }}\n    }}\n  }}\n}}\n"
    );
    let path = dir.join("pinned.nomad.hcl");
    std::fs::write(&path, hcl).expect("write job");
    path.display().to_string()
}

/// The ID of `job`'s one allocation once it runs in `region` (which serves it locally).
fn running_in(region: &RegionAgent, agents: &[&ServerAgent], job: &str) -> String {
    let mut alloc = String::new();
    wait_for(
        agents,
        &format!("the {job} running in {}", region.region),
        || match region.local_allocs(job).as_slice() {
            [(id, status)] if status == "running" => {
                alloc = id.clone();
                true
            }
            _ => false,
        },
    );
    alloc
}

/// Stops `job` in `via`'s own region and waits until none of its allocations runs: an agent that is
/// stopped leaves its tasks running (for a restart to re-attach them), so a test stops its jobs itself.
fn stop_job(via: &RegionAgent, job: &str, agents: &[&ServerAgent]) {
    let out = via.nomad(&["job", "stop", job]);
    assert!(out.status.success(), "{}", both(&out));
    wait_for(agents, &format!("{job} to stop"), || {
        via.local_allocs(job).iter().all(|(_, s)| s != "running")
    });
}

/// The CLI against `via` with `input` on its stdin.
fn nomad_with_stdin(via: &RegionAgent, args: &[&str], input: &[u8]) -> Output {
    let mut child = Command::new(NOMAD)
        .args(args)
        .env("NOMAD_ADDR", format!("http://127.0.0.1:{}", via.http))
        .env_remove("NOMAD_REGION")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run nomad");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(input)
        .expect("write stdin");
    child.wait_with_output().expect("nomad output")
}

/// The CLI against `via`, running in the background.
fn nomad_spawn(via: &RegionAgent, args: &[&str]) -> Child {
    Command::new(NOMAD)
        .args(args)
        .env("NOMAD_ADDR", format!("http://127.0.0.1:{}", via.http))
        .env_remove("NOMAD_REGION")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run nomad")
}

/// A sleep length (seconds, about 3 months) unique to this test process and `n`.
fn unique_secs(n: u32) -> String {
    (7_000_000 + std::process::id() * 4 + n).to_string()
}

/// Whether a process whose command line is exactly `cmdline` (arguments joined by spaces) runs.
fn process_running(cmdline: &str) -> bool {
    let Ok(dir) = std::fs::read_dir("/proc") else {
        return false;
    };
    dir.flatten().any(|e| {
        std::fs::read(e.path().join("cmdline")).is_ok_and(|raw| {
            let args: Vec<String> = raw
                .split(|b| *b == 0)
                .filter(|a| !a.is_empty())
                .map(|a| String::from_utf8_lossy(a).into_owned())
                .collect();
            args.join(" ") == cmdline
        })
    })
}

/// Opens the exec websocket on `via` directly: the HTTP status and body of a refusal, or `None` when
/// it was accepted.
fn ws_refusal(via: &RegionAgent, query: &str) -> Option<(u16, String)> {
    let url = format!("ws://127.0.0.1:{}/v1/client/allocation/{query}", via.http);
    match tungstenite::connect(url) {
        Err(tungstenite::Error::Http(resp)) => {
            let body = String::from_utf8_lossy(resp.body().as_deref().unwrap_or_default());
            Some((resp.status().as_u16(), body.trim().to_owned()))
        }
        Err(e) => Some((0, e.to_string())),
        Ok(_) => None,
    }
}

#[test]
fn alloc_exec_reaches_another_region_over_the_mesh() {
    let east = RegionAgent::start("east", "");
    let west = RegionAgent::start("west", "");
    join(&west, &east);
    let members = [east.member(), west.member()];
    wait_for(&[&east, &west], "both servers to see each other", || {
        [&east, &west].iter().all(|a| {
            members
                .iter()
                .all(|m| a.status_of(m).as_deref() == Some("alive"))
        })
    });
    wait_for(&[&east, &west], "a ready node in both regions", || {
        east.node_ready() && west.node_ready()
    });
    let dir = tempfile::tempdir().expect("tempdir");
    run_job(
        &east,
        &["-region", "west", "-detach"],
        &sleeper_job(dir.path()),
    );
    let alloc = running_in(&west, &[&east, &west], "sleeper");
    assert!(east.local_allocs("sleeper").is_empty());

    // Output and exit codes come back from west.
    let hi = east.nomad(&["alloc", "exec", "-region", "west", &alloc, "echo", "hi"]);
    assert_eq!(
        (hi.status.code(), stdout(&hi).as_str()),
        (Some(0), "hi\n"),
        "{}",
        both(&hi)
    );
    let where_ = east.nomad(&[
        "alloc",
        "exec",
        "-region",
        "west",
        &alloc,
        "sh",
        "-c",
        "echo $NOMAD_REGION $NOMAD_TASK_NAME >&2; exit 3",
    ]);
    assert_eq!(where_.status.code(), Some(3), "{}", both(&where_));
    assert_eq!(
        String::from_utf8_lossy(&where_.stderr).trim(),
        "west t",
        "{}",
        both(&where_)
    );
    // Stdin goes there, through to its end.
    let piped = nomad_with_stdin(
        &east,
        &["alloc", "exec", "-region", "west", "-i", &alloc, "cat"],
        b"ping\npong\n",
    );
    assert_eq!(
        (piped.status.code(), stdout(&piped).as_str()),
        (Some(0), "ping\npong\n"),
        "{}",
        both(&piped)
    );
    let counted = nomad_with_stdin(
        &east,
        &[
            "alloc", "exec", "-region", "west", "-i", &alloc, "sh", "-c", "wc -l",
        ],
        b"1\n2\n3\n",
    );
    assert_eq!(stdout(&counted).trim(), "3", "{}", both(&counted));

    // A terminal there.
    let tty = east.nomad(&[
        "alloc",
        "exec",
        "-region",
        "west",
        "-t",
        &alloc,
        "sh",
        "-c",
        "test -t 1 && echo on-a-tty",
    ]);
    assert!(stdout(&tty).contains("on-a-tty"), "{}", both(&tty));
    // A lot of output, all of it in order, to the end: the command is done long before the caller
    // has read it all (a few rounds, locally in west too, since losing the tail was a race).
    for round in 0..6 {
        let many = if round % 2 == 0 {
            east.nomad(&[
                "alloc", "exec", "-region", "west", &alloc, "seq", "1", "50000",
            ])
        } else {
            west.nomad(&["alloc", "exec", &alloc, "seq", "1", "50000"])
        };
        let text = stdout(&many);
        let lines: Vec<&str> = text.lines().collect();
        assert!(
            many.status.success()
                && lines.len() == 50000
                && lines
                    .iter()
                    .enumerate()
                    .all(|(i, l)| *l == (i + 1).to_string()),
            "round {round}: {} lines, last {:?}: {}",
            lines.len(),
            lines.last(),
            String::from_utf8_lossy(&many.stderr)
        );
    }

    // A caller that goes away ends the command in west. (The sleeps' lengths name this test
    // process: another run of the suite on the machine has sleeps of its own.)
    let (first, second) = (unique_secs(1), unique_secs(2));
    let mut gone = nomad_spawn(
        &east,
        &["alloc", "exec", "-region", "west", &alloc, "sleep", &first],
    );
    wait_for(&[&east, &west], "the exec'd sleep to run in west", || {
        process_running(&format!("sleep {first}"))
    });
    let _ = gone.kill();
    let _ = gone.wait();
    wait_for(
        &[&east, &west],
        "the exec'd sleep to end with its caller",
        || !process_running(&format!("sleep {first}")),
    );

    // West's refusal, before any upgrade, is the caller's plain HTTP error.
    assert_eq!(
        ws_refusal(&east, &format!("{alloc}/exec?task=t&region=west")),
        Some((400, "command is not present".to_owned()))
    );
    let unknown = ws_refusal(
        &east,
        "00000000-0000-0000-0000-000000000000/exec?task=t&command=%5B%22true%22%5D&region=west",
    );
    assert!(
        matches!(&unknown, Some((404, body)) if body.contains("not found")),
        "{unknown:?}"
    );

    // West is cut off (frozen) while a session runs. New requests fail fast with "No path to region",
    // through the CLI and on the websocket, before and after the mesh notices.
    let mut session = nomad_spawn(
        &east,
        &["alloc", "exec", "-region", "west", &alloc, "sleep", &second],
    );
    wait_for(
        &[&east, &west],
        "the session's sleep to run in west",
        || process_running(&format!("sleep {second}")),
    );
    west.freeze(true);
    let exec_query = format!("{alloc}/exec?task=t&command=%5B%22true%22%5D&region=west");
    let begun = Instant::now();
    let out = east.nomad(&["alloc", "exec", "-region", "west", &alloc, "echo", "hi"]);
    let took = begun.elapsed();
    assert!(!out.status.success(), "{}", both(&out));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("No path to region"), "{err}");
    assert!(took < FAST_FAILURE, "took {took:?}: {err}");
    let check_ws = || {
        let begun = Instant::now();
        let refusal = ws_refusal(&east, &exec_query);
        let took = begun.elapsed();
        assert!(
            matches!(&refusal, Some((500, body)) if body.contains("No path to region")),
            "{refusal:?}"
        );
        assert!(took < FAST_FAILURE, "took {took:?}: {refusal:?}");
    };
    check_ws();
    wait_for(&[&east], "west to be seen failed", || {
        east.status_of(&members[1]).as_deref() == Some("failed")
    });
    check_ws();
    // The session in progress ends with the reason (once the mesh dropped west's connection).
    wait_for(&[&east], "the session to end", || {
        session.try_wait().ok().flatten().is_some()
    });
    let ended = session.wait_with_output().expect("session output");
    assert!(!ended.status.success(), "{}", both(&ended));
    let err = String::from_utf8_lossy(&ended.stderr);
    assert!(err.contains("lost the connection to region"), "{err}");
    // Thawed, west finds its side of the stream gone and ends the command.
    west.freeze(false);
    wait_for(
        &[&east, &west],
        "the session's sleep to end in west",
        || !process_running(&format!("sleep {second}")),
    );
    stop_job(&west, "sleeper", &[&east, &west]);
}

#[test]
fn alloc_exec_into_a_region_of_two_servers_reaches_the_allocations_node() {
    // West's servers log at DEBUG, so that the test can see which of them served each exec.
    let debug = "log_level = \"DEBUG\"\n";
    let east = RegionAgent::start("east", "");
    let west1 = RegionAgent::start_server("west", 1, 2, debug);
    let west2 = RegionAgent::start_server("west", 2, 2, debug);
    join(&west1, &east);
    join(&west2, &east);
    let all = [&*east, &*west1, &*west2];
    let members = [east.member(), west1.member(), west2.member()];
    wait_for(&all, "every server to see every server", || {
        [&east, &west1, &west2].iter().all(|a| {
            members
                .iter()
                .all(|m| a.status_of(m).as_deref() == Some("alive"))
        })
    });
    wait_for(&all, "two ready nodes in west, one in east", || {
        let ready = |a: &RegionAgent| {
            a.json("/v1/nodes")
                .and_then(|v| v.as_array().cloned())
                .map_or(0, |ns| ns.iter().filter(|n| n["Status"] == "ready").count())
        };
        ready(&west1) == 2 && ready(&east) == 1
    });
    let dir = tempfile::tempdir().expect("tempdir");
    run_job(
        &east,
        &["-region", "west", "-detach"],
        &pinned_sleeper(dir.path(), "west-1"),
    );
    let mut alloc = String::new();
    wait_for(&all, "the pinned sleeper running on west-1", || match west1
        .local_allocs("pinned")
        .as_slice()
    {
        [(id, status)] if status == "running" => {
            alloc = id.clone();
            true
        }
        _ => false,
    });
    // East spreads its requests over west's servers; exec until each has served one. West-2's client
    // does not run the allocation: its exec goes on to west-1's node.
    let served = |a: &RegionAgent| a.log().matches("serving forwarded exec").count();
    let mut rounds = 0;
    wait_for(&all, "both west servers to serve an exec", || {
        rounds += 1;
        let out = east.nomad(&[
            "alloc",
            "exec",
            "-region",
            "west",
            &alloc,
            "sh",
            "-c",
            "echo $NOMAD_REGION; exit 4",
        ]);
        assert_eq!(
            (out.status.code(), stdout(&out).as_str()),
            (Some(4), "west\n"),
            "round {rounds}: {}",
            both(&out)
        );
        served(&west1) > 0 && served(&west2) > 0
    });
    stop_job(&west1, "pinned", &all);
}

/// A raw_exec service in west that prints `tick` five times a second.
fn ticker_job(dir: &std::path::Path) -> String {
    let hcl = "job \"ticker\" {\n  datacenters = [\"dc1\"]\n  group \"g\" {\n    task \"t\" {\n      driver = \"raw_exec\"\n      config {\n        command = \"/bin/sh\"\n        args = [\"-c\", \"while true; do echo tick; sleep 0.2; done\"]\n      }\n      resources {\n        cpu = 50\n        memory = 32\n      }\n    }\n  }\n}\n";
    let path = dir.join("ticker.nomad.hcl");
    std::fs::write(&path, hcl).expect("write job");
    path.display().to_string()
}

/// A client-only agent has no mesh: its requests for another region's allocations go to a server of its
/// own region over HTTP (not as a buffered RPC call), so an exec websocket and a log follow reach west.
#[test]
fn a_client_only_agent_carries_exec_and_log_follows_to_another_region() {
    use super::cluster_support::AgentProc;
    use std::io::{BufRead, BufReader};

    let east = RegionAgent::start("east", "");
    let west = RegionAgent::start("west", "");
    join(&west, &east);
    let client = AgentProc::start(
        "east-c",
        &format!(
            "region = \"east\"\nclient {{\n  enabled = true\n  servers = [\"127.0.0.1:{}\"]\n}}\n",
            east.rpc
        ),
    );
    wait_for(
        &[&east, &west],
        "west's node and both east nodes ready",
        || {
            west.node_ready()
                && east.json("/v1/nodes").is_some_and(|n| {
                    n.as_array()
                        .is_some_and(|a| a.iter().filter(|x| x["Status"] == "ready").count() == 2)
                })
        },
    );
    let dir = tempfile::tempdir().expect("tempdir");
    run_job(
        &east,
        &["-region", "west", "-detach"],
        &ticker_job(dir.path()),
    );
    let alloc = running_in(&west, &[&east, &west], "ticker");

    let hi = client.nomad(&[
        "alloc",
        "exec",
        "-region",
        "west",
        &alloc,
        "sh",
        "-c",
        "echo $NOMAD_REGION; exit 5",
    ]);
    assert_eq!(
        (hi.status.code(), stdout(&hi).as_str()),
        (Some(5), "west\n"),
        "{}",
        both(&hi)
    );

    // What is logged so far, then a follow that streams past it.
    let logged = client.nomad(&["alloc", "logs", "-region", "west", &alloc]);
    assert!(logged.status.success(), "{}", both(&logged));
    let before = stdout(&logged).lines().count();
    assert!(before > 0, "{}", both(&logged));
    let mut follow = Command::new(NOMAD)
        .args(["alloc", "logs", "-f", "-region", "west", &alloc])
        .env("NOMAD_ADDR", client.address())
        .env_remove("NOMAD_REGION")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("run nomad");
    let out = follow.stdout.take().expect("stdout");
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(out).lines().map_while(Result::ok) {
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    // More ticks than were logged before: they stream as they come.
    let want = before + 10;
    let mut ticks = 0;
    let deadline = Instant::now() + std::time::Duration::from_secs(30);
    while ticks < want && Instant::now() < deadline {
        if let Ok(line) = rx.recv_timeout(std::time::Duration::from_millis(200)) {
            assert_eq!(line, "tick");
            ticks += 1;
        }
    }
    let _ = follow.kill();
    let _ = follow.wait();
    assert!(
        ticks >= want,
        "the follow streamed {ticks} of {want} ticks in 30 s"
    );
    stop_job(&west, "ticker", &[&east, &west]);
}
