//! Snapshots, the commands' encoding and the state dump: what a reader or a restore sees.

use super::*;

#[test]
fn snapshots_do_not_see_later_writes() {
    let mut s = StateStore::new();
    s.apply(
        1,
        &Command::JobRegister {
            job: job("a", 1),
            eval: None,
        },
    );
    let before = s.snapshot();
    s.apply(
        2,
        &Command::JobRegister {
            job: job("b", 1),
            eval: None,
        },
    );
    assert_eq!(before.jobs().len(), 1);
    assert_eq!(s.snapshot().jobs().len(), 2);
    let restored = StateStore::restore(&before);
    assert_eq!(restored.latest_index(), 1);
}

#[test]
fn commands_round_trip_through_serde() {
    let cmd = Command::JobRegister {
        job: job("web", 1),
        eval: Some(eval("e", "web", "pending")),
    };
    let bytes = serde_json::to_vec(&cmd).unwrap();
    let back: Command = serde_json::from_slice(&bytes).unwrap();
    assert_eq!(back, cmd);
    assert_eq!(back.evals().len(), 1);
    assert_eq!(back.name(), "JobRegister");
}

#[test]
fn dump_round_trips_with_secondary_indexes() {
    let mut s = StateStore::new();
    let j = job("web", 2);
    s.apply(
        1,
        &Command::JobRegister {
            job: j.clone(),
            eval: Some(eval("e1", "web", "pending")),
        },
    );
    s.apply(
        2,
        &Command::JobRegister {
            job: job("web", 3),
            eval: None,
        },
    );
    place(&mut s, 3, &["a1", "a2"], &j);
    let snap = s.snapshot();
    let dump = snap.dump();
    let json = serde_json::to_string(&dump).unwrap();
    let back: StateDump = serde_json::from_str(&json).unwrap();
    assert_eq!(back, dump);
    let restored = StateStore::from_dump(back).snapshot();
    assert_eq!(restored.latest_index(), 3);
    assert_eq!(restored.index(Table::Allocs), snap.index(Table::Allocs));
    assert_eq!(restored.allocs_by_node("n1").len(), 2);
    assert_eq!(restored.allocs_by_job("default", "web", true).len(), 2);
    assert_eq!(restored.evals_by_job("default", "web").len(), 1);
    let versions: Vec<u64> = restored
        .job_versions("default", "web")
        .iter()
        .map(|j| j.version)
        .collect();
    assert_eq!(versions, vec![1, 0]);
    assert_eq!(
        restored.job_summary("default", "web"),
        snap.job_summary("default", "web")
    );
    assert_eq!(restored.dump(), dump);
}
