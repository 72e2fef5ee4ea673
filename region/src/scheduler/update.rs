//! In-place or destructive? An allocation of an older job version can be updated
//! in place when only scheduling metadata changed; anything the running tasks
//! would see (driver, config, env, meta, resources, networks, disk, artifacts,
//! templates, ...) forces a replacement.

use crate::structs::{Job, Task, TaskGroup};

/// True when moving from `old` to `new` needs new allocations for group `group`.
pub fn tasks_updated(old: &Job, new: &Job, group: &str) -> bool {
    let (Some(a), Some(b)) = (old.lookup_task_group(group), new.lookup_task_group(group)) else {
        return true;
    };
    if old.meta != new.meta {
        return true;
    }
    group_updated(a, b)
}

fn group_updated(a: &TaskGroup, b: &TaskGroup) -> bool {
    if a.tasks.len() != b.tasks.len()
        || a.networks != b.networks
        || a.ephemeral_disk != b.ephemeral_disk
        || a.volumes != b.volumes
        || a.meta != b.meta
    {
        return true;
    }
    a.tasks.iter().any(|ta| match b.lookup_task(&ta.name) {
        None => true,
        Some(tb) => task_updated(ta, tb),
    })
}

fn task_updated(a: &Task, b: &Task) -> bool {
    a.driver != b.driver
        || a.user != b.user
        || a.config != b.config
        || a.env != b.env
        || a.meta != b.meta
        || a.resources != b.resources
        || a.artifacts != b.artifacts
        || a.templates != b.templates
        || a.volume_mounts != b.volume_mounts
        || a.lifecycle != b.lifecycle
        || a.log_config != b.log_config
        || a.dispatch_payload != b.dispatch_payload
        || a.leader != b.leader
        || a.kill_signal != b.kill_signal
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::structs::{Constraint, Resources};

    fn job() -> Job {
        Job {
            id: "web".into(),
            task_groups: vec![TaskGroup {
                name: "g".into(),
                tasks: vec![Task {
                    name: "t".into(),
                    driver: "raw_exec".into(),
                    ..Default::default()
                }],
                ..Default::default()
            }],
            ..Default::default()
        }
    }

    #[test]
    fn scheduling_only_changes_are_in_place() {
        let old = job();
        let mut new = job();
        new.task_groups[0].count = Some(5);
        new.task_groups[0]
            .constraints
            .push(Constraint::new("${attr.a}", "=", "b"));
        new.priority = Some(70);
        assert!(!tasks_updated(&old, &new, "g"));
    }

    #[test]
    fn task_changes_are_destructive() {
        let old = job();
        let mut new = job();
        new.task_groups[0].tasks[0]
            .config
            .insert("command".into(), serde_json::json!("/bin/date"));
        assert!(tasks_updated(&old, &new, "g"));
        let mut new = job();
        new.task_groups[0].tasks[0].resources = Some(Resources {
            cpu: Some(500),
            ..Default::default()
        });
        assert!(tasks_updated(&old, &new, "g"));
        let mut new = job();
        new.meta.insert("k".into(), "v".into());
        assert!(tasks_updated(&old, &new, "g"));
        assert!(tasks_updated(&old, &job(), "missing"));
    }
}
