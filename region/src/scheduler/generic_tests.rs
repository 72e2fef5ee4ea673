//! Behaviour tests of the generic scheduler through the in-memory harness.

use std::collections::HashSet;

use crate::structs::{
    ALLOC_CLIENT_STATUS_COMPLETE, ALLOC_CLIENT_STATUS_FAILED, ALLOC_CLIENT_STATUS_LOST,
    ALLOC_CLIENT_STATUS_RUNNING, ALLOC_DESIRED_STATUS_STOP, Constraint, EVAL_STATUS_BLOCKED,
    EVAL_STATUS_COMPLETE, EVAL_STATUS_FAILED, NODE_STATUS_DOWN, NetworkResource, Port, Resources,
    SECOND,
};

use super::testing::*;
use super::*;

const NOW: i64 = 1_700_000_000 * SECOND;

fn run(h: &mut Harness, eval: &crate::structs::Evaluation) {
    // A fresh seed per run, as the worker does: IDs must not repeat.
    static SEED: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(1);
    let seed = SEED.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let snap = h.snapshot();
    let mut ctx = SchedulerContext::new(NOW, seed);
    process_eval(&snap, h, eval, &mut ctx).expect("process");
}

fn harness(nodes: usize) -> Harness {
    let mut h = Harness::default();
    for i in 0..nodes {
        h.state.upsert_node(mock_node(&format!("n{i}")));
    }
    h
}

fn register(h: &mut Harness, job: crate::structs::Job, eval_id: &str) -> crate::structs::Job {
    let job = (*h.state.upsert_job(job)).clone();
    run(h, &register_eval(eval_id, &job));
    job
}

#[test]
fn places_every_allocation_and_completes_the_eval() {
    let mut h = harness(2);
    register(&mut h, mock_job("web", 3), "e1");
    assert_eq!(h.plans.len(), 1);
    let live = h.state.live_allocs();
    assert_eq!(live.len(), 3);
    let names: HashSet<_> = live.iter().map(|a| a.name.clone()).collect();
    assert_eq!(
        names,
        ["web.web[0]", "web.web[1]", "web.web[2]"]
            .iter()
            .map(|s| s.to_string())
            .collect()
    );
    for a in &live {
        assert_eq!(a.desired_status, "run");
        assert_eq!(a.client_status, "pending");
        assert_eq!(a.eval_id, "e1");
        let m = a.metrics.as_ref().expect("metrics");
        assert!(m.nodes_evaluated >= 1);
        assert!(!m.score_meta_data.is_empty());
        assert_eq!(
            a.allocated_resources.as_ref().map(|r| r.comparable()),
            Some((500, 256))
        );
    }
    let e = h.last_eval().expect("eval updated");
    assert_eq!(e.status, EVAL_STATUS_COMPLETE);
    assert!(e.failed_tg_allocs.is_empty());
    assert_eq!(e.queued_allocations.get("web"), Some(&0));
    assert!(h.created_evals.is_empty());
}

#[test]
fn missing_driver_is_reported_and_blocks() {
    let mut h = harness(3);
    let mut job = mock_job("docker", 2);
    job.task_groups[0].tasks[0].driver = "docker".into();
    register(&mut h, job, "e1");
    assert!(h.plans.is_empty(), "nothing to submit");
    let e = h.last_eval().expect("eval");
    assert_eq!(e.status, EVAL_STATUS_COMPLETE);
    let m = &e.failed_tg_allocs["web"];
    assert_eq!(m.nodes_evaluated, 3);
    assert_eq!(m.nodes_filtered, 3);
    assert_eq!(m.constraint_filtered["missing drivers"], 3);
    assert_eq!(m.coalesced_failures, 1);
    assert_eq!(e.queued_allocations["web"], 2);
    assert_eq!(h.created_evals.len(), 1);
    let b = &h.created_evals[0];
    assert_eq!(b.status, EVAL_STATUS_BLOCKED);
    assert_eq!(b.triggered_by, "queued-allocs");
    assert_eq!(b.previous_eval, "e1");
    assert_eq!(e.blocked_eval, b.id);
}

