//! Federation with a region of three servers: west runs three server+client agents that form one Raft
//! group through the mesh (`bootstrap_expect = 3`, durable data dirs), east and south one each. After
//! `nomad server join` every server lists all five, `server members` shows each region's leader, and west
//! is reachable from every server's address. West's leader is SIGKILLed: once the other two elect a new
//! leader, requests for west work from every region (another west server answers, and passes them on to
//! the new leader). All of west is killed: a fast "No path to region" while east and south keep
//! scheduling. West's servers restart on their data dirs and everything works again, nothing else
//! restarted.

use std::collections::BTreeMap;
use std::path::Path;
use std::time::Instant;

use super::federation_support::{
    FAST_FAILURE, RegionAgent, batch_job, completed_in, names, run_job,
};
use super::mesh_support::{ServerAgent, both, join, sees_alive, stdout, wait_for};

/// A batch job that must run on the node named `node`.
fn pinned_job(dir: &Path, name: &str, node: &str, text: &str) -> String {
    let hcl = format!(
        "job \"{name}\" {{\n  type = \"batch\"\n  datacenters = [\"dc1\"]\n  constraint {{\n    attribute = \"${{node.unique.name}}\"\n    value = \"{node}\"\n  }}\n  group \"g\" {{\n    task \"t\" {{\n      driver = \"raw_exec\"\n      config {{\n        command = \"/bin/sh\"\n        args = [\"-c\", \"echo {text}\"]\n      }}\n      resources {{\n        cpu = 50\n        memory = 32\n      }}\n    }}\n  }}\n}}\n"
    );
    let path = dir.join(format!("{name}.nomad.hcl"));
    std::fs::write(&path, hcl).expect("write job");
    path.display().to_string()
}

/// The leader's RPC address as `agent` reports it, if it knows one.
fn leader_of(agent: &ServerAgent) -> Option<String> {
    agent
        .get("/v1/status/leader")
        .and_then(|v| v.as_str().map(str::to_owned))
        .filter(|l| !l.is_empty())
}

/// The index in `servers` of the leader they all agree on, if they do.
fn agreed_leader(servers: &[&RegionAgent]) -> Option<usize> {
    let leaders: Vec<Option<String>> = servers.iter().map(|s| leader_of(s)).collect();
    let first = leaders.first()?.clone()?;
    if leaders.iter().any(|l| l.as_deref() != Some(first.as_str())) {
        return None;
    }
    servers
        .iter()
        .position(|s| first == format!("127.0.0.1:{}", s.rpc))
}

/// `nomad server members` through `via`: region -> (member, leader column) per line.
fn leaders_shown(via: &ServerAgent) -> Option<BTreeMap<String, Vec<(String, String)>>> {
    let out = via.nomad(&["server", "members"]);
    if !out.status.success() {
        return None;
    }
    let mut by_region: BTreeMap<String, Vec<(String, String)>> = BTreeMap::new();
    for line in stdout(&out).lines().skip(1) {
        let cols: Vec<&str> = line.split_whitespace().collect();
        let region = cols.last()?.to_string();
        by_region
            .entry(region)
            .or_default()
            .push((cols[0].to_owned(), cols.get(4)?.to_string()));
    }
    Some(by_region)
}

/// The number of ready nodes `via`'s region has.
fn ready_nodes(via: &RegionAgent) -> usize {
    via.json("/v1/nodes")
        .and_then(|v| v.as_array().cloned())
        .map_or(0, |ns| ns.iter().filter(|n| n["Status"] == "ready").count())
}

/// `job status` and `alloc logs` of west's `job` through every agent of `via`.
fn west_readable_from(via: &[&RegionAgent], job: &str, alloc: &str, text: &str) {
    for a in via {
        let out = a.nomad(&["job", "status", "-region", "west", job]);
        assert!(out.status.success(), "{}: {}", a.name, both(&out));
        assert!(stdout(&out).contains(job), "{}", both(&out));
        let out = a.nomad(&["alloc", "logs", "-region", "west", alloc]);
        assert!(out.status.success(), "{}: {}", a.name, both(&out));
        assert_eq!(stdout(&out).trim(), text, "{}", a.name);
    }
}

fn servers<'a>(
    east: &'a RegionAgent,
    south: &'a RegionAgent,
    west: &'a [RegionAgent],
) -> Vec<&'a RegionAgent> {
    [east, south].into_iter().chain(west).collect()
}

fn logs_of<'a>(agents: &[&'a RegionAgent]) -> Vec<&'a ServerAgent> {
    agents.iter().map(|a| &***a).collect()
}

