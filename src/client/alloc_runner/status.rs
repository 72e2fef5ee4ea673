//! An allocation's client status from its tasks' states, as Nomad derives it:
//! any task failed -> `failed`; else any running -> `running`; else any pending ->
//! `pending`; else all dead -> `complete`.

use std::collections::BTreeMap;

use nomad_region::structs::{
    ALLOC_CLIENT_STATUS_COMPLETE, ALLOC_CLIENT_STATUS_FAILED, ALLOC_CLIENT_STATUS_PENDING,
    ALLOC_CLIENT_STATUS_RUNNING, TASK_STATE_DEAD, TASK_STATE_RUNNING, TaskState,
};

/// `(ClientStatus, ClientDescription)` for these task states.
pub fn client_status(states: &BTreeMap<String, TaskState>) -> (&'static str, &'static str) {
    let (mut failed, mut running, mut pending) = (false, false, false);
    for s in states.values() {
        match s.state.as_str() {
            TASK_STATE_RUNNING => running = true,
            TASK_STATE_DEAD if s.failed => failed = true,
            TASK_STATE_DEAD => {}
            _ => pending = true,
        }
    }
    if failed {
        (ALLOC_CLIENT_STATUS_FAILED, "Failed tasks")
    } else if running {
        (ALLOC_CLIENT_STATUS_RUNNING, "Tasks are running")
    } else if pending || states.is_empty() {
        (ALLOC_CLIENT_STATUS_PENDING, "No tasks have started")
    } else {
        (ALLOC_CLIENT_STATUS_COMPLETE, "All tasks have completed")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn states(list: &[(&str, bool)]) -> BTreeMap<String, TaskState> {
        list.iter()
            .enumerate()
            .map(|(i, (s, failed))| {
                (
                    format!("t{i}"),
                    TaskState {
                        state: s.to_string(),
                        failed: *failed,
                        ..Default::default()
                    },
                )
            })
            .collect()
    }

    #[test]
    fn derives_status() {
        assert_eq!(
            client_status(&states(&[("running", false), ("dead", true)])).0,
            "failed"
        );
        assert_eq!(
            client_status(&states(&[("running", false), ("pending", false)])).0,
            "running"
        );
        assert_eq!(
            client_status(&states(&[("pending", false), ("dead", false)])).0,
            "pending"
        );
        assert_eq!(
            client_status(&states(&[("dead", false), ("dead", false)])),
            ("complete", "All tasks have completed")
        );
        assert_eq!(client_status(&BTreeMap::new()).0, "pending");
    }
}