#[test]
fn exhausted_memory_blocks_then_places_when_capacity_frees() {
    let mut h = harness(1);
    // A first job takes most of the node's memory.
    let mut hog = mock_job("hog", 1);
    hog.task_groups[0].tasks[0].resources = Some(Resources {
        cpu: Some(100),
        memory_mb: Some(6000),
        ..Default::default()
    });
    register(&mut h, hog, "e0");
    let mut big = mock_job("big", 1);
    big.task_groups[0].tasks[0].resources = Some(Resources {
        cpu: Some(100),
        memory_mb: Some(4000),
        ..Default::default()
    });
    let big = register(&mut h, big, "e1");
    let e = h.last_eval().expect("eval").clone();
    let m = &e.failed_tg_allocs["web"];
    assert_eq!(m.nodes_exhausted, 1);
    assert_eq!(m.dimension_exhausted["memory"], 1);
    let blocked = h.created_evals.last().expect("blocked").clone();
    assert_eq!(blocked.status, EVAL_STATUS_BLOCKED);
    // Still no room: the blocked eval is re-blocked, not duplicated.
    run(&mut h, &blocked);
    assert_eq!(h.reblocked_evals.len(), 1);
    assert_eq!(h.created_evals.len(), 1);
    // Stop the hog: processing its deregistration frees the memory.
    let mut stopped = (*h.state.job_by_id("default", "hog").expect("hog")).clone();
    stopped.stop = true;
    let stopped = h.state.upsert_job(stopped);
    run(&mut h, &register_eval("e2", &stopped));
    assert!(h.state.live_allocs().iter().all(|a| a.job_id != "hog"));
    run(&mut h, &blocked);
    let placed: Vec<_> = h
        .state
        .live_allocs()
        .into_iter()
        .filter(|a| a.job_id == big.id)
        .collect();
    assert_eq!(placed.len(), 1);
    let last = h.last_eval().expect("eval");
    assert_eq!(last.id, blocked.id);
    assert_eq!(last.status, EVAL_STATUS_COMPLETE);
}

#[test]
fn scaling_up_places_only_the_difference() {
    let mut h = harness(2);
    let job = register(&mut h, mock_job("web", 1), "e1");
    let first = h.state.live_allocs()[0].id.clone();
    let mut more = job.clone();
    more.task_groups[0].count = Some(3);
    register(&mut h, more, "e2");
    let live = h.state.live_allocs();
    assert_eq!(live.len(), 3);
    assert!(live.iter().any(|a| a.id == first));
    let plan = h.plans.last().expect("plan");
    assert!(plan.node_update.values().all(Vec::is_empty));
    // The first allocation was updated in place to the new job version.
    let updated = live.iter().find(|a| a.id == first).expect("first");
    assert_eq!(
        updated.job.as_ref().map(|j| j.task_groups[0].count),
        Some(Some(3))
    );
}

#[test]
fn changed_command_replaces_every_allocation() {
    let mut h = harness(2);
    let job = register(&mut h, mock_job("web", 3), "e1");
    let old: HashSet<String> = h.state.live_allocs().iter().map(|a| a.id.clone()).collect();
    let mut changed = job.clone();
    changed.task_groups[0].tasks[0]
        .config
        .insert("args".into(), serde_json::json!(["100"]));
    register(&mut h, changed, "e2");
    let live = h.state.live_allocs();
    assert_eq!(live.len(), 3);
    assert!(live.iter().all(|a| !old.contains(&a.id)));
    assert!(live.iter().all(|a| old.contains(&a.previous_allocation)));
    for id in &old {
        let a = &h.state.allocs[id];
        assert_eq!(a.desired_status, ALLOC_DESIRED_STATUS_STOP);
        assert_eq!(
            a.desired_description,
            "alloc is being updated due to job update"
        );
        assert!(!a.next_allocation.is_empty());
    }
}

