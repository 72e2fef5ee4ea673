//! Tests of the `job plan` dry run and its diff.

use crate::structs::{ALLOC_CLIENT_STATUS_RUNNING, SECOND};

use super::diff::*;
use super::testing::*;
use super::*;

fn ctx() -> SchedulerContext {
    SchedulerContext::new(1_700_000_000 * SECOND, 9)
}

fn registered(count: i32) -> (Harness, crate::structs::Job) {
    let mut h = Harness::default();
    h.state.upsert_node(mock_node("n0"));
    let job = (*h.state.upsert_job(mock_job("example", count))).clone();
    let snap = h.snapshot();
    process_eval(&snap, &mut h, &register_eval("e1", &job), &mut ctx()).expect("register");
    for a in h.state.live_allocs() {
        h.state.update_alloc(&a.id, |x| {
            x.client_status = ALLOC_CLIENT_STATUS_RUNNING.into()
        });
    }
    (h, job)
}

#[test]
fn new_job_plans_creates_and_diff_is_added() {
    let h = Harness::default();
    let mut st = h.snapshot();
    st.upsert_node(mock_node("n0"));
    let r = plan_job(&st, &mock_job("example", 2), true, &mut ctx()).expect("plan");
    assert_eq!(r.job_modify_index, 0);
    let du = &r
        .annotations
        .as_ref()
        .expect("annotations")
        .desired_tg_updates["web"];
    assert_eq!(du.place, 2);
    let d = r.diff.expect("diff");
    assert_eq!(d.diff_type, DIFF_ADDED);
    assert_eq!(d.task_groups[0].diff_type, DIFF_ADDED);
    assert_eq!(d.task_groups[0].updates["create"], 2);
    assert_eq!(
        d.task_groups[0].tasks[0].annotations,
        vec!["forces create".to_string()]
    );
    // The dry run changed nothing.
    assert!(st.allocs.is_empty());
}

#[test]
fn scaling_plan_reports_creates_and_check_index() {
    let (h, job) = registered(1);
    let mut more = job.clone();
    more.task_groups[0].count = Some(3);
    let r = plan_job(&h.snapshot(), &more, true, &mut ctx()).expect("plan");
    assert_eq!(r.job_modify_index, job.job_modify_index);
    let d = r.diff.expect("diff");
    assert_eq!(d.diff_type, DIFF_EDITED);
    let g = &d.task_groups[0];
    assert_eq!(g.updates.get("create"), Some(&2));
    assert_eq!(g.updates.get("in-place update"), Some(&1));
    let count = g
        .fields
        .iter()
        .find(|f| f.name == "Count")
        .expect("count field");
    assert_eq!((count.old.as_str(), count.new.as_str()), ("1", "3"));
    assert_eq!(count.annotations, vec!["forces create".to_string()]);
    let json = serde_json::to_value(g).expect("json");
    assert!(json.get("Updates").is_some() && json.get("Tasks").is_some());
}

#[test]
fn changed_command_plans_destructive_updates() {
    let (h, job) = registered(2);
    let mut changed = job.clone();
    changed.task_groups[0].tasks[0]
        .config
        .insert("command".into(), serde_json::json!("/bin/date"));
    let r = plan_job(&h.snapshot(), &changed, true, &mut ctx()).expect("plan");
    let du = &r.annotations.as_ref().expect("a").desired_tg_updates["web"];
    assert_eq!(du.destructive_update, 2);
    let d = r.diff.expect("diff");
    let t = &d.task_groups[0].tasks[0];
    assert_eq!(t.diff_type, DIFF_EDITED);
    assert_eq!(
        t.annotations,
        vec!["forces create/destroy update".to_string()]
    );
    let config = t
        .objects
        .iter()
        .find(|o| o.name == "Config")
        .expect("config object");
    let cmd = config
        .fields
        .iter()
        .find(|f| f.name == "command")
        .expect("command");
    assert_eq!(
        (cmd.old.as_str(), cmd.new.as_str(), cmd.diff_type.as_str()),
        ("/bin/sleep", "/bin/date", DIFF_EDITED)
    );
    assert_eq!(d.task_groups[0].updates["create/destroy update"], 2);
}

#[test]
fn unchanged_job_plans_nothing() {
    let (h, job) = registered(2);
    let r = plan_job(&h.snapshot(), &job, true, &mut ctx()).expect("plan");
    let du = &r.annotations.as_ref().expect("a").desired_tg_updates["web"];
    assert_eq!((du.place, du.stop, du.ignore), (0, 0, 2));
    let d = r.diff.expect("diff");
    assert_eq!(d.diff_type, DIFF_NONE);
    assert_eq!(d.task_groups[0].diff_type, DIFF_NONE);
    assert_eq!(d.task_groups[0].updates["ignore"], 2);
}

#[test]
fn plan_reports_failed_placements() {
    let (h, job) = registered(1);
    let mut docker = job.clone();
    docker.task_groups[0].tasks[0].driver = "docker".into();
    let r = plan_job(&h.snapshot(), &docker, false, &mut ctx()).expect("plan");
    assert!(r.diff.is_none());
    assert_eq!(
        r.failed_tg_allocs["web"].constraint_filtered["missing drivers"],
        1
    );
}

#[test]
fn diff_of_lists_and_meta() {
    let old = mock_job("x", 1);
    let mut new = old.clone();
    new.datacenters = vec!["dc1".into(), "dc2".into()];
    new.meta.insert("owner".into(), "ops".into());
    let d = job_diff(Some(&old), &new);
    assert_eq!(d.diff_type, DIFF_EDITED);
    let meta = d.objects.iter().find(|o| o.name == "Meta").expect("meta");
    assert_eq!(meta.diff_type, DIFF_ADDED);
    assert_eq!(meta.fields[0].name, "owner");
    let dcs = d
        .objects
        .iter()
        .find(|o| o.name == "Datacenters")
        .expect("dcs");
    assert!(
        dcs.fields
            .iter()
            .any(|f| f.diff_type == DIFF_ADDED && f.new == "dc2")
    );
    assert!(!spec_changed(&old, &old));
    assert!(plan_job::spec_changed(&old, &new));
}

use super::plan_job::spec_changed;
