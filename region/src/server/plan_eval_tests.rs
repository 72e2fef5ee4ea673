//! Tests of plan evaluation against the newest state.

use super::*;
use crate::state::{Command, StateStore};
use crate::structs::*;

fn node(id: &str, status: &str) -> Node {
    Node {
        id: id.into(),
        status: status.into(),
        scheduling_eligibility: NODE_SCHEDULING_ELIGIBLE.into(),
        node_resources: Some(NodeResources {
            cpu: NodeCpuResources {
                cpu_shares: 1000,
                ..Default::default()
            },
            memory: NodeMemoryResources { memory_mb: 1024 },
            disk: NodeDiskResources { disk_mb: 10_000 },
            ..Default::default()
        }),
        ..Default::default()
    }
}

pub(crate) fn alloc(id: &str, node: &str, cpu: i64, port: Option<i32>) -> Allocation {
    let mut res = AllocatedResources::default();
    res.tasks.insert(
        "t".into(),
        AllocatedTaskResources {
            cpu: AllocatedCpuResources {
                cpu_shares: cpu,
                ..Default::default()
            },
            memory: AllocatedMemoryResources {
                memory_mb: 100,
                ..Default::default()
            },
            ..Default::default()
        },
    );
    if let Some(p) = port {
        res.shared.ports.push(AllocatedPortMapping {
            label: "http".into(),
            value: p,
            ..Default::default()
        });
    }
    Allocation {
        id: id.into(),
        namespace: "default".into(),
        job_id: "web".into(),
        node_id: node.into(),
        task_group: "web".into(),
        desired_status: ALLOC_DESIRED_STATUS_RUN.into(),
        client_status: ALLOC_CLIENT_STATUS_RUNNING.into(),
        allocated_resources: Some(std::sync::Arc::new(res)),
        job: Some(std::sync::Arc::new(Job {
            id: "web".into(),
            namespace: "default".into(),
            ..Default::default()
        })),
        ..Default::default()
    }
}

/// n1 and n2 ready, n3 down; `existing` (600 MHz, port 8080) runs on n1.
pub(crate) fn state() -> StateStore {
    let mut s = StateStore::new();
    let mut i = 0;
    for (id, status) in [
        ("n1", NODE_STATUS_READY),
        ("n2", NODE_STATUS_READY),
        ("n3", NODE_STATUS_DOWN),
    ] {
        i += 1;
        s.apply(
            i,
            &Command::NodeRegister {
                node: node(id, status),
                evals: vec![],
            },
        );
    }
    s.apply(
        10,
        &Command::ApplyPlanResults(crate::state::PlanResults {
            allocs_to_upsert: vec![alloc("existing", "n1", 600, Some(8080))],
            ..Default::default()
        }),
    );
    s
}

pub(crate) fn plan(placements: Vec<Allocation>) -> Plan {
    let mut p = Plan {
        eval_id: "e1".into(),
        ..Default::default()
    };
    for a in placements {
        p.append_alloc(a);
    }
    p
}

#[test]
fn accepts_what_fits_and_rejects_the_rest() {
    let snap = state().snapshot();
    let p = plan(vec![
        alloc("a", "n1", 300, None),
        alloc("b", "n1", 300, None),
        alloc("c", "n2", 300, None),
    ]);
    let (result, cmd) = evaluate_plan(&snap, &p, 7);
    assert_eq!(result.rejected_nodes, vec!["n1".to_string()]);
    assert_eq!(result.refresh_index, snap.latest_index());
    assert!(!result.fully_committed());
    let cmd = cmd.unwrap();
    let placed: Vec<&str> = cmd.allocs_to_upsert.iter().map(|a| a.id.as_str()).collect();
    assert_eq!(placed, ["c"]);
    assert_eq!(cmd.now, 7);
    assert_eq!(cmd.eval_id, "e1");
}

#[test]
fn stops_in_the_same_plan_free_capacity_and_ports() {
    let snap = state().snapshot();
    let existing = snap.alloc_by_id("existing").unwrap();
    let mut p = plan(vec![alloc("a", "n1", 900, Some(8080))]);
    p.append_stopped_alloc(
        &existing,
        ALLOC_DESIRED_STATUS_STOP,
        "alloc is being updated",
    );
    let (result, cmd) = evaluate_plan(&snap, &p, 0);
    assert!(result.fully_committed());
    let cmd = cmd.unwrap();
    assert_eq!(cmd.allocs_to_stop.len(), 1);
    assert_eq!(
        cmd.allocs_to_stop[0].desired_description,
        "alloc is being updated"
    );
    assert_eq!(
        cmd.allocs_to_stop[0].client_status, None,
        "the client status was not changed"
    );
}

#[test]
fn port_collisions_are_rejected() {
    let snap = state().snapshot();
    let (result, cmd) = evaluate_plan(&snap, &plan(vec![alloc("a", "n1", 10, Some(8080))]), 0);
    assert_eq!(result.rejected_nodes, vec!["n1".to_string()]);
    assert!(cmd.is_none());
}

#[test]
fn down_and_unknown_nodes_take_no_placements_but_stops_pass() {
    let snap = state().snapshot();
    let (result, _) = evaluate_plan(
        &snap,
        &plan(vec![
            alloc("a", "n3", 10, None),
            alloc("b", "gone", 10, None),
        ]),
        0,
    );
    assert_eq!(
        result.rejected_nodes,
        vec!["gone".to_string(), "n3".to_string()]
    );
    let mut lost = (*snap.alloc_by_id("existing").unwrap()).clone();
    lost.node_id = "n3".into();
    let mut p = plan(vec![]);
    p.append_stopped_alloc(
        &lost,
        ALLOC_DESIRED_STATUS_STOP,
        "alloc is lost since its node is down",
    );
    if let Some(v) = p.node_update.get_mut("n3") {
        v[0].client_status = ALLOC_CLIENT_STATUS_LOST.into();
    }
    let (result, cmd) = evaluate_plan(&snap, &p, 0);
    assert!(result.fully_committed());
    assert_eq!(
        cmd.unwrap().allocs_to_stop[0].client_status.as_deref(),
        Some(ALLOC_CLIENT_STATUS_LOST)
    );
}

#[test]
fn all_at_once_commits_nothing_on_any_rejection() {
    let snap = state().snapshot();
    let mut p = plan(vec![
        alloc("a", "n1", 900, None),
        alloc("c", "n2", 300, None),
    ]);
    p.all_at_once = true;
    let (result, cmd) = evaluate_plan(&snap, &p, 0);
    assert!(cmd.is_none());
    assert!(result.node_allocation.is_empty());
    assert_eq!(result.rejected_nodes, vec!["n1".to_string()]);
}
