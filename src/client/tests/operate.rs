//! Operating running allocations through the `ClientHandle`: an in-place restart
//! (a user's restart is not counted against the restart policy), exec into a task,
//! and the errors for tasks that are not running.

use nomad_region::structs::TASK_RESTART_SIGNAL;

use super::fixtures::*;
use crate::client::ClientError;
use crate::client::drivers::ExecRequest;

fn running_with_restarts(id: &str, restarts: u64) -> impl Fn(&super::fake_rpc::State) -> bool {
    let id = id.to_string();
    move |s| {
        s.allocs.get(&id).is_some_and(|a| {
            a.task_states
                .get("web")
                .is_some_and(|t| t.state == "running" && t.restarts == restarts)
        })
    }
}

#[tokio::test]
async fn restart_runs_the_task_again_outside_the_policy() {
    let h = start_client(std::time::Duration::from_secs(10));
    let node = h.client.node_id().to_string();
    let task = sh_task("web", "echo up; exec sleep 60");
    // No restarts allowed by policy: only a user's restart brings the task back.
    h.server.place(alloc(
        "a-restart",
        &node,
        "service",
        vec![task],
        Some(fast_restarts(0)),
    ));
    h.server
        .wait_until("running", running_with_restarts("a-restart", 0))
        .await;
    assert!(matches!(
        h.client.restart("a-restart", Some("nope")),
        Err(ClientError::NotFound(_))
    ));
    h.client.restart("a-restart", Some("web")).unwrap();
    h.server
        .wait_until("restarted", running_with_restarts("a-restart", 1))
        .await;
    let state = h.server.alloc("a-restart").task_states["web"].clone();
    let types = event_types(&state);
    let at = types
        .iter()
        .position(|t| *t == TASK_RESTART_SIGNAL)
        .expect("a Restart Signaled event");
    assert_eq!(
        types[at..],
        [TASK_RESTART_SIGNAL, "Terminated", "Restarting", "Started"]
    );
    assert_eq!(state.events[at].display_message, "User requested restart");
    assert_eq!(h.server.alloc("a-restart").client_status, "running");
    h.client.shutdown().await;
}

#[tokio::test]
async fn exec_reaches_a_running_task_only() {
    let h = start_client(std::time::Duration::from_secs(10));
    let node = h.client.node_id().to_string();
    let web = sh_task("web", "exec sleep 60");
    let other = mock_task("side", serde_json::json!({"run_for": "60s"}));
    h.server
        .place(alloc("a-exec", &node, "service", vec![web, other], None));
    h.server
        .wait_until("running", status_is("a-exec", "running"))
        .await;
    let req = ExecRequest {
        command: vec!["/bin/sh".into(), "-c".into(), "echo $NOMAD_ALLOC_ID".into()],
        ..Default::default()
    };
    let (out, _, code) = h
        .client
        .exec("a-exec", Some("web"), req.clone())
        .await
        .unwrap()
        .run_to_end(b"")
        .await;
    assert_eq!((out.as_slice(), code), (&b"a-exec\n"[..], Some(0)));
    // Two tasks run: the task must be named; the mock driver has no exec.
    assert!(matches!(
        h.client.exec("a-exec", None, req.clone()).await,
        Err(ClientError::NotFound(_))
    ));
    assert!(matches!(
        h.client.exec("a-exec", Some("side"), req.clone()).await,
        Err(ClientError::ExecNotSupported)
    ));
    assert!(matches!(
        h.client.exec("no-such-alloc", None, req).await,
        Err(ClientError::NotFound(_))
    ));
    let host = h.client.host_stats();
    assert!(host.memory.total > 0 && !host.cpu.is_empty());
    h.client.shutdown().await;
}
