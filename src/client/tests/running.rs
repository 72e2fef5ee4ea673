//! Real processes through raw_exec: env and interpolation, logs and rotation,
//! stats, stop with kill_timeout, and client shutdown.

use std::time::Duration;

use nomad_region::structs::{LogConfig, Task};

use super::fixtures::*;
use crate::client::logs::{log_indexes, log_path};

async fn wait_for_file(path: &std::path::Path, needle: &str) -> String {
    for _ in 0..3000 {
        let text = std::fs::read_to_string(path).unwrap_or_default();
        if text.contains(needle) {
            return text;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    panic!("{} never contained {needle:?}", path.display());
}

fn pid_alive(pid: i32) -> bool {
    // SAFETY: signal 0 only checks for existence.
    unsafe { libc::kill(pid, 0) == 0 }
}

#[tokio::test]
async fn runs_a_service_task_then_stops_it() {
    let h = start_client(Duration::from_secs(10));
    let node = h.client.node_id().to_string();
    let mut task = sh_task(
        "web",
        "echo \"port=$NOMAD_PORT_http alloc=$NOMAD_ALLOC_ID arg=$1\"; echo $$ > $NOMAD_TASK_DIR/pid; exec sleep 60",
    );
    task.config.insert(
        "args".into(),
        serde_json::json!([
            "-c",
            task.config["args"][1],
            "sh",
            "${attr.kernel.name}/${meta.rack}/${NOMAD_JOB_NAME}"
        ]),
    );
    h.server
        .place(alloc("a-run", &node, "service", vec![task], None));
    h.server
        .wait_until("running", status_is("a-run", "running"))
        .await;

    let dir = h.client.alloc_dir("a-run").expect("alloc dir");
    let out = wait_for_file(
        &log_path(&dir.join("alloc/logs"), "web", "stdout", 0),
        "alloc=",
    )
    .await;
    assert_eq!(out, "port=24680 alloc=a-run arg=linux/r1/example\n");
    let pid: i32 = wait_for_file(&dir.join("web/local/pid"), "\n")
        .await
        .trim()
        .parse()
        .unwrap();
    let running = h.server.alloc("a-run").task_states["web"].clone();
    assert_eq!(running.state, "running");
    assert_eq!(event_types(&running), ["Received", "Task Setup", "Started"]);
    let stats = h.client.alloc_stats("a-run").expect("stats");
    assert!(stats.tasks["web"].resource_usage.memory_stats.rss > 0);

    h.server.stop("a-run");
    h.server
        .wait_until("complete", status_is("a-run", "complete"))
        .await;
    let done = h.server.alloc("a-run").task_states["web"].clone();
    assert_eq!(done.state, "dead");
    assert!(!done.failed);
    assert_eq!(event_types(&done)[3..], ["Killing", "Terminated", "Killed"]);
    assert_eq!(
        done.events[3].display_message,
        "Sent interrupt. Waiting 2s before force killing"
    );
    assert!(!pid_alive(pid), "the task's process is gone");
    h.client.shutdown().await;
}

#[tokio::test]
async fn rotates_logs_per_logs_block() {
    let h = start_client(Duration::from_secs(10));
    let node = h.client.node_id().to_string();
    let mut task: Task = sh_task("big", "head -c 2500000 /dev/zero; echo done >&2");
    task.log_config = Some(LogConfig {
        max_files: Some(2),
        max_file_size_mb: Some(1),
        disabled: false,
        ..Default::default()
    });
    h.server
        .place(alloc("a-logs", &node, "batch", vec![task], None));
    h.server
        .wait_until("complete", status_is("a-logs", "complete"))
        .await;
    let logs = h.client.log_dir("a-logs").unwrap();
    // 2.5 MB in 1 MB files: .0 .1 .2, of which the newest two are kept.
    assert_eq!(log_indexes(&logs, "big", "stdout"), vec![1, 2]);
    let size = |i| {
        std::fs::metadata(log_path(&logs, "big", "stdout", i))
            .unwrap()
            .len()
    };
    assert_eq!(
        (size(1), size(2)),
        (1024 * 1024, 2_500_000 - 2 * 1024 * 1024)
    );
    assert_eq!(
        std::fs::read_to_string(log_path(&logs, "big", "stderr", 0)).unwrap(),
        "done\n"
    );
    h.client.shutdown().await;
}

#[tokio::test]
async fn shutdown_stops_tasks_and_reports() {
    let h = start_client(Duration::from_secs(10));
    let node = h.client.node_id().to_string();
    let mut task = sh_task(
        "w",
        "echo $$ > $NOMAD_TASK_DIR/pid; trap 'exit 0' INT; while true; do sleep 0.05; done",
    );
    task.kill_signal = "SIGINT".into();
    h.server
        .place(alloc("a-shut", &node, "service", vec![task], None));
    h.server
        .wait_until("running", status_is("a-shut", "running"))
        .await;
    let dir = h.client.alloc_dir("a-shut").unwrap();
    let pid: i32 = wait_for_file(&dir.join("w/local/pid"), "\n")
        .await
        .trim()
        .parse()
        .unwrap();
    h.client.shutdown().await;
    assert!(!pid_alive(pid));
    let last = h.server.alloc("a-shut");
    assert_eq!(last.client_status, "complete");
    assert_eq!(event_types(&last.task_states["w"]).last(), Some(&"Killed"));
    // A second shutdown is a no-op.
    h.client.shutdown().await;
}
