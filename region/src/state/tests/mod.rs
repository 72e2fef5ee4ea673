//! Behaviour tests of the state store: indexes, versions, summaries, job status, driven only
//! through `apply`; snapshots and in-place application in the files beside this one.

use std::collections::BTreeMap;

use super::*;
use crate::structs::*;

fn job(id: &str, count: i32) -> Job {
    Job {
        id: id.into(),
        name: id.into(),
        namespace: "default".into(),
        job_type: JOB_TYPE_SERVICE.into(),
        task_groups: vec![TaskGroup {
            name: "web".into(),
            count: Some(count),
            ..Default::default()
        }],
        ..Default::default()
    }
}

fn eval(id: &str, job_id: &str, status: &str) -> Evaluation {
    Evaluation {
        id: id.into(),
        namespace: "default".into(),
        job_id: job_id.into(),
        status: status.into(),
        triggered_by: EVAL_TRIGGER_JOB_REGISTER.into(),
        ..Default::default()
    }
}

fn alloc(id: &str, job: &Job, node: &str) -> Allocation {
    Allocation {
        id: id.into(),
        namespace: "default".into(),
        job_id: job.id.clone(),
        node_id: node.into(),
        task_group: "web".into(),
        name: alloc_name(&job.id, "web", 0),
        desired_status: ALLOC_DESIRED_STATUS_RUN.into(),
        ..Default::default()
    }
}

fn register(s: &mut StateStore, index: u64, job: &Job) {
    s.apply(
        index,
        &Command::JobRegister {
            job: job.clone(),
            eval: None,
        },
    );
}

fn place(s: &mut StateStore, index: u64, ids: &[&str], job: &Job) {
    let allocs = ids.iter().map(|id| alloc(id, job, "n1")).collect();
    // As the scheduler does: the plan carries the stored job.
    let stored = s.snapshot().job_by_id(&job.namespace, &job.id);
    let r = s.apply(
        index,
        &Command::ApplyPlanResults(PlanResults {
            job: stored,
            allocs_to_upsert: allocs,
            now: 5,
            ..Default::default()
        }),
    );
    assert_eq!(r, CommandResult::Applied);
}

fn client(s: &mut StateStore, index: u64, id: &str, status: &str) {
    let update = Allocation {
        id: id.into(),
        client_status: status.into(),
        ..Default::default()
    };
    s.apply(
        index,
        &Command::AllocClientUpdate {
            allocs: vec![update],
            evals: vec![],
            now: 9,
        },
    );
}

#[test]
fn register_sets_indexes_versions_and_summary() {
    let mut s = StateStore::new();
    let r = s.apply(
        3,
        &Command::JobRegister {
            job: job("web", 2),
            eval: Some(eval("e1", "web", "pending")),
        },
    );
    assert_eq!(
        r,
        CommandResult::JobRegistered {
            job_modify_index: 3,
            version: 0
        }
    );
    let r = s.apply(
        5,
        &Command::JobRegister {
            job: job("web", 3),
            eval: None,
        },
    );
    assert_eq!(
        r,
        CommandResult::JobRegistered {
            job_modify_index: 5,
            version: 1
        }
    );
    let snap = s.snapshot();
    let j = snap.job_by_id("default", "web").unwrap();
    assert_eq!(
        (
            j.create_index,
            j.modify_index,
            j.job_modify_index,
            j.version
        ),
        (3, 5, 5, 1)
    );
    assert_eq!(
        j.status, JOB_STATUS_PENDING,
        "a pending eval keeps the job pending"
    );
    let versions: Vec<u64> = snap
        .job_versions("default", "web")
        .iter()
        .map(|j| j.version)
        .collect();
    assert_eq!(versions, vec![1, 0]);
    assert_eq!(
        snap.job_by_version("default", "web", 0)
            .unwrap()
            .task_groups[0]
            .count,
        Some(2)
    );
    let summary = snap.job_summary("default", "web").unwrap();
    assert_eq!(summary.create_index, 3);
    assert!(summary.summary.contains_key("web"));
    assert_eq!(snap.eval_by_id("e1").unwrap().create_index, 3);
    assert_eq!(snap.latest_index(), 5);
    assert_eq!(snap.index(Table::Jobs), 5);
    assert_eq!(snap.index(Table::Evals), 3);
    assert_eq!(snap.index(Table::Nodes), 0);
}

#[test]
fn versions_are_capped() {
    let mut s = StateStore::new();
    for i in 1..=10 {
        s.apply(
            i,
            &Command::JobRegister {
                job: job("web", 1),
                eval: None,
            },
        );
    }
    let v = s.snapshot().job_versions("default", "web");
    assert_eq!(v.len(), JOB_TRACKED_VERSIONS);
    assert_eq!(v[0].version, 9);
}

