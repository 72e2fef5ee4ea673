//! Three real server agents form a mesh with `nomad server join` and follow each other's lives: killed
//! (failed), restarted (alive), terminated with `leave_on_terminate` (left), force-left and pruned. Seen
//! through `nomad server members` and `GET /v1/agent/members`.

use super::mesh_support::{ServerAgent, both, join, sees_alive, stdout, wait_for};

#[test]
fn three_servers_join_fail_restart_leave_and_force_leave() {
    // bootstrap_expect = 3: once the mesh shows all three, they form one Raft group.
    let expect = "server {\n  bootstrap_expect = 3\n}\n";
    let mut s1 = ServerAgent::start("s1", expect);
    let mut s2 = ServerAgent::start("s2", &format!("leave_on_terminate = true\n{expect}"));
    let mut s3 = ServerAgent::start("s3", expect);
    let all = [s1.member(), s2.member(), s3.member()];

    join(&s2, &s1);
    join(&s3, &s1);
    wait_for(
        &[&s1, &s2, &s3],
        "all three to list all three alive",
        || [&s1, &s2, &s3].iter().all(|a| sees_alive(a, &all)),
    );

    // The CLI shows the same view with Nomad's columns, and the one leader the three elected.
    let leader_column = |text: &str| -> Vec<String> {
        text.lines()
            .skip(1)
            .map(|l| l.split_whitespace().nth(4).unwrap_or("").to_owned())
            .collect()
    };
    wait_for(&[&s1, &s2, &s3], "the three to elect one leader", || {
        let text = stdout(&s1.nomad(&["server", "members"]));
        let col = leader_column(&text);
        col.len() == 3 && col.iter().filter(|c| *c == "true").count() == 1
    });
    let out = s1.nomad(&["server", "members"]);
    assert!(out.status.success(), "{}", both(&out));
    let text = stdout(&out);
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 4, "{text}");
    let header: Vec<&str> = lines[0].split_whitespace().collect();
    assert_eq!(
        header,
        [
            "Name",
            "Address",
            "Port",
            "Status",
            "Leader",
            "Raft",
            "Version",
            "Build",
            "Datacenter",
            "Region"
        ],
        "{text}"
    );
    let leaders = leader_column(&text);
    for (i, (line, agent)) in lines[1..].iter().zip([&s1, &s2, &s3]).enumerate() {
        let cols: Vec<&str> = line.split_whitespace().collect();
        let leader = leaders[i].as_str();
        assert_eq!(
            cols,
            [
                agent.member().as_str(),
                "127.0.0.1",
                agent.serf.to_string().as_str(),
                "alive",
                leader,
                "3",
                env!("CARGO_PKG_VERSION"),
                "dc1",
                "global"
            ],
            "{text}"
        );
    }
    let out = s2.nomad(&["server", "members", "-verbose"]);
    let text = stdout(&out);
    assert!(out.status.success(), "{}", both(&out));
    assert!(
        text.lines().next().unwrap_or("").contains("Protocol"),
        "{text}"
    );
    assert!(text.contains("role=nomad"), "{text}");
    assert!(text.contains("rpc_addr=127.0.0.1"), "{text}");
    let members = s3.get("/v1/agent/members").expect("members");
    assert_eq!(members["ServerName"], "s3");
    assert_eq!(members["ServerRegion"], "global");
    assert_eq!(members["ServerDC"], "dc1");
    let me = members["Members"]
        .as_array()
        .and_then(|ms| ms.iter().find(|m| m["Name"] == "s3.global").cloned())
        .expect("s3 lists itself");
    assert_eq!(me["Addr"], "127.0.0.1");
    assert_eq!(me["Port"], s3.serf);
    assert_eq!(me["Tags"]["region"], "global");
    assert_eq!(me["Tags"]["role"], "nomad");
    assert_eq!(s1.get("/v1/regions"), Some(serde_json::json!(["global"])));

    // SIGKILL: the others detect the failure.
    s3.kill();
    wait_for(&[&s1, &s2], "s1 and s2 to show s3 failed", || {
        [&s1, &s2]
            .iter()
            .all(|a| a.status_of(&s3.member()).as_deref() == Some("failed"))
    });

    // Restarted on the same ports, it retries its join and is alive again everywhere.
    let seed = s1.serf_addr();
    s3.spawn(&["-retry-join", &seed, "-retry-interval", "1s"]);
    wait_for(&[&s1, &s2, &s3], "s3 to be alive again", || {
        [&s1, &s2, &s3].iter().all(|a| sees_alive(a, &all))
    });

    // SIGTERM with leave_on_terminate: `left`, never `failed`.
    assert_eq!(s2.terminate(), Some(0), "{}", s2.log());
    let mut seen = Vec::new();
    wait_for(&[&s1, &s3], "s1 and s3 to show s2 left", || {
        let now: Vec<Option<String>> = [&s1, &s3]
            .iter()
            .map(|a| a.status_of(&s2.member()))
            .collect();
        seen.extend(now.iter().flatten().cloned());
        now.iter().all(|s| s.as_deref() == Some("left"))
    });
    assert!(
        !seen.iter().any(|s| s == "failed"),
        "s2 was seen failed: {seen:?}"
    );
    // A server that left gracefully is taken out of the Raft configuration.
    let raft_servers = |a: &ServerAgent| -> Option<usize> {
        a.get("/v1/operator/raft/configuration")?["Servers"]
            .as_array()
            .map(Vec::len)
    };
    wait_for(
        &[&s1, &s3],
        "the leader to remove s2 from the Raft configuration",
        || raft_servers(&s1) == Some(2) && raft_servers(&s3) == Some(2),
    );

    // force-leave turns a failed member into a left one; -prune drops it.
    s3.kill();
    wait_for(&[&s1], "s1 to show s3 failed", || {
        s1.status_of(&s3.member()).as_deref() == Some("failed")
    });
    let out = s1.nomad(&["server", "force-leave", &s3.member()]);
    assert!(out.status.success(), "{}", both(&out));
    wait_for(&[&s1], "s1 to show s3 left", || {
        s1.status_of(&s3.member()).as_deref() == Some("left")
    });
    let out = s1.nomad(&["server", "force-leave", "-prune", "s3"]);
    assert!(out.status.success(), "{}", both(&out));
    wait_for(&[&s1], "s3 to disappear from s1's list", || {
        let names: Vec<String> = s1.statuses().into_iter().map(|(n, _)| n).collect();
        names == [s1.member(), s2.member()]
    });
    let out = s1.nomad(&["server", "force-leave", "nobody.global"]);
    assert!(!out.status.success(), "{}", both(&out));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("Error force-leaving server nobody.global"),
        "{}",
        both(&out)
    );
    assert!(s1.running(), "{}", s1.log());
}

