//! End-to-end tests of the region server in-process: real workers, broker, plan
//! applier and scheduler; the test plays the client. Conditions are polled with a
//! generous deadline (no timing assertions).

use std::collections::BTreeMap;
use std::time::Duration;

use tokio_util::sync::CancellationToken;

use super::*;
use crate::state::StateSnapshot;
use crate::structs::*;

fn node(id: &str, memory_mb: i64) -> Node {
    Node {
        id: id.into(),
        secret_id: format!("secret-{id}"),
        name: id.into(),
        datacenter: "dc1".into(),
        status: NODE_STATUS_READY.into(),
        attributes: BTreeMap::from([
            ("driver.raw_exec".to_string(), "1".to_string()),
            ("kernel.name".to_string(), "linux".to_string()),
        ]),
        drivers: BTreeMap::from([(
            "raw_exec".to_string(),
            DriverInfo {
                detected: true,
                healthy: true,
                ..Default::default()
            },
        )]),
        node_resources: Some(NodeResources {
            cpu: NodeCpuResources {
                cpu_shares: 4000,
                total_cpu_cores: 4,
                ..Default::default()
            },
            memory: NodeMemoryResources { memory_mb },
            disk: NodeDiskResources { disk_mb: 100_000 },
            ..Default::default()
        }),
        ..Default::default()
    }
}

fn job(id: &str, count: i32, memory_mb: i32, command: &str) -> Job {
    let mut config = BTreeMap::new();
    config.insert("command".to_string(), serde_json::json!(command));
    Job {
        id: id.into(),
        datacenters: vec!["dc1".into()],
        task_groups: vec![TaskGroup {
            name: "web".into(),
            count: Some(count),
            tasks: vec![Task {
                name: "server".into(),
                driver: "raw_exec".into(),
                config,
                resources: Some(Resources {
                    cpu: Some(100),
                    memory_mb: Some(memory_mb),
                    ..Default::default()
                }),
                ..Default::default()
            }],
            ..Default::default()
        }],
        ..Default::default()
    }
}

fn config() -> ServerConfig {
    ServerConfig {
        num_schedulers: 2,
        tick: Duration::from_millis(20),
        ..Default::default()
    }
}

/// Polls `cond` on fresh snapshots until it holds (panics after 10 s).
async fn until(
    h: &RegionHandle,
    what: &str,
    cond: impl Fn(&StateSnapshot) -> bool,
) -> StateSnapshot {
    for _ in 0..1000 {
        let snap = h.snapshot();
        if cond(&snap) {
            return snap;
        }
        h.wait_for_index(snap.latest_index(), Duration::from_millis(10))
            .await;
    }
    panic!("timed out waiting for: {what}");
}

fn live(snap: &StateSnapshot, job: &str) -> Vec<std::sync::Arc<Allocation>> {
    snap.allocs_by_job("default", job, true)
        .into_iter()
        .filter(|a| !a.terminal_status())
        .collect()
}

