//! Registration, heartbeats, restart policy, batch completion, sibling and leader
//! handling, and missing drivers.

use std::time::Duration;

use super::fixtures::*;

#[tokio::test]
async fn registers_ready_and_heartbeats_and_reregisters() {
    let h = start_client(Duration::from_millis(40));
    let id = h.client.node_id().to_string();
    h.server
        .wait_until("registration", |s| s.nodes.contains_key(&id))
        .await;
    let node = h.server.read(|s| s.nodes[&id].clone());
    assert_eq!(node.status, "ready");
    assert_eq!(node.attributes["driver.raw_exec"], "1");
    assert!(node.drivers["raw_exec"].healthy);
    h.server
        .wait_until("heartbeats", |s| s.heartbeats >= 2)
        .await;
    h.server.forget_nodes();
    h.server
        .wait_until("re-registration", |s| {
            s.registrations >= 2 && s.nodes.contains_key(&id)
        })
        .await;
    h.client.shutdown().await;
}

#[tokio::test]
async fn batch_task_completes() {
    let h = start_client(Duration::from_secs(10));
    let node = h.client.node_id().to_string();
    h.server.place(alloc(
        "b1",
        &node,
        "batch",
        vec![sh_task("t", "exit 0")],
        None,
    ));
    h.server
        .wait_until("complete", status_is("b1", "complete"))
        .await;
    let a = h.server.alloc("b1");
    assert_eq!(a.client_description, "All tasks have completed");
    let t = &a.task_states["t"];
    assert_eq!((t.state.as_str(), t.failed, t.restarts), ("dead", false, 0));
    assert_eq!(
        event_types(t),
        ["Received", "Task Setup", "Started", "Terminated"]
    );
    h.client.shutdown().await;
}

#[tokio::test]
async fn failing_task_restarts_then_fails_the_alloc() {
    let h = start_client(Duration::from_secs(10));
    let node = h.client.node_id().to_string();
    let task = sh_task("t", "echo attempt >> $NOMAD_ALLOC_DIR/attempts; exit 3");
    h.server.place(alloc(
        "f1",
        &node,
        "service",
        vec![task],
        Some(fast_restarts(2)),
    ));
    h.server
        .wait_until("failed", status_is("f1", "failed"))
        .await;
    let a = h.server.alloc("f1");
    let t = &a.task_states["t"];
    assert_eq!((t.state.as_str(), t.failed, t.restarts), ("dead", true, 2));
    let last = t.events.last().unwrap();
    assert_eq!(last.event_type, "Not Restarting");
    assert_eq!(
        last.display_message,
        "Exceeded allowed attempts 2 in interval 10m0s and mode is \"fail\""
    );
    assert!(event_types(t).contains(&"Restarting"));
    let attempts =
        std::fs::read_to_string(h.client.alloc_dir("f1").unwrap().join("alloc/attempts")).unwrap();
    assert_eq!(attempts.lines().count(), 3, "first run plus two restarts");
    h.client.shutdown().await;
}

#[tokio::test]
async fn failed_sibling_stops_the_group() {
    let h = start_client(Duration::from_secs(10));
    let node = h.client.node_id().to_string();
    let tasks = vec![
        mock_task(
            "bad",
            serde_json::json!({"run_for": "10ms", "exit_code": 1}),
        ),
        mock_task("good", serde_json::json!({"run_for": "1h"})),
    ];
    h.server
        .place(alloc("s1", &node, "batch", tasks, Some(fast_restarts(0))));
    h.server
        .wait_until("failed and all dead", |s| {
            s.allocs["s1"].client_status == "failed"
                && s.allocs["s1"]
                    .task_states
                    .values()
                    .all(|t| t.state == "dead")
        })
        .await;
    let a = h.server.alloc("s1");
    assert_eq!(
        a.task_states["bad"].events.last().unwrap().display_message,
        "Policy allows no restarts"
    );
    let good = &a.task_states["good"];
    assert!(good.failed);
    assert!(event_types(good).contains(&"Sibling Task Failed"));
    h.client.shutdown().await;
}

#[tokio::test]
async fn leader_death_stops_followers_without_failing() {
    let h = start_client(Duration::from_secs(10));
    let node = h.client.node_id().to_string();
    let mut leader = mock_task("leader", serde_json::json!({"run_for": "10ms"}));
    leader.leader = true;
    let tasks = vec![
        leader,
        mock_task("follower", serde_json::json!({"run_for": "1h"})),
    ];
    h.server.place(alloc("l1", &node, "batch", tasks, None));
    h.server
        .wait_until("complete", status_is("l1", "complete"))
        .await;
    let f = &h.server.alloc("l1").task_states["follower"];
    assert!(!f.failed);
    assert!(event_types(f).contains(&"Leader Task Dead"));
    h.client.shutdown().await;
}

#[tokio::test]
async fn missing_driver_and_start_errors_fail() {
    let h = start_client(Duration::from_secs(10));
    let node = h.client.node_id().to_string();
    // A driver this client does not have (docker may be present on the test machine).
    let mut missing = sh_task("d", "true");
    missing.driver = "qemu".into();
    h.server
        .place(alloc("m1", &node, "service", vec![missing], None));
    h.server
        .wait_until("failed", status_is("m1", "failed"))
        .await;
    let t = &h.server.alloc("m1").task_states["d"];
    assert_eq!(
        event_types(t),
        ["Received", "Task Setup", "Driver Failure", "Not Restarting"]
    );
    assert_eq!(
        t.events[2].display_message,
        "driver \"qemu\" is not available on this node"
    );

    let missing = sh_task("x", "unused");
    let mut missing = missing;
    missing
        .config
        .insert("command".into(), serde_json::json!("/no/such/program"));
    h.server
        .place(alloc("m2", &node, "service", vec![missing], None));
    h.server
        .wait_until("failed", status_is("m2", "failed"))
        .await;
    let t = &h.server.alloc("m2").task_states["x"];
    assert_eq!(
        t.events.last().unwrap().display_message,
        "Error was unrecoverable"
    );
    h.client.shutdown().await;
}

#[tokio::test]
async fn alloc_stopped_before_start_is_complete() {
    let h = start_client(Duration::from_secs(10));
    let node = h.client.node_id().to_string();
    let mut a = alloc("p1", &node, "service", vec![sh_task("t", "sleep 60")], None);
    a.desired_status = "stop".into();
    h.server.place(a);
    // A stopped alloc the client never ran is skipped, not started.
    h.server.place(alloc(
        "p2",
        &node,
        "batch",
        vec![sh_task("t", "exit 0")],
        None,
    ));
    h.server
        .wait_until("p2 complete", status_is("p2", "complete"))
        .await;
    assert_eq!(h.server.alloc("p1").client_status, "pending");
    assert!(h.client.alloc_dir("p1").is_none());
    h.client.shutdown().await;
}
