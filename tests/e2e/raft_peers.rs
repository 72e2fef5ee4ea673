//! The Raft configuration as an operator manages it, with real server agents: three voters formed through
//! the mesh (`bootstrap_expect = 3`) and a fourth with `non_voting_server = true` that joins as a
//! non-voter; a SIGKILLed server taken out with `nomad operator raft remove-peer` run on a follower (the
//! request goes to the leader), and the errors for peers that are not there.

use serde_json::Value;

use super::mesh_support::{ServerAgent, both, join, sees_alive, stdout, wait_for};

/// (Node, Address, Voter) of every member in `a`'s Raft configuration.
fn raft_servers(a: &ServerAgent) -> Option<Vec<(String, String, bool)>> {
    let config: Value = a.get("/v1/operator/raft/configuration")?;
    config["Servers"].as_array().map(|servers| {
        servers
            .iter()
            .map(|s| {
                (
                    s["Node"].as_str().unwrap_or_default().to_owned(),
                    s["Address"].as_str().unwrap_or_default().to_owned(),
                    s["Voter"].as_bool().unwrap_or(false),
                )
            })
            .collect()
    })
}

/// `a`'s own RPC address, from its own entry in the configuration.
fn own_rpc(a: &ServerAgent) -> String {
    raft_servers(a)
        .unwrap_or_default()
        .into_iter()
        .find(|(node, _, _)| *node == a.member())
        .map(|(_, addr, _)| addr)
        .unwrap_or_else(|| panic!("{} is not in its own configuration", a.name))
}

fn is_leader(a: &ServerAgent) -> bool {
    let Some(leader) = a.get("/v1/status/leader") else {
        return false;
    };
    raft_servers(a)
        .unwrap_or_default()
        .iter()
        .any(|(node, addr, _)| *node == a.member() && leader.as_str() == Some(addr.as_str()))
}

#[test]
fn non_voting_server_joins_as_non_voter_and_remove_peer_drops_a_dead_server() {
    let expect = "server {\n  bootstrap_expect = 3\n}\n";
    let s1 = ServerAgent::start("s1", expect);
    let s2 = ServerAgent::start("s2", expect);
    let s3 = ServerAgent::start("s3", expect);
    let nv = ServerAgent::start(
        "nv",
        "server {\n  bootstrap_expect = 3\n  non_voting_server = true\n}\n",
    );
    for a in [&s2, &s3, &nv] {
        join(a, &s1);
    }
    let all = [s1.member(), s2.member(), s3.member(), nv.member()];
    let agents = [&s1, &s2, &s3, &nv];
    wait_for(&agents, "all four to list all four alive", || {
        agents.iter().all(|a| sees_alive(a, &all))
    });
    // The three voters form the group; the leader adds the fourth as a non-voter.
    wait_for(&agents, "four members, three of them voters", || {
        raft_servers(&s1).is_some_and(|servers| {
            servers.len() == 4 && servers.iter().filter(|(_, _, voter)| *voter).count() == 3
        })
    });
    let nv_rpc = own_rpc(&nv);
    let servers = raft_servers(&s1).expect("configuration");
    assert!(
        servers
            .iter()
            .any(|(_, addr, voter)| *addr == nv_rpc && !voter),
        "{servers:?}"
    );
    let out = s2.nomad(&["operator", "raft", "list-peers"]);
    assert!(out.status.success(), "{}", both(&out));
    let text = stdout(&out);
    let nv_line = text
        .lines()
        .find(|l| l.contains(&nv_rpc))
        .unwrap_or_else(|| panic!("no line for {nv_rpc}:\n{text}"));
    assert_eq!(
        nv_line.split_whitespace().nth(4),
        Some("false"),
        "the non-voter's Voter column:\n{text}"
    );
    // The non-voter is not a bootstrap voter in the mesh either.
    let members: Value = s1.get("/v1/agent/members").expect("members");
    let tags = members["Members"]
        .as_array()
        .and_then(|ms| ms.iter().find(|m| m["Name"] == nv.member().as_str()))
        .map(|m| m["Tags"].clone())
        .expect("nv in members");
    assert_eq!(tags["nonvoter"], "1", "{tags}");

    // SIGKILL a voter that does not lead; remove it from a follower that does not lead either.
    wait_for(&agents, "a leader", || agents.iter().any(|a| is_leader(a)));
    let mut voters = vec![s1, s2, s3];
    let victim_at = voters
        .iter()
        .position(|a| !is_leader(a))
        .expect("a follower");
    let mut victim = voters.remove(victim_at);
    let victim_rpc = own_rpc(&victim);
    victim.kill();
    // remove-peer is for servers that are gone: while the mesh still shows the victim alive, the
    // leader would add it back (as Nomad's does), so wait until every survivor sees it failed.
    let survivors = [&voters[0], &voters[1], &nv];
    wait_for(
        &survivors,
        "every survivor to see the killed server failed",
        || {
            survivors
                .iter()
                .all(|a| a.status_of(&victim.member()).as_deref() == Some("failed"))
        },
    );
    let asker = voters.iter().find(|a| !is_leader(a)).unwrap_or(&nv);
    let out = asker.nomad(&[
        "operator",
        "raft",
        "remove-peer",
        &format!("-peer-address={victim_rpc}"),
    ]);
    assert!(out.status.success(), "{}", both(&out));
    assert_eq!(
        stdout(&out).trim(),
        format!("Removed peer with address \"{victim_rpc}\"")
    );
    let alive = [&voters[0], &voters[1], &nv];
    wait_for(&alive, "every survivor to drop the removed server", || {
        alive.iter().all(|a| {
            raft_servers(a).is_some_and(|servers| {
                servers.len() == 3 && !servers.iter().any(|(_, addr, _)| *addr == victim_rpc)
            })
        })
    });

    // Gone already, an unknown ID, or both flags: one clear line, exit 1.
    let out = asker.nomad(&[
        "operator",
        "raft",
        "remove-peer",
        &format!("-peer-address={victim_rpc}"),
    ]);
    assert_eq!(out.status.code(), Some(1), "{}", both(&out));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.starts_with("Error removing peer: ")
            && err.contains(&format!(
                "address \"{victim_rpc}\" was not found in the Raft configuration"
            )),
        "{}",
        both(&out)
    );
    let out = asker.nomad(&["operator", "raft", "remove-peer", "-peer-id=12345"]);
    assert_eq!(out.status.code(), Some(1), "{}", both(&out));
    assert!(
        String::from_utf8_lossy(&out.stderr)
            .contains("id \"12345\" was not found in the Raft configuration"),
        "{}",
        both(&out)
    );
    let out = asker.nomad(&[
        "operator",
        "raft",
        "remove-peer",
        "-peer-id=1",
        "-peer-address=127.0.0.1:1",
    ]);
    assert_eq!(out.status.code(), Some(1), "{}", both(&out));
    assert_eq!(
        String::from_utf8_lossy(&out.stderr).trim(),
        "Error removing peer: Cannot give both -peer-address and -peer-id"
    );
    // list-peers: a header and the three members left.
    let out = voters[0].nomad(&["operator", "raft", "list-peers"]);
    assert!(out.status.success(), "{}", both(&out));
    assert_eq!(stdout(&out).lines().count(), 4, "{}", stdout(&out));
}
