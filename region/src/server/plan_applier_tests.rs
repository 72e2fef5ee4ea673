//! Tests of checking a group of plans together: no node is promised twice.

use super::*;
use crate::server::plan_eval::tests::{alloc, plan, state};
use crate::structs::{ALLOC_DESIRED_STATUS_STOP, Allocation};

/// Applies the accepted commands in order, as the log does, and returns the store.
fn commit_all(mut store: StateStore, checked: &[(PlanResult, Option<PlanResults>)]) -> StateStore {
    for (_, cmd) in checked {
        if let Some(cmd) = cmd {
            let index = store.latest_index() + 1;
            let r = store.apply(index, &Command::ApplyPlanResults(cmd.clone()));
            assert!(r.error().is_none(), "{r:?}");
        }
    }
    store
}

fn cpu_on(store: &StateStore, node: &str) -> i64 {
    store
        .snapshot()
        .allocs_by_node(node)
        .iter()
        .filter(|a| !a.terminal_status())
        .filter_map(|a| a.allocated_resources.as_ref())
        .map(|r| r.comparable().0)
        .sum()
}

fn placed(checked: &(PlanResult, Option<PlanResults>)) -> Vec<String> {
    checked
        .1
        .iter()
        .flat_map(|c| c.allocs_to_upsert.iter().map(|a: &Allocation| a.id.clone()))
        .collect()
}

#[test]
fn two_overlapping_plans_do_not_over_commit_a_node() {
    // n2 has 1000 MHz and nothing on it: each plan alone fits, both together do not.
    let store = state();
    let snap = store.snapshot();
    let plans = [
        plan(vec![alloc("a", "n2", 600, None)]),
        plan(vec![
            alloc("b", "n2", 600, None),
            alloc("c", "n1", 100, None),
        ]),
    ];
    for p in &plans {
        assert!(
            evaluate_plan(&snap, p, 1).0.fully_committed(),
            "alone it fits"
        );
    }
    let checked = check_group(&snap, &plans, 1);
    assert!(checked[0].0.fully_committed());
    assert_eq!(placed(&checked[0]), ["a"]);
    assert_eq!(checked[1].0.rejected_nodes, ["n2".to_string()]);
    assert_ne!(checked[1].0.refresh_index, 0);
    assert_eq!(
        placed(&checked[1]),
        ["c"],
        "its other node is still accepted"
    );
    let store = commit_all(store, &checked);
    assert_eq!(cpu_on(&store, "n2"), 600);
}

#[test]
fn ports_taken_by_an_earlier_plan_of_the_group_collide() {
    let snap = state().snapshot();
    let plans = [
        plan(vec![alloc("a", "n2", 100, Some(9090))]),
        plan(vec![alloc("b", "n2", 100, Some(9090))]),
    ];
    let checked = check_group(&snap, &plans, 1);
    assert!(checked[0].0.fully_committed());
    assert_eq!(checked[1].0.rejected_nodes, ["n2".to_string()]);
    assert!(checked[1].1.is_none(), "nothing left to commit");
}

#[test]
fn a_stop_in_an_earlier_plan_frees_room_for_a_later_one() {
    // `existing` (600 MHz, port 8080) runs on n1; the first plan stops it.
    let store = state();
    let snap = store.snapshot();
    let existing = snap.alloc_by_id("existing").unwrap();
    let mut first = plan(vec![]);
    first.append_stopped_alloc(&existing, ALLOC_DESIRED_STATUS_STOP, "alloc not needed");
    let second = plan(vec![alloc("b", "n1", 900, Some(8080))]);
    assert!(!evaluate_plan(&snap, &second, 1).0.fully_committed());
    let checked = check_group(&snap, &[first, second], 1);
    assert!(checked[0].0.fully_committed());
    assert!(checked[1].0.fully_committed());
    let store = commit_all(store, &checked);
    assert_eq!(cpu_on(&store, "n1"), 900);
}

#[test]
fn a_group_of_one_is_the_plain_check() {
    let snap = state().snapshot();
    let p = plan(vec![
        alloc("a", "n1", 300, None),
        alloc("b", "n3", 10, None),
    ]);
    let alone = evaluate_plan(&snap, &p, 3);
    let grouped = check_group(&snap, std::slice::from_ref(&p), 3);
    assert_eq!(grouped.len(), 1);
    assert_eq!(grouped[0].0, alone.0);
    assert_eq!(grouped[0].1, alone.1);
}