async fn report(h: &RegionHandle, snap: &StateSnapshot, job: &str, status: &str) {
    let updates = live(snap, job)
        .iter()
        .map(|a| Allocation {
            id: a.id.clone(),
            client_status: status.into(),
            ..Default::default()
        })
        .collect();
    h.alloc_client_update(updates).await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn run_scale_stop_a_service_job() {
    let cancel = CancellationToken::new();
    let h = RegionServer::start(config(), cancel.clone());
    let reg = h.node_register(node("n1", 8192)).await.unwrap();
    assert!(reg.heartbeat_ttl >= 10 * SECOND);

    let resp = h
        .job_register(job("web", 1, 256, "/bin/sleep"), RegisterOptions::default())
        .await
        .unwrap();
    assert!(!resp.eval_id.is_empty());
    let eval_id = resp.eval_id.clone();
    let snap = until(&h, "eval complete", |s| {
        s.eval_by_id(&eval_id)
            .is_some_and(|e| e.status == EVAL_STATUS_COMPLETE)
    })
    .await;
    assert_eq!(live(&snap, "web").len(), 1);
    assert_eq!(
        snap.job_by_id("default", "web").unwrap().status,
        JOB_STATUS_RUNNING
    );
    assert_eq!(snap.allocs_by_eval(&eval_id).len(), 1);
    report(&h, &snap, "web", ALLOC_CLIENT_STATUS_RUNNING).await;
    let snap = h.snapshot();
    assert_eq!(
        snap.job_summary("default", "web").unwrap().summary["web"].running,
        1
    );

    // Scale to 3 with the right check index; a stale one is refused.
    let jmi = snap.job_by_id("default", "web").unwrap().job_modify_index;
    let stale = h
        .job_register(
            job("web", 3, 256, "/bin/sleep"),
            RegisterOptions {
                enforce_index: Some(jmi + 100),
            },
        )
        .await;
    assert!(
        matches!(&stale, Err(RegionError::IndexMismatch(m)) if m.starts_with(ENFORCE_INDEX_ERR_PREFIX))
    );
    h.job_register(
        job("web", 3, 256, "/bin/sleep"),
        RegisterOptions {
            enforce_index: Some(jmi),
        },
    )
    .await
    .unwrap();
    until(&h, "3 allocations", |s| live(s, "web").len() == 3).await;

    // Stop: every allocation is told to stop; the job is dead once they finish.
    let stop = h.job_deregister("default", "web", false).await.unwrap();
    let snap = until(&h, "stop eval complete", |s| {
        s.eval_by_id(&stop.eval_id)
            .is_some_and(|e| e.status == EVAL_STATUS_COMPLETE)
    })
    .await;
    assert!(live(&snap, "web").is_empty());
    let job_now = snap.job_by_id("default", "web").unwrap();
    assert!(job_now.stop);
    assert_eq!(job_now.status, JOB_STATUS_DEAD);
    assert!(matches!(
        h.job_deregister("default", "nope", false).await,
        Err(RegionError::NotFound(_))
    ));

    cancel.cancel();
    h.stopped().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn blocked_job_is_placed_when_capacity_frees() {
    let cancel = CancellationToken::new();
    let h = RegionServer::start(config(), cancel.clone());
    h.node_register(node("n1", 1024)).await.unwrap();
    h.job_register(job("hog", 1, 800, "/bin/sleep"), RegisterOptions::default())
        .await
        .unwrap();
    let snap = until(&h, "hog placed", |s| live(s, "hog").len() == 1).await;
    report(&h, &snap, "hog", ALLOC_CLIENT_STATUS_RUNNING).await;

    let resp = h
        .job_register(job("big", 1, 600, "/bin/sleep"), RegisterOptions::default())
        .await
        .unwrap();
    let eval_id = resp.eval_id.clone();
    let snap = until(&h, "big eval done", |s| {
        s.eval_by_id(&eval_id).is_some_and(|e| e.terminal_status())
    })
    .await;
    let eval = snap.eval_by_id(&eval_id).unwrap();
    let metric = &eval.failed_tg_allocs["web"];
    assert_eq!(metric.dimension_exhausted.get("memory"), Some(&1));
    assert!(!eval.blocked_eval.is_empty());
    until(&h, "blocked eval tracked", |_| {
        h.broker_stats().blocked == 1
    })
    .await;
    assert!(live(&snap, "big").is_empty());

    // Stop the hog; once its allocation completes, the blocked eval places "big".
    h.job_deregister("default", "hog", false).await.unwrap();
    until(&h, "hog stopped", |s| {
        s.allocs_by_job("default", "hog", true)
            .iter()
            .all(|a| a.desired_status == ALLOC_DESIRED_STATUS_STOP)
    })
    .await;
    let hog_allocs: Vec<Allocation> = h
        .snapshot()
        .allocs_by_job("default", "hog", true)
        .iter()
        .map(|a| Allocation {
            id: a.id.clone(),
            client_status: ALLOC_CLIENT_STATUS_COMPLETE.into(),
            ..Default::default()
        })
        .collect();
    h.alloc_client_update(hog_allocs).await.unwrap();
    until(&h, "big placed", |s| live(s, "big").len() == 1).await;
    cancel.cancel();
    h.stopped().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn missed_heartbeat_marks_node_down_and_allocs_lost() {
    let cancel = CancellationToken::new();
    let cfg = ServerConfig {
        min_heartbeat_ttl: 200 * 1_000_000,
        heartbeat_grace: 0,
        ..config()
    };
    let h = RegionServer::start(cfg, cancel.clone());
    h.node_register(node("n1", 8192)).await.unwrap();
    h.job_register(job("web", 2, 256, "/bin/sleep"), RegisterOptions::default())
        .await
        .unwrap();
    let snap = until(&h, "placed", |s| live(s, "web").len() == 2).await;
    report(&h, &snap, "web", ALLOC_CLIENT_STATUS_RUNNING).await;
    // No heartbeats: the node goes down and its allocations are lost.
    until(&h, "node down", |s| {
        s.node_by_id("n1")
            .is_some_and(|n| n.status == NODE_STATUS_DOWN)
    })
    .await;
    let snap = until(&h, "allocs lost", |s| {
        s.allocs_by_job("default", "web", true)
            .iter()
            .filter(|a| a.client_status == ALLOC_CLIENT_STATUS_LOST)
            .count()
            == 2
    })
    .await;
    let n = snap.node_by_id("n1").unwrap();
    assert!(
        n.events
            .iter()
            .any(|e| e.message == "Node heartbeat missed")
    );
    // A heartbeat brings it back.
    let ttl = h.node_heartbeat("n1").await.unwrap();
    assert!(ttl > 0);
    until(&h, "node ready", |s| {
        s.node_by_id("n1")
            .is_some_and(|n| n.status == NODE_STATUS_READY)
    })
    .await;
    assert!(matches!(
        h.node_heartbeat("unknown").await,
        Err(RegionError::NotFound(_))
    ));
    cancel.cancel();
    h.stopped().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn plan_is_a_dry_run_and_validation_errors_are_reported() {
    let cancel = CancellationToken::new();
    let h = RegionServer::start(config(), cancel.clone());
    h.node_register(node("n1", 8192)).await.unwrap();
    let before = h.snapshot().latest_index();
    let plan = h
        .job_plan(job("web", 2, 256, "/bin/sleep"), true)
        .await
        .unwrap();
    assert_eq!(plan.job_modify_index, 0);
    assert!(plan.failed_tg_allocs.is_empty());
    let snap = h.snapshot();
    assert_eq!(snap.latest_index(), before, "a plan changes nothing");
    assert!(snap.job_by_id("default", "web").is_none());
    assert_eq!(
        plan.annotations.as_ref().unwrap().desired_tg_updates["web"].place,
        2
    );
    assert!(plan.diff.is_some());
    let mut bad = job("", 1, 256, "x");
    bad.task_groups[0].tasks[0].driver = String::new();
    assert!(matches!(
        h.job_register(bad, RegisterOptions::default()).await,
        Err(RegionError::Validation(_))
    ));
    let mut docker = job("d", 1, 256, "x");
    docker.task_groups[0].tasks[0].driver = "docker".into();
    let plan = h.job_plan(docker, false).await.unwrap();
    assert_eq!(
        plan.failed_tg_allocs["web"]
            .constraint_filtered
            .get("missing drivers"),
        Some(&1)
    );
    cancel.cancel();
    h.stopped().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn batch_job_completes_and_a_failed_one_is_rescheduled() {
    let cancel = CancellationToken::new();
    let h = RegionServer::start(config(), cancel.clone());
    h.node_register(node("n1", 8192)).await.unwrap();

    let mut done = job("once", 1, 64, "/bin/true");
    done.job_type = JOB_TYPE_BATCH.into();
    h.job_register(done, RegisterOptions::default())
        .await
        .unwrap();
    let snap = until(&h, "batch placed", |s| live(s, "once").len() == 1).await;
    report(&h, &snap, "once", ALLOC_CLIENT_STATUS_COMPLETE).await;
    let snap = until(&h, "batch dead", |s| {
        s.job_by_id("default", "once")
            .is_some_and(|j| j.status == JOB_STATUS_DEAD)
    })
    .await;
    assert_eq!(
        snap.job_summary("default", "once").unwrap().summary["web"].complete,
        1
    );

    // Batch default reschedule policy: one attempt, 5 s delay (Nomad's minimum).
    let mut flaky = job("flaky", 1, 64, "/bin/false");
    flaky.job_type = JOB_TYPE_BATCH.into();
    h.job_register(flaky, RegisterOptions::default())
        .await
        .unwrap();
    let snap = until(&h, "flaky placed", |s| live(s, "flaky").len() == 1).await;
    let first = live(&snap, "flaky")[0].id.clone();
    report(&h, &snap, "flaky", ALLOC_CLIENT_STATUS_FAILED).await;
    let snap = until(&h, "replacement placed", |s| {
        live(s, "flaky")
            .iter()
            .any(|a| a.previous_allocation == first)
    })
    .await;
    assert_eq!(
        snap.alloc_by_id(&first).unwrap().next_allocation,
        live(&snap, "flaky")[0].id
    );
    cancel.cancel();
    h.stopped().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_new_leader_resumes_pending_evaluations() {
    // State left by a previous leader: a node and a job whose eval never ran.
    let mut store = crate::state::StateStore::new();
    store.apply(
        1,
        &crate::state::Command::NodeRegister {
            node: Node {
                node_pool: DEFAULT_NODE_POOL.into(),
                scheduling_eligibility: NODE_SCHEDULING_ELIGIBLE.into(),
                ..node("n1", 8192)
            },
            evals: vec![],
        },
    );
    let mut j = job("web", 2, 128, "/bin/sleep");
    j.canonicalize();
    let eval = Evaluation {
        id: "11111111-1111-4111-8111-111111111111".into(),
        namespace: "default".into(),
        priority: 50,
        eval_type: JOB_TYPE_SERVICE.into(),
        triggered_by: EVAL_TRIGGER_JOB_REGISTER.into(),
        job_id: "web".into(),
        status: EVAL_STATUS_PENDING.into(),
        ..Default::default()
    };
    store.apply(
        2,
        &crate::state::Command::JobRegister {
            job: j,
            eval: Some(eval),
        },
    );
    let cancel = CancellationToken::new();
    let h =
        RegionServer::start_with_applier(config(), LocalApplier::with_store(store), cancel.clone());
    until(&h, "placed", |s| live(s, "web").len() == 2).await;
    cancel.cancel();
    h.stopped().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn alloc_stop_replaces_the_allocation() {
    let cancel = CancellationToken::new();
    let h = RegionServer::start(config(), cancel.clone());
    h.node_register(node("n1", 8192)).await.unwrap();
    h.job_register(job("web", 1, 256, "/bin/sleep"), RegisterOptions::default())
        .await
        .unwrap();
    let snap = until(&h, "1 allocation", |s| live(s, "web").len() == 1).await;
    report(&h, &snap, "web", ALLOC_CLIENT_STATUS_RUNNING).await;
    let first = live(&snap, "web")[0].clone();

    let (eval_id, index) = h.alloc_stop(&first.id).await.unwrap();
    assert!(index > 0);
    let snap = until(&h, "the alloc-stop eval to complete", |s| {
        s.eval_by_id(&eval_id)
            .is_some_and(|e| e.status == EVAL_STATUS_COMPLETE)
    })
    .await;
    let eval = snap.eval_by_id(&eval_id).unwrap();
    assert_eq!(eval.triggered_by, EVAL_TRIGGER_ALLOC_STOP);
    let old = snap.alloc_by_id(&first.id).unwrap();
    assert_eq!(old.desired_status, ALLOC_DESIRED_STATUS_STOP);
    assert_eq!(old.desired_transition.migrate, Some(true));
    let now = live(&snap, "web");
    assert_eq!(now.len(), 1);
    assert_ne!(now[0].id, first.id);
    assert_eq!(now[0].previous_allocation, first.id);
    assert!(matches!(
        h.alloc_stop("no-such-alloc").await,
        Err(RegionError::NotFound(_))
    ));
    cancel.cancel();
    h.stopped().await;
}