#[test]
fn stopping_the_job_stops_everything() {
    let mut h = harness(1);
    let mut job = register(&mut h, mock_job("web", 2), "e1");
    job.stop = true;
    register(&mut h, job, "e2");
    assert!(h.state.live_allocs().is_empty());
    let stops: usize = h
        .plans
        .last()
        .map(|p| p.node_update.values().map(Vec::len).sum())
        .unwrap_or(0);
    assert_eq!(stops, 2);
    assert_eq!(
        h.last_eval().map(|e| e.status.as_str()),
        Some(EVAL_STATUS_COMPLETE)
    );
}

#[test]
fn allocations_of_a_down_node_are_lost_and_replaced() {
    let mut h = harness(1);
    register(&mut h, mock_job("web", 1), "e1");
    let lost = h.state.live_allocs()[0].clone();
    let mut down = (*h.state.nodes["n0"]).clone();
    down.status = NODE_STATUS_DOWN.into();
    h.state.upsert_node(down);
    h.state.upsert_node(mock_node("n1"));
    let job = (*h.state.job_by_id("default", "web").expect("job")).clone();
    let mut eval = register_eval("e2", &job);
    eval.triggered_by = "node-update".into();
    run(&mut h, &eval);
    let old = &h.state.allocs[&lost.id];
    assert_eq!(old.client_status, ALLOC_CLIENT_STATUS_LOST);
    assert_eq!(old.desired_status, ALLOC_DESIRED_STATUS_STOP);
    let live = h.state.live_allocs();
    assert_eq!(live.len(), 1);
    assert_eq!(live[0].node_id, "n1");
    assert_eq!(live[0].name, lost.name);
    assert_eq!(live[0].previous_allocation, lost.id);
}

#[test]
fn alloc_stop_migrates_the_allocation_to_a_replacement() {
    let mut h = harness(1);
    let job = register(&mut h, mock_job("web", 1), "e1");
    let a = h.state.live_allocs()[0].clone();
    // `alloc stop` sets the migrate transition and an `alloc-stop` evaluation runs.
    h.state.update_alloc(&a.id, |x| {
        x.client_status = ALLOC_CLIENT_STATUS_RUNNING.into();
        x.desired_transition.migrate = Some(true);
    });
    let mut eval = register_eval("e2", &job);
    eval.triggered_by = "alloc-stop".into();
    run(&mut h, &eval);
    let old = &h.state.allocs[&a.id];
    assert_eq!(old.desired_status, ALLOC_DESIRED_STATUS_STOP);
    assert_eq!(old.desired_description, "alloc is being migrated");
    let live = h.state.live_allocs();
    assert_eq!(live.len(), 1);
    assert_ne!(live[0].id, a.id);
    assert_eq!(live[0].name, a.name);
    assert_eq!(live[0].previous_allocation, a.id);
}

#[test]
fn failed_allocation_is_rescheduled_now_or_later() {
    let mut h = harness(2);
    let job = register(&mut h, mock_job("web", 1), "e1");
    let a = h.state.live_allocs()[0].clone();
    // Failed just now: the service policy waits 30s, via a follow-up eval.
    h.state.update_alloc(&a.id, |x| {
        x.client_status = ALLOC_CLIENT_STATUS_FAILED.into();
        x.modify_time = NOW;
    });
    let mut eval = register_eval("e2", &job);
    eval.triggered_by = "alloc-failure".into();
    run(&mut h, &eval);
    let follow = h.created_evals.last().expect("follow-up").clone();
    assert_eq!(follow.triggered_by, "alloc-failure");
    assert_eq!(
        follow.wait_until.as_deref(),
        Some(rfc3339(NOW + 30 * SECOND).as_str())
    );
    assert_eq!(h.state.allocs[&a.id].followup_eval_id, follow.id);
    assert!(h.state.live_allocs().is_empty());
    // The follow-up runs: the replacement is placed, away from the failed node.
    run(&mut h, &follow);
    let live = h.state.live_allocs();
    assert_eq!(live.len(), 1);
    let r = &live[0];
    assert_eq!(r.previous_allocation, a.id);
    assert_ne!(r.node_id, a.node_id, "reschedule penalty moves it");
    let tracker = r.reschedule_tracker.as_ref().expect("tracker");
    assert_eq!(tracker.events.len(), 1);
    assert_eq!(tracker.events[0].prev_alloc_id, a.id);
    assert_eq!(
        h.state.allocs[&a.id].desired_description,
        "alloc was rescheduled because it failed"
    );
}