#[test]
fn allocation_lifecycle_drives_summary_and_status() {
    let mut s = StateStore::new();
    let j = job("web", 2);
    s.apply(
        1,
        &Command::JobRegister {
            job: j.clone(),
            eval: Some(eval("e1", "web", "pending")),
        },
    );
    let mut done = eval("e1", "web", EVAL_STATUS_COMPLETE);
    done.queued_allocations = BTreeMap::from([("web".to_string(), 2)]);
    s.apply(2, &Command::EvalUpsert { evals: vec![done] });
    assert_eq!(
        s.snapshot().job_summary("default", "web").unwrap().summary["web"].queued,
        2
    );
    assert_eq!(
        s.snapshot().job_by_id("default", "web").unwrap().status,
        JOB_STATUS_DEAD
    );

    place(&mut s, 3, &["a1", "a2"], &j);
    let snap = s.snapshot();
    let tg = &snap.job_summary("default", "web").unwrap().summary["web"];
    assert_eq!((tg.queued, tg.starting, tg.running), (0, 2, 0));
    let a = snap.alloc_by_id("a1").unwrap();
    assert_eq!(
        (a.create_index, a.modify_index, a.alloc_modify_index),
        (3, 3, 3)
    );
    assert_eq!(a.client_status, ALLOC_CLIENT_STATUS_PENDING);
    assert!(a.job.is_some(), "the plan's job is attached");
    assert_eq!(a.create_time, 5);
    let job_now = snap.job_by_id("default", "web").unwrap();
    assert_eq!(job_now.status, JOB_STATUS_RUNNING);
    assert_eq!(job_now.modify_index, 3, "a status change bumps ModifyIndex");
    assert_eq!(snap.allocs_by_node("n1").len(), 2);
    assert_eq!(snap.allocs_by_job("default", "web", false).len(), 2);

    client(&mut s, 4, "a1", ALLOC_CLIENT_STATUS_RUNNING);
    client(&mut s, 5, "a2", ALLOC_CLIENT_STATUS_RUNNING);
    client(&mut s, 6, "a2", ALLOC_CLIENT_STATUS_FAILED);
    let snap = s.snapshot();
    let tg = &snap.job_summary("default", "web").unwrap().summary["web"];
    assert_eq!((tg.starting, tg.running, tg.failed), (0, 1, 1));
    let a1 = snap.alloc_by_id("a1").unwrap();
    assert_eq!(
        (a1.modify_index, a1.alloc_modify_index, a1.modify_time),
        (4, 3, 9)
    );

    // The scheduler stops the job's last allocation; the job is dead once the
    // client confirms and every eval is terminal.
    let stop = AllocStop {
        id: "a1".into(),
        desired_status: ALLOC_DESIRED_STATUS_STOP.into(),
        desired_description: "alloc not needed due to job update".into(),
        ..Default::default()
    };
    s.apply(
        7,
        &Command::ApplyPlanResults(PlanResults {
            allocs_to_stop: vec![stop],
            now: 10,
            ..Default::default()
        }),
    );
    let snap = s.snapshot();
    let a1 = snap.alloc_by_id("a1").unwrap();
    assert_eq!(a1.desired_status, ALLOC_DESIRED_STATUS_STOP);
    assert_eq!(a1.client_status, ALLOC_CLIENT_STATUS_RUNNING);
    assert_eq!(
        snap.job_by_id("default", "web").unwrap().status,
        JOB_STATUS_DEAD
    );
    client(&mut s, 8, "a1", ALLOC_CLIENT_STATUS_COMPLETE);
    let tg = &s.snapshot().job_summary("default", "web").unwrap().summary["web"];
    assert_eq!((tg.running, tg.complete, tg.failed), (0, 1, 1));
}

#[test]
fn stop_and_purge() {
    let mut s = StateStore::new();
    s.apply(
        1,
        &Command::JobRegister {
            job: job("web", 1),
            eval: None,
        },
    );
    let r = s.apply(
        2,
        &Command::JobDeregister {
            namespace: "default".into(),
            job_id: "web".into(),
            purge: false,
            eval: Some(eval("e2", "web", "pending")),
            now: 77,
        },
    );
    assert_eq!(
        r,
        CommandResult::JobRegistered {
            job_modify_index: 2,
            version: 1
        }
    );
    let j = s.snapshot().job_by_id("default", "web").unwrap();
    assert!(j.stop);
    assert_eq!(j.submit_time, 77);
    let r = s.apply(
        3,
        &Command::JobDeregister {
            namespace: "default".into(),
            job_id: "web".into(),
            purge: true,
            eval: None,
            now: 78,
        },
    );
    assert_eq!(r, CommandResult::Applied);
    let snap = s.snapshot();
    assert!(snap.job_by_id("default", "web").is_none());
    assert!(snap.job_summary("default", "web").is_none());
    assert!(snap.job_versions("default", "web").is_empty());
    assert_eq!(
        snap.evals_by_job("default", "web").len(),
        1,
        "evals stay until GC"
    );
    let r = s.apply(
        4,
        &Command::JobDeregister {
            namespace: "default".into(),
            job_id: "web".into(),
            purge: true,
            eval: None,
            now: 79,
        },
    );
    assert_eq!(
        r,
        CommandResult::Rejected(StateError::JobNotFound("web".into()))
    );
}