/// Every region shows one leader, every other server shows `false`, and west's is `west_leader`.
fn shows_each_leader(via: &ServerAgent, west_leader: &str) -> bool {
    let Some(shown) = leaders_shown(via) else {
        return false;
    };
    shown.len() == 3
        && shown.values().map(Vec::len).sum::<usize>() == 5
        && shown.values().all(|ms| {
            ms.iter().filter(|(_, l)| l == "true").count() == 1
                && ms.iter().all(|(_, l)| l == "true" || l == "false")
        })
        && shown["west"]
            .iter()
            .any(|(m, l)| m == west_leader && l == "true")
}

/// A request for west through `via` fails fast with the clear error.
fn check_lost(via: &RegionAgent) {
    let begun = Instant::now();
    let out = via.nomad(&["job", "status", "-region", "west", "hello"]);
    let took = begun.elapsed();
    assert!(!out.status.success(), "{}", both(&out));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("No path to region"), "{err}");
    assert!(took < FAST_FAILURE, "took {took:?}: {err}");
    // Shown with --nocapture: how close to the bound a run came.
    eprintln!("west lost, through {}: failed in {took:?}", via.name);
}

#[test]
fn a_three_server_region_federates_fails_over_and_comes_back() {
    let east = RegionAgent::start("east", "");
    let south = RegionAgent::start("south", "");
    let mut west: Vec<RegionAgent> = (1..=3)
        .map(|n| RegionAgent::start_server("west", n, 3, ""))
        .collect();
    join(&west[1], &west[0]);
    join(&west[2], &west[0]);
    join(&east, &west[0]);
    join(&south, &west[0]);
    let members: Vec<String> = servers(&east, &south, &west)
        .iter()
        .map(|a| a.member())
        .collect();
    let all = servers(&east, &south, &west);
    let logs = logs_of(&all);
    wait_for(&logs, "every server to list all five alive", || {
        all.iter().all(|a| sees_alive(a, &members))
    });
    for a in &all {
        let regions = names(&a.get("/v1/regions").expect("regions"));
        assert_eq!(regions, ["east", "south", "west"], "{}", a.name);
    }
    let west_refs: Vec<&RegionAgent> = west.iter().collect();
    wait_for(&logs, "west's three servers to agree on a leader", || {
        agreed_leader(&west_refs).is_some()
    });
    wait_for(
        &logs,
        "three ready nodes in west, one in east and south",
        || ready_nodes(&west[0]) == 3 && ready_nodes(&east) == 1 && ready_nodes(&south) == 1,
    );
    let leader = agreed_leader(&west_refs).expect("west leader");
    let west_leader = west[leader].member();
    wait_for(&logs, "every server to show each region's leader", || {
        all.iter().all(|a| shows_each_leader(a, &west_leader))
    });

    // `-region west` through east's address places in west only, on one of west's nodes.
    let dir = tempfile::tempdir().expect("tempdir");
    let hello = batch_job(dir.path(), "hello", None, "hello-from-west");
    run_job(&east, &["-region", "west"], &hello);
    let alloc = completed_in(&logs, &west[0], "hello");
    assert!(east.local_allocs("hello").is_empty());
    assert!(south.local_allocs("hello").is_empty());
    let node = west[1]
        .json(&format!("/v1/allocation/{alloc}"))
        .expect("alloc")["NodeID"]
        .clone();
    let west_nodes = west[2].json("/v1/nodes").expect("nodes");
    assert!(
        west_nodes
            .as_array()
            .is_some_and(|ns| ns.iter().any(|n| n["ID"] == node)),
        "{node} is not a west node: {west_nodes}"
    );
    // Status and logs from each of the five servers' addresses (the logs come from the west agent that
    // ran the task, whichever west server the request reached).
    west_readable_from(&all, "hello", &alloc, "hello-from-west");
    // The other way round, through a west follower: a job for east goes to east.
    let follower = &west[(leader + 1) % 3];
    let to_east = batch_job(dir.path(), "to-east", None, "from-a-west-follower");
    run_job(follower, &["-region", "east"], &to_east);
    completed_in(&logs, &east, "to-east");
    assert!(west[leader].local_allocs("to-east").is_empty());
    drop((all, logs, west_refs));

    // West's leader dies without leaving. Once the other two elected a new leader, reads and writes for
    // west work again from every region (a dead server is passed over, a follower passes requests to the
    // new leader). Meanwhile a follower's consistent reads wait on the dead leader, so they may fail.
    west[leader].kill();
    let killed = Instant::now();
    let alive_west: Vec<&RegionAgent> = west
        .iter()
        .enumerate()
        .filter(|(i, _)| *i != leader)
        .map(|(_, w)| w)
        .collect();
    let alive: Vec<&RegionAgent> = [&east, &south]
        .into_iter()
        .chain(alive_west.iter().copied())
        .collect();
    let logs = logs_of(&alive);
    wait_for(
        &logs,
        "the other two west servers to agree on a new leader",
        || agreed_leader(&alive_west).is_some(),
    );
    eprintln!(
        "west elected a new leader {:?} after the kill",
        killed.elapsed()
    );
    let new_leader = agreed_leader(&alive_west).expect("new leader");
    assert_ne!(alive_west[new_leader].member(), west_leader);
    let follower = alive_west[1 - new_leader];
    // Writes from each region: through the mesh from south and east (whichever west server gets one
    // passes it to the leader if it is not the leader), and at a follower's own address. The jobs are
    // pinned to the follower's node: the dead leader's node is still `ready` until its heartbeat lapses.
    let mut failover = Vec::new();
    for (i, via) in [&south, &east, follower].into_iter().enumerate() {
        let name = format!("failover-{i}");
        let file = pinned_job(dir.path(), &name, &follower.name, "after-failover");
        run_job(via, &["-region", "west", "-detach"], &file);
        failover.push(name);
    }
    for name in &failover {
        let alloc = completed_in(&logs, follower, name);
        west_readable_from(&alive, name, &alloc, "after-failover");
    }
    for a in &alive {
        let out = a.nomad(&["job", "status", "-region", "west", "hello"]);
        assert!(out.status.success(), "{}: {}", a.name, both(&out));
    }
    let dead = &members[2 + leader];
    wait_for(&logs, "the old leader to be seen failed", || {
        [&east, &south]
            .iter()
            .all(|a| a.status_of(dead).as_deref() == Some("failed"))
    });
    let out = east.nomad(&["server", "members"]);
    assert!(out.status.success(), "{}", both(&out));
    let text = stdout(&out);
    let dead_line = text
        .lines()
        .find(|l| l.starts_with(dead.as_str()))
        .expect("the old leader is listed");
    assert_eq!(
        dead_line.split_whitespace().nth(3),
        Some("failed"),
        "{text}"
    );
    drop((alive, logs));

    // All of west dies: requests for it fail fast and clearly; east and south keep scheduling.
    for w in &mut west {
        w.kill();
    }
    check_lost(&east);
    let logs = logs_of(&[&east, &south]);
    wait_for(&logs, "all of west to be seen failed", || {
        [&east, &south].iter().all(|a| {
            members[2..]
                .iter()
                .all(|m| a.status_of(m).as_deref() == Some("failed"))
        })
    });
    check_lost(&south);
    let e = batch_job(dir.path(), "after-east", None, "still-east");
    run_job(&south, &["-region", "east"], &e);
    completed_in(&logs, &east, "after-east");
    let s = batch_job(dir.path(), "after-south", None, "still-south");
    run_job(&east, &["-region", "south"], &s);
    completed_in(&logs, &south, "after-south");
    // `server members` still prints all five; west's leader is unknown, and a warning says why.
    let out = south.nomad(&["server", "members"]);
    assert!(out.status.success(), "{}", both(&out));
    let text = stdout(&out);
    assert_eq!(text.lines().count(), 6, "{text}");
    for m in &members[2..] {
        let line = text.lines().find(|l| l.starts_with(m.as_str())).expect(m);
        let cols: Vec<&str> = line.split_whitespace().collect();
        assert_eq!(cols[3..5], ["failed", "unknown"], "{text}");
    }
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("\"west\"") && err.contains("No path to region"),
        "{err}"
    );

    // West's servers come back on their data dirs and find the mesh through retry_join; nothing else is
    // restarted.
    let seed = east.serf_addr();
    for w in &mut west {
        w.spawn(&["-retry-join", &seed, "-retry-interval", "1s"]);
    }
    let all = servers(&east, &south, &west);
    let logs = logs_of(&all);
    let west_refs: Vec<&RegionAgent> = west.iter().collect();
    wait_for(&logs, "all five alive everywhere again", || {
        all.iter().all(|a| sees_alive(a, &members))
    });
    wait_for(
        &logs,
        "west to elect a leader and have its nodes back",
        || agreed_leader(&west_refs).is_some() && ready_nodes(&west[0]) == 3,
    );
    let leader = agreed_leader(&west_refs).expect("west leader");
    let west_leader = west[leader].member();
    wait_for(
        &logs,
        "every server to show each region's leader again",
        || all.iter().all(|a| shows_each_leader(a, &west_leader)),
    );
    let back = batch_job(dir.path(), "back", None, "west-is-back");
    run_job(&south, &["-region", "west"], &back);
    let alloc = completed_in(&logs, &west[0], "back");
    assert!(east.local_allocs("back").is_empty() && south.local_allocs("back").is_empty());
    west_readable_from(&all, "back", &alloc, "west-is-back");
    // What west had before it went down is still there.
    let out = east.nomad(&["job", "status", "-region", "west", "failover-0"]);
    assert!(out.status.success(), "{}", both(&out));
}