#[test]
fn batch_reschedule_attempts_run_out() {
    let mut h = harness(1);
    let job = register(&mut h, mock_batch_job("b", 1), "e1");
    let a = h.state.live_allocs()[0].clone();
    h.state.update_alloc(&a.id, |x| {
        x.client_status = ALLOC_CLIENT_STATUS_FAILED.into();
        x.modify_time = NOW - 60 * SECOND;
    });
    run(&mut h, &register_eval("e2", &job));
    let r = h.state.live_allocs()[0].clone();
    assert_eq!(r.previous_allocation, a.id);
    // The replacement fails too: one attempt per 24h is used up.
    h.state.update_alloc(&r.id, |x| {
        x.client_status = ALLOC_CLIENT_STATUS_FAILED.into();
        x.modify_time = NOW - 60 * SECOND;
    });
    let plans = h.plans.len();
    run(&mut h, &register_eval("e3", &job));
    assert_eq!(h.plans.len(), plans, "nothing to do");
    assert!(h.state.live_allocs().is_empty());
}

#[test]
fn completed_batch_allocations_are_not_replaced() {
    let mut h = harness(1);
    let job = register(&mut h, mock_batch_job("b", 2), "e1");
    for a in h.state.live_allocs() {
        h.state.update_alloc(&a.id, |x| {
            x.client_status = ALLOC_CLIENT_STATUS_COMPLETE.into()
        });
    }
    let plans = h.plans.len();
    run(&mut h, &register_eval("e2", &job));
    assert_eq!(h.plans.len(), plans);
    assert_eq!(
        h.last_eval().map(|e| e.status.as_str()),
        Some(EVAL_STATUS_COMPLETE)
    );
}

#[test]
fn binpack_fills_the_used_node_and_anti_affinity_spreads_a_group() {
    let mut h = harness(2);
    register(&mut h, mock_job("first", 1), "e1");
    let used = h.state.live_allocs()[0].node_id.clone();
    register(&mut h, mock_job("second", 1), "e2");
    let second: Vec<_> = h
        .state
        .live_allocs()
        .into_iter()
        .filter(|a| a.job_id == "second")
        .collect();
    assert_eq!(second[0].node_id, used, "binpack prefers the fuller node");
    // Two allocations of one group on two empty nodes: anti-affinity splits them.
    let mut h = harness(2);
    register(&mut h, mock_job("pair", 2), "e1");
    let nodes: HashSet<_> = h
        .state
        .live_allocs()
        .iter()
        .map(|a| a.node_id.clone())
        .collect();
    assert_eq!(nodes.len(), 2);
}

#[test]
fn rejected_plans_are_retried_then_fail_the_eval() {
    let mut h = harness(1);
    h.reject_next = 1;
    register(&mut h, mock_job("web", 1), "e1");
    assert_eq!(h.plans.len(), 2);
    assert_eq!(h.state.live_allocs().len(), 1);
    assert_eq!(
        h.last_eval().map(|e| e.status.as_str()),
        Some(EVAL_STATUS_COMPLETE)
    );
    let mut h = harness(1);
    h.reject_next = 100;
    register(&mut h, mock_job("web", 1), "e1");
    assert_eq!(h.plans.len(), 5);
    let e = h.last_eval().expect("eval");
    assert_eq!(e.status, EVAL_STATUS_FAILED);
    assert_eq!(e.status_description, "maximum attempts reached (5)");
    assert_eq!(h.created_evals[0].triggered_by, "max-plan-attempts");
}