#[test]
fn join_reports_errors_in_nomads_shape() {
    let s1 = ServerAgent::start("lonely", "");
    // Nothing listens there: the agent answers 200 with the error, the CLI exits 1.
    let dead = format!("127.0.0.1:{}", super::dev_agent::free_udp_port());
    let out = s1.nomad(&["server", "join", &dead]);
    assert_eq!(out.status.code(), Some(1), "{}", both(&out));
    assert!(
        String::from_utf8_lossy(&out.stderr).starts_with("Error joining: "),
        "{}",
        both(&out)
    );
    // An address that does not even parse: same shape, at once.
    let url = format!(
        "http://127.0.0.1:{}/v1/agent/join?address=not-a-host:x",
        s1.http
    );
    let mut resp = ureq::put(&url).send_empty().expect("join answers");
    let body: serde_json::Value = resp.body_mut().read_json().expect("json");
    assert_eq!(body["num_joined"], 0, "{body}");
    assert!(
        body["error"]
            .as_str()
            .unwrap_or("")
            .contains("not-a-host:x"),
        "{body}"
    );
    assert_eq!(s1.statuses(), [(s1.member(), "alive".to_owned())]);
}

#[test]
fn agents_that_cannot_join_exit_with_an_error() {
    // Nothing listens there. `-join` must work at start; `-retry-join` gives up after `-retry-max`.
    let dead = format!("127.0.0.1:{}", super::dev_agent::free_udp_port());
    let mut early = ServerAgent::prepare("early", "");
    let mut patient = ServerAgent::prepare("patient", "");
    let target = dead.clone();
    let retrying = std::thread::spawn(move || {
        let code = patient.run_to_exit(&[
            "-retry-join",
            &target,
            "-retry-max",
            "2",
            "-retry-interval",
            "1s",
        ]);
        (code, patient.log())
    });
    assert_eq!(
        early.run_to_exit(&["-join", &dead]),
        Some(1),
        "{}",
        early.log()
    );
    assert!(early.log().contains("Failed to join"), "{}", early.log());
    let (code, log) = retrying.join().expect("retry thread");
    assert_eq!(code, Some(1), "{log}");
    assert!(log.contains("join failed, retrying"), "{log}");
    assert!(log.contains("max join retry exhausted"), "{log}");
}

#[test]
fn ctrl_c_with_leave_on_interrupt_leaves_and_a_plain_sigterm_fails() {
    let observer = ServerAgent::start("observer", "");
    let mut polite = ServerAgent::start("polite", "leave_on_interrupt = true\n");
    // leave_on_terminate is off by default, as Nomad's: SIGTERM stops without leaving.
    let mut abrupt = ServerAgent::start("abrupt", "");
    join(&polite, &observer);
    join(&abrupt, &observer);
    let all = [observer.member(), polite.member(), abrupt.member()];
    wait_for(&[&observer, &polite, &abrupt], "all three alive", || {
        [&observer, &polite, &abrupt]
            .iter()
            .all(|a| sees_alive(a, &all))
    });
    assert_eq!(polite.signal("-INT"), Some(0), "{}", polite.log());
    assert_eq!(abrupt.terminate(), Some(0), "{}", abrupt.log());
    wait_for(&[&observer], "polite left and abrupt failed", || {
        observer.status_of(&polite.member()).as_deref() == Some("left")
            && observer.status_of(&abrupt.member()).as_deref() == Some("failed")
    });
    assert!(polite.log().contains("left the mesh"), "{}", polite.log());
}
