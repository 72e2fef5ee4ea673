//! A region cut off from the others (its agent frozen with SIGSTOP: it answers nothing and keeps its
//! state) fails fast and clearly while the others keep scheduling, and comes back on its own when thawed,
//! without restarting anything.

use std::time::Instant;

use super::federation_support::{FAST_FAILURE, RegionAgent, batch_job, completed_in, run_job};
use super::mesh_support::{both, join, stdout, wait_for};

#[test]
fn a_cut_off_region_comes_back_without_restarts() {
    let east = RegionAgent::start("east", "");
    let west = RegionAgent::start("west", "");
    let south = RegionAgent::start("south", "");
    let west_member = west.member();
    join(&west, &east);
    join(&south, &east);
    wait_for(
        &[&east, &west, &south],
        "every region alive everywhere",
        || {
            [&east, &south]
                .iter()
                .all(|a| a.status_of(&west_member).as_deref() == Some("alive"))
                && west.status_of(&south.member()).as_deref() == Some("alive")
                && [&east, &west, &south].iter().all(|a| a.node_ready())
        },
    );
    let dir = tempfile::tempdir().expect("tempdir");
    run_job(
        &east,
        &["-region", "west"],
        &batch_job(dir.path(), "before", None, "before-cut"),
    );
    completed_in(&[&east, &west, &south], &west, "before");

    // West is cut off: its process is frozen, its state kept.
    west.freeze(true);
    let begun = Instant::now();
    let out = south.nomad(&["job", "status", "-region", "west", "before"]);
    let took = begun.elapsed();
    assert!(!out.status.success(), "{}", both(&out));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("No path to region"),
        "{}",
        both(&out)
    );
    assert!(took < FAST_FAILURE, "took {took:?}");
    wait_for(&[&east, &south], "west to be seen failed", || {
        east.status_of(&west_member).as_deref() == Some("failed")
    });
    run_job(
        &south,
        &["-region", "east"],
        &batch_job(dir.path(), "during", None, "during-cut"),
    );
    completed_in(&[&east, &south], &east, "during");
    let out = east.nomad(&["server", "members"]);
    assert!(out.status.success(), "{}", both(&out));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("\"west\""),
        "{}",
        both(&out)
    );

    // Back on the network: the mesh takes west back and its state is all there; nothing was restarted.
    west.freeze(false);
    wait_for(
        &[&east, &west, &south],
        "west alive again everywhere",
        || {
            [&east, &south]
                .iter()
                .all(|a| a.status_of(&west_member).as_deref() == Some("alive"))
                && west.status_of(&east.member()).as_deref() == Some("alive")
        },
    );
    for a in [&east, &south] {
        let out = a.nomad(&["job", "status", "-region", "west", "before"]);
        assert!(out.status.success(), "{}: {}", a.region, both(&out));
    }
    run_job(
        &east,
        &["-region", "west"],
        &batch_job(dir.path(), "after", None, "after-cut"),
    );
    let alloc = completed_in(&[&east, &west, &south], &west, "after");
    let out = south.nomad(&["alloc", "logs", "-region", "west", &alloc]);
    assert_eq!(stdout(&out).trim(), "after-cut", "{}", both(&out));
}