#[test]
fn distinct_hosts_and_constraints_filter_with_reasons() {
    let mut h = harness(2);
    let mut job = mock_job("web", 3);
    job.constraints
        .push(Constraint::new("", "distinct_hosts", "true"));
    register(&mut h, job, "e1");
    assert_eq!(h.state.live_allocs().len(), 2);
    let e = h.last_eval().expect("eval");
    assert_eq!(
        e.failed_tg_allocs["web"].constraint_filtered["distinct_hosts"],
        2
    );
    let mut h = harness(2);
    let mut job = mock_job("win", 1);
    job.task_groups[0]
        .constraints
        .push(Constraint::new("${attr.kernel.name}", "=", "windows"));
    register(&mut h, job, "e1");
    let e = h.last_eval().expect("eval");
    assert_eq!(
        e.failed_tg_allocs["web"].constraint_filtered["${attr.kernel.name} = windows"],
        2
    );
}

#[test]
fn static_ports_collide_and_dynamic_ports_are_assigned() {
    let mut h = harness(1);
    let mut job = mock_job("web", 2);
    job.task_groups[0].networks = vec![NetworkResource {
        reserved_ports: vec![Port {
            label: "http".into(),
            value: 8080,
            ..Default::default()
        }],
        dynamic_ports: vec![Port {
            label: "admin".into(),
            ..Default::default()
        }],
        ..Default::default()
    }];
    register(&mut h, job, "e1");
    let live = h.state.live_allocs();
    assert_eq!(live.len(), 1);
    let ports = &live[0]
        .allocated_resources
        .as_ref()
        .expect("res")
        .shared
        .ports;
    assert!(ports.iter().any(|p| p.label == "http" && p.value == 8080));
    assert!(
        ports
            .iter()
            .any(|p| p.label == "admin" && (20000..=32000).contains(&p.value))
    );
    assert!(ports.iter().all(|p| p.host_ip == "127.0.0.1"));
    let e = h.last_eval().expect("eval");
    assert_eq!(
        e.failed_tg_allocs["web"].dimension_exhausted["network: reserved port collision"],
        1
    );
}

#[test]
fn no_node_in_the_datacenter() {
    let mut h = harness(2);
    let mut job = mock_job("web", 1);
    job.datacenters = vec!["east-*".into()];
    register(&mut h, job, "e1");
    let e = h.last_eval().expect("eval");
    let m = &e.failed_tg_allocs["web"];
    assert_eq!(m.nodes_evaluated, 0);
    assert!(m.nodes_available.is_empty());
    assert_eq!(m.nodes_in_pool, 2);
}

#[test]
fn unknown_scheduler_type_is_an_error() {
    let mut h = harness(1);
    let mut eval = register_eval("e1", &mock_job("x", 1));
    eval.eval_type = "_core".into();
    let snap = h.snapshot();
    let err = process_eval(&snap, &mut h, &eval, &mut SchedulerContext::new(NOW, 1));
    assert_eq!(
        err,
        Err(SchedulerError::UnknownSchedulerType("_core".into()))
    );
}

#[test]
fn running_allocations_of_an_unchanged_job_are_left_alone() {
    let mut h = harness(1);
    let job = register(&mut h, mock_job("web", 2), "e1");
    for a in h.state.live_allocs() {
        h.state.update_alloc(&a.id, |x| {
            x.client_status = ALLOC_CLIENT_STATUS_RUNNING.into()
        });
    }
    let plans = h.plans.len();
    run(&mut h, &register_eval("e2", &job));
    assert_eq!(h.plans.len(), plans);
}
