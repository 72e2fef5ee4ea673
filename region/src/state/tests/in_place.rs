//! Commands are applied in place: a refused one must change nothing (each family checks before
//! its first change), and an owned command must store what a borrowed one does.

use super::*;

#[test]
fn a_refused_command_changes_nothing() {
    let mut s = StateStore::new();
    let j = job("web", 1);
    register(&mut s, 1, &j);
    // Second allocation has no job and the plan carries none: the whole command fails.
    let good = alloc("a1", &j, "n1");
    let mut jobless = alloc("a2", &j, "n1");
    jobless.job = None;
    let mut with_job = good.clone();
    with_job.job = Some(std::sync::Arc::new(j.clone()));
    let r = s.apply(
        2,
        &Command::ApplyPlanResults(PlanResults {
            allocs_to_upsert: vec![with_job, jobless],
            ..Default::default()
        }),
    );
    assert!(matches!(r, CommandResult::Rejected(StateError::Invalid(_))));
    let snap = s.snapshot();
    assert!(snap.alloc_by_id("a1").is_none());
    assert_eq!(
        snap.job_summary("default", "web").unwrap().summary["web"].starting,
        0
    );
    assert_eq!(snap.latest_index(), 2, "the log entry is consumed");
}

#[test]
fn a_transition_naming_an_unknown_allocation_changes_none_of_them() {
    let mut s = StateStore::new();
    let j = job("web", 1);
    register(&mut s, 1, &j);
    place(&mut s, 2, &["a1"], &j);
    let migrate = DesiredTransition {
        migrate: Some(true),
        ..Default::default()
    };
    // "a1" sorts before "zz": it would be changed first if the check came late.
    let r = s.apply(
        3,
        &Command::AllocUpdateDesiredTransition {
            allocs: [
                ("a1".to_string(), migrate.clone()),
                ("zz".to_string(), migrate),
            ]
            .into_iter()
            .collect(),
            evals: vec![eval("e1", "web", "pending")],
            now: 7,
        },
    );
    assert_eq!(
        r,
        CommandResult::Rejected(StateError::AllocNotFound("zz".into()))
    );
    let snap = s.snapshot();
    let a1 = snap.alloc_by_id("a1").unwrap();
    assert_eq!(a1.desired_transition.migrate, None);
    assert_eq!(a1.modify_index, 2);
    assert!(snap.eval_by_id("e1").is_none());
    assert_eq!(snap.latest_index(), 3, "the log entry is consumed");
}

#[test]
fn a_plan_applied_owned_stores_what_a_borrowed_one_does() {
    let j = job("web", 2);
    let mut stores = [StateStore::new(), StateStore::new()];
    for s in &mut stores {
        register(s, 1, &j);
        place(s, 2, &["a1"], &j);
    }
    let stored = stores[0].snapshot().job_by_id("default", "web");
    let mut update = alloc("a1", &j, "n1");
    update.create_index = 2;
    let plan = PlanResults {
        job: stored,
        allocs_to_upsert: vec![update, alloc("a2", &j, "n2")],
        now: 9,
        ..Default::default()
    };
    let [borrowed, owned] = &mut stores;
    let r1 = borrowed.apply(3, &Command::ApplyPlanResults(plan.clone()));
    let r2 = owned.apply_owned(3, Command::ApplyPlanResults(plan));
    assert_eq!(r1, r2);
    let (a, b) = (borrowed.snapshot(), owned.snapshot());
    for id in ["a1", "a2"] {
        assert_eq!(a.alloc_by_id(id), b.alloc_by_id(id), "{id}");
    }
    assert_eq!(b.alloc_by_id("a1").unwrap().create_index, 2);
    assert_eq!(b.alloc_by_id("a2").unwrap().create_index, 3);
    assert_eq!(
        a.job_summary("default", "web"),
        b.job_summary("default", "web")
    );
    assert_eq!(a.node_usage("n2"), b.node_usage("n2"));
}