#[test]
fn successful_eval_cancels_blocked_ones() {
    let mut s = StateStore::new();
    s.apply(
        1,
        &Command::JobRegister {
            job: job("web", 1),
            eval: None,
        },
    );
    s.apply(
        2,
        &Command::EvalUpsert {
            evals: vec![eval("b1", "web", EVAL_STATUS_BLOCKED)],
        },
    );
    s.apply(
        3,
        &Command::EvalUpsert {
            evals: vec![eval("e2", "web", EVAL_STATUS_COMPLETE)],
        },
    );
    let b = s.snapshot().eval_by_id("b1").unwrap();
    assert_eq!(b.status, EVAL_STATUS_CANCELLED);
    assert_eq!(b.modify_index, 3);
    assert_eq!(b.create_index, 2);
}

#[test]
fn replacement_links_previous_allocation_and_keeps_client_fields() {
    let mut s = StateStore::new();
    let j = job("web", 1);
    register(&mut s, 1, &j);
    place(&mut s, 2, &["a1"], &j);
    client(&mut s, 3, "a1", ALLOC_CLIENT_STATUS_FAILED);
    let mut next = alloc("a2", &j, "n1");
    next.previous_allocation = "a1".into();
    // An in-place update of a1 carrying a stale client status must not overwrite it.
    let mut update = alloc("a1", &j, "n1");
    update.client_status = ALLOC_CLIENT_STATUS_PENDING.into();
    s.apply(
        4,
        &Command::ApplyPlanResults(PlanResults {
            job: Some(std::sync::Arc::new(j.clone())),
            allocs_to_upsert: vec![update, next],
            ..Default::default()
        }),
    );
    let snap = s.snapshot();
    let a1 = snap.alloc_by_id("a1").unwrap();
    assert_eq!(a1.next_allocation, "a2");
    assert_eq!(a1.client_status, ALLOC_CLIENT_STATUS_FAILED);
    assert_eq!(a1.create_index, 2);
}

#[test]
fn nodes_register_keep_operator_fields_and_go_down() {
    let mut s = StateStore::new();
    let n = Node {
        id: "n1".into(),
        status: NODE_STATUS_READY.into(),
        scheduling_eligibility: NODE_SCHEDULING_ELIGIBLE.into(),
        ..Default::default()
    };
    s.apply(
        1,
        &Command::NodeRegister {
            node: n.clone(),
            evals: vec![],
        },
    );
    let stored = s.snapshot().node_by_id("n1").unwrap();
    assert_eq!(stored.events[0].message, "Node registered");
    assert_eq!(stored.create_index, 1);
    s.apply(
        2,
        &Command::NodeUpdateStatus {
            node_id: "n1".into(),
            status: NODE_STATUS_DOWN.into(),
            updated_at: 100,
            event: Some(NodeEvent {
                message: "Node heartbeat missed".into(),
                ..Default::default()
            }),
            evals: vec![eval("e1", "web", EVAL_STATUS_PENDING)],
        },
    );
    let mut again = n.clone();
    again.scheduling_eligibility = NODE_SCHEDULING_INELIGIBLE.into();
    s.apply(
        3,
        &Command::NodeRegister {
            node: again,
            evals: vec![],
        },
    );
    let snap = s.snapshot();
    let stored = snap.node_by_id("n1").unwrap();
    assert_eq!(
        stored.scheduling_eligibility, NODE_SCHEDULING_ELIGIBLE,
        "eligibility is the operator's"
    );
    let messages: Vec<&str> = stored.events.iter().map(|e| e.message.as_str()).collect();
    assert_eq!(
        messages,
        [
            "Node registered",
            "Node heartbeat missed",
            "Node re-registered"
        ]
    );
    assert_eq!((stored.create_index, stored.modify_index), (1, 3));
    assert!(snap.eval_by_id("e1").is_some());
    let r = s.apply(
        4,
        &Command::NodeUpdateStatus {
            node_id: "nope".into(),
            status: NODE_STATUS_DOWN.into(),
            updated_at: 0,
            event: None,
            evals: vec![],
        },
    );
    assert_eq!(
        r,
        CommandResult::Rejected(StateError::NodeNotFound("nope".into()))
    );
}

#[test]
fn prefix_lookups() {
    let mut s = StateStore::new();
    for id in ["web", "webber", "api"] {
        s.apply(
            1,
            &Command::JobRegister {
                job: job(id, 1),
                eval: None,
            },
        );
    }
    s.apply(
        2,
        &Command::EvalUpsert {
            evals: vec![
                eval("abc1", "web", "pending"),
                eval("abd2", "web", "pending"),
            ],
        },
    );
    let snap = s.snapshot();
    let ids: Vec<String> = snap
        .jobs_by_id_prefix("default", "web")
        .iter()
        .map(|j| j.id.clone())
        .collect();
    assert_eq!(ids, ["web", "webber"]);
    assert!(snap.jobs_by_id_prefix("other", "web").is_empty());
    assert_eq!(snap.jobs_by_id_prefix("default", "").len(), 3);
    assert_eq!(snap.evals_by_id_prefix("ab").len(), 2);
    assert_eq!(snap.evals_by_id_prefix("abc").len(), 1);
    assert_eq!(snap.evals_by_job("default", "web").len(), 2);
}

mod in_place;
mod snapshots;
