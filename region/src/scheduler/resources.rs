//! Resource arithmetic: what a task group asks for, what a node offers, and what
//! the allocations already on it use. Units as Nomad's: MHz, MB.

use crate::structs::{
    AllocatedCpuResources, AllocatedMemoryResources, AllocatedResources, AllocatedSharedResources,
    AllocatedTaskResources, Allocation, Node, TaskGroup,
};

/// Nomad's default task CPU when a job was not canonicalized.
const DEFAULT_CPU: i32 = 100;
/// Nomad's default task memory when a job was not canonicalized.
const DEFAULT_MEMORY: i32 = 300;
/// Nomad's default ephemeral disk.
const DEFAULT_DISK: i32 = 300;

/// Comparable totals in one dimension set.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Usage {
    /// MHz.
    pub cpu: i64,
    /// MB.
    pub memory: i64,
    /// MB.
    pub disk: i64,
}

impl Usage {
    /// Adds another usage.
    pub fn add(&mut self, other: &Usage) {
        self.cpu += other.cpu;
        self.memory += other.memory;
        self.disk += other.disk;
    }

    /// The first dimension in which `self` exceeds `capacity`, in Nomad's names.
    pub fn exceeds(&self, capacity: &Usage) -> Option<&'static str> {
        if self.cpu > capacity.cpu {
            Some("cpu")
        } else if self.memory > capacity.memory {
            Some("memory")
        } else if self.disk > capacity.disk {
            Some("disk")
        } else {
            None
        }
    }
}

/// The allocated resources of a group before ports are assigned: per task CPU and
/// memory, shared disk, and the group networks as asked (ports still unassigned).
pub fn task_group_ask(tg: &TaskGroup) -> AllocatedResources {
    let mut out = AllocatedResources::default();
    for task in &tg.tasks {
        let r = task.resources.clone().unwrap_or_default();
        let cpu = match (r.cpu, r.cores) {
            (Some(c), _) => c,
            (None, Some(_)) => 0,
            (None, None) => DEFAULT_CPU,
        };
        out.tasks.insert(
            task.name.clone(),
            AllocatedTaskResources {
                cpu: AllocatedCpuResources {
                    cpu_shares: i64::from(cpu.max(0)),
                    reserved_cores: Vec::new(),
                },
                memory: AllocatedMemoryResources {
                    memory_mb: i64::from(r.memory_mb.unwrap_or(DEFAULT_MEMORY).max(0)),
                    memory_max_mb: i64::from(r.memory_max_mb.unwrap_or(0).max(0)),
                },
                networks: r.networks.clone(),
                devices: Vec::new(),
            },
        );
        out.task_lifecycles
            .insert(task.name.clone(), task.lifecycle.clone());
    }
    let disk = tg
        .ephemeral_disk
        .as_ref()
        .and_then(|d| d.size_mb)
        .unwrap_or(DEFAULT_DISK);
    out.shared = AllocatedSharedResources {
        networks: tg.networks.clone(),
        disk_mb: i64::from(disk.max(0)),
        ports: Vec::new(),
    };
    out
}

/// Totals of an allocated-resources value.
pub fn usage_of(res: &AllocatedResources) -> Usage {
    let (cpu, memory) = res.comparable();
    Usage {
        cpu,
        memory,
        disk: res.shared.disk_mb,
    }
}

/// What an allocation uses; an allocation without recorded resources falls back to
/// its job's ask (allocations written by older code or tests).
pub fn alloc_usage(alloc: &Allocation) -> Usage {
    if let Some(res) = &alloc.allocated_resources {
        return usage_of(res);
    }
    alloc
        .job
        .as_ref()
        .and_then(|j| j.lookup_task_group(&alloc.task_group))
        .map(|tg| usage_of(&task_group_ask(tg)))
        .unwrap_or_default()
}

/// What a node offers to allocations: capacity minus the operator's reservation.
pub fn node_capacity(node: &Node) -> Usage {
    let mut cap = Usage::default();
    if let Some(total) = &node.node_resources {
        cap.cpu = total.cpu.cpu_shares;
        cap.memory = total.memory.memory_mb;
        cap.disk = total.disk.disk_mb;
    }
    if let Some(reserved) = &node.reserved_resources {
        cap.cpu -= reserved.cpu.cpu_shares;
        cap.memory -= reserved.memory.memory_mb;
        cap.disk -= reserved.disk.disk_mb;
    }
    cap
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::structs::{EphemeralDisk, Resources, Task};

    #[test]
    fn ask_sums_tasks_and_defaults_unset_values() {
        let tg = TaskGroup {
            name: "web".into(),
            tasks: vec![
                Task {
                    name: "a".into(),
                    resources: Some(Resources {
                        cpu: Some(250),
                        memory_mb: Some(128),
                        ..Default::default()
                    }),
                    ..Default::default()
                },
                Task {
                    name: "b".into(),
                    ..Default::default()
                },
            ],
            ephemeral_disk: Some(EphemeralDisk {
                size_mb: Some(150),
                ..Default::default()
            }),
            ..Default::default()
        };
        let u = usage_of(&task_group_ask(&tg));
        assert_eq!(
            u,
            Usage {
                cpu: 350,
                memory: 428,
                disk: 150
            }
        );
        assert_eq!(
            u.exceeds(&Usage {
                cpu: 400,
                memory: 400,
                disk: 1000
            }),
            Some("memory")
        );
        assert_eq!(
            u.exceeds(&Usage {
                cpu: 300,
                memory: 400,
                disk: 1000
            }),
            Some("cpu")
        );
        assert_eq!(
            u.exceeds(&Usage {
                cpu: 400,
                memory: 500,
                disk: 100
            }),
            Some("disk")
        );
        assert_eq!(
            u.exceeds(&Usage {
                cpu: 350,
                memory: 428,
                disk: 150
            }),
            None
        );
    }
}
