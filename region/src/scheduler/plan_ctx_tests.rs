//! The indexed fit check against the one that visits every allocation: the same state in the
//! state store (which indexes per-node usage) and in `MemState` (which does not) must give the
//! same plans, and the store's index must equal the sum it stands for after every commit.

use std::sync::Arc;

use crate::scheduler::generic::compute;
use crate::scheduler::resources::{Usage, alloc_usage};
use crate::scheduler::testing::{MemState, mock_job, mock_node, register_eval};
use crate::scheduler::{SchedulerContext, State};
use crate::state::{AllocStop, Command, PlanResults, StateSnapshot, StateStore};
use crate::structs::{ALLOC_CLIENT_STATUS_COMPLETE, Allocation, Job, Plan};

fn apply(store: &mut StateStore, cmd: Command) {
    let index = store.latest_index() + 1;
    let res = store.apply(index, &cmd);
    assert!(res.error().is_none(), "{cmd:?} refused: {res:?}");
}

/// The same state without the index (allocation order by job differs, as it may).
fn mirror(snap: &StateSnapshot) -> MemState {
    let mut m = MemState::default();
    for j in snap.jobs() {
        m.jobs.insert((j.namespace.clone(), j.id.clone()), j);
    }
    for n in snap.nodes() {
        m.nodes.insert(n.id.clone(), n);
    }
    for a in snap.allocs() {
        m.upsert_alloc((*a).clone());
    }
    m.index = snap.latest_index();
    m
}

fn commit(store: &mut StateStore, plan: &Plan) {
    let stops = plan
        .node_update
        .values()
        .flatten()
        .map(|a| AllocStop {
            id: a.id.clone(),
            desired_status: a.desired_status.clone(),
            desired_description: a.desired_description.clone(),
            client_status: None,
            followup_eval_id: None,
        })
        .collect();
    apply(
        store,
        Command::ApplyPlanResults(PlanResults {
            eval_id: plan.eval_id.clone(),
            job: plan.job.clone(),
            allocs_to_upsert: plan.node_allocation.values().flatten().cloned().collect(),
            allocs_to_stop: stops,
            now: 1,
            ..Default::default()
        }),
    );
    assert_usage_index(&store.snapshot());
}

fn assert_usage_index(snap: &StateSnapshot) {
    for n in snap.nodes() {
        let mut sum = Usage::default();
        for a in snap.allocs_by_node(&n.id) {
            if !a.terminal_status() {
                sum.add(&alloc_usage(&a));
            }
        }
        assert_eq!(snap.node_usage(&n.id), sum, "usage index of {}", n.id);
    }
}

fn register(store: &mut StateStore, job: Job) -> Arc<Job> {
    let eval = register_eval(&format!("eval-{}", job.id), &job);
    let (ns, id) = (job.namespace.clone(), job.id.clone());
    apply(
        store,
        Command::JobRegister {
            job,
            eval: Some(eval),
        },
    );
    store.snapshot().job_by_id(&ns, &id).expect("registered")
}

/// Plans the job's evaluation on the indexed store and on its mirror; they must agree.
fn plan_both(store: &StateStore, job: &Job, seed: u64) -> Plan {
    let snap = store.snapshot();
    let mem = mirror(&snap);
    let eval = register_eval(&format!("eval-{}-{seed}", job.id), job);
    assert!(State::node_usage(&snap, "").is_some());
    assert!(State::node_usage(&mem, "").is_none());
    let job = Arc::new(job.clone());
    let indexed = compute(
        &snap,
        &eval,
        Some(&job),
        &mut SchedulerContext::new(7, seed),
    );
    let visited = compute(&mem, &eval, Some(&job), &mut SchedulerContext::new(7, seed));
    assert_eq!(indexed.plan.node_allocation, visited.plan.node_allocation);
    assert_eq!(indexed.plan.node_update, visited.plan.node_update);
    assert_eq!(indexed.failed_tg_allocs, visited.failed_tg_allocs);
    indexed.plan
}

#[test]
fn indexed_fit_checks_place_exactly_as_visiting_every_allocation() {
    let mut store = StateStore::new();
    for i in 0..40 {
        // Mixed sizes so that capacity decides placements.
        let mut node = mock_node(&format!("node-{i:02}"));
        if i % 3 == 0
            && let Some(r) = node.node_resources.as_mut()
        {
            r.cpu.cpu_shares = 1500;
        }
        apply(
            &mut store,
            Command::NodeRegister {
                node,
                evals: Vec::new(),
            },
        );
    }
    let a = register(&mut store, mock_job("a", 100));
    let plan = plan_both(&store, &a, 1);
    assert_eq!(
        plan.node_allocation.values().map(Vec::len).sum::<usize>(),
        100
    );
    commit(&mut store, &plan);

    // Some of job a complete: they no longer use their node.
    let done: Vec<Allocation> = store
        .snapshot()
        .allocs()
        .iter()
        .take(15)
        .map(|x| Allocation {
            client_status: ALLOC_CLIENT_STATUS_COMPLETE.into(),
            ..(**x).clone()
        })
        .collect();
    apply(
        &mut store,
        Command::AllocClientUpdate {
            allocs: done,
            evals: Vec::new(),
            now: 2,
        },
    );
    assert_usage_index(&store.snapshot());

    // A second job on the partly filled nodes, more than fits (failures must agree too).
    let b = register(&mut store, mock_job("b", 260));
    let plan = plan_both(&store, &b, 2);
    commit(&mut store, &plan);

    // Job a scaled down (stops) and then up again (placements next to its own allocations).
    let a_down = register(&mut store, mock_job("a", 40));
    let plan = plan_both(&store, &a_down, 3);
    assert!(!plan.node_update.is_empty());
    commit(&mut store, &plan);
    let a_up = register(&mut store, mock_job("a", 70));
    let plan = plan_both(&store, &a_up, 4);
    commit(&mut store, &plan);
}
