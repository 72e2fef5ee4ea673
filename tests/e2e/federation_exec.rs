//! `nomad alloc exec -region west` from east's address, with real processes: the exec websocket travels
//! over the mesh as a stream to west's server, which runs it on its client. Output, exit codes and stdin
//! go through; a refusal in west reaches the caller as west's plain HTTP error; a lost west fails fast
//! and clearly, both through the CLI and on the websocket itself.

use std::io::Write;
use std::process::{Command, Output, Stdio};
use std::time::Instant;

use super::federation_support::{FAST_FAILURE, RegionAgent, run_job};
use super::mesh_support::{both, join, stdout, wait_for};
use super::support::NOMAD;

/// A raw_exec service that keeps running, so that commands can be run inside it.
fn sleeper_job(dir: &std::path::Path) -> String {
    let hcl = "job \"sleeper\" {\n  datacenters = [\"dc1\"]\n  group \"g\" {\n    task \"t\" {\n      driver = \"raw_exec\"\n      config {\n        command = \"/bin/sh\"\n        args = [\"-c\", \"while true; do sleep 1; done\"]\n      }\n      resources {\n        cpu = 50\n        memory = 32\n      }\n    }\n  }\n}\n";
    let path = dir.join("sleeper.nomad.hcl");
    std::fs::write(&path, hcl).expect("write job");
    path.display().to_string()
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
    let mut west = RegionAgent::start("west", "");
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
    let mut alloc = String::new();
    wait_for(
        &[&east, &west],
        "the sleeper running in west",
        || match west.local_allocs("sleeper").as_slice() {
            [(id, status)] if status == "running" => {
                alloc = id.clone();
                true
            }
            _ => false,
        },
    );
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

    // West dies: the CLI and the websocket itself fail fast with "No path to region".
    west.kill();
    let begun = Instant::now();
    let out = east.nomad(&["alloc", "exec", "-region", "west", &alloc, "echo", "hi"]);
    let took = begun.elapsed();
    assert!(!out.status.success(), "{}", both(&out));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("No path to region"), "{err}");
    assert!(took < FAST_FAILURE, "took {took:?}: {err}");
    let begun = Instant::now();
    let refusal = ws_refusal(
        &east,
        &format!("{alloc}/exec?task=t&command=%5B%22true%22%5D&region=west"),
    );
    let took = begun.elapsed();
    assert!(
        matches!(&refusal, Some((500, body)) if body.contains("No path to region")),
        "{refusal:?}"
    );
    assert!(took < FAST_FAILURE, "took {took:?}: {refusal:?}");
}
