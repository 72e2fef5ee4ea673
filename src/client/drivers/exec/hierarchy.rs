//! Which cgroup hierarchy the host offers for cpu and memory: v2 unified, or v1 with
//! separate `memory`, `cpu` and `cpuacct` controllers, detected from
//! `/proc/self/mountinfo`.

use std::path::{Path, PathBuf};

/// The cgroup hierarchy this host offers for cpu and memory.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum Hierarchy {
    /// Unified hierarchy with the `cpu` and `memory` controllers at `root`.
    V2 {
        /// Mount point of the cgroup2 filesystem.
        root: PathBuf,
    },
    /// Legacy hierarchy: one mount per controller.
    V1 {
        /// The `memory` controller's mount.
        memory: PathBuf,
        /// The `cpu` controller's mount.
        cpu: PathBuf,
        /// The `cpuacct` controller's mount (may equal `cpu` when co-mounted).
        cpuacct: PathBuf,
    },
}

impl Hierarchy {
    /// Detects the host's hierarchy from `/proc/self/mountinfo`. `None`: no usable
    /// cpu and memory controllers.
    pub fn detect() -> Option<Self> {
        let info = std::fs::read_to_string("/proc/self/mountinfo").ok()?;
        Self::from_mountinfo(&info, |p| std::fs::read_to_string(p).ok())
    }

    /// Detection over a mountinfo text; `read` reads a file (for v2's controller list).
    pub fn from_mountinfo(info: &str, read: impl Fn(&Path) -> Option<String>) -> Option<Self> {
        let (mut v2, mut memory, mut cpu, mut cpuacct) = (None, None, None, None);
        for line in info.lines() {
            // "<id> <parent> <dev> <root> <mount point> <opts> ... - <fstype> <source> <super opts>"
            let Some((left, right)) = line.split_once(" - ") else {
                continue;
            };
            let mount_point = left.split_whitespace().nth(4).map(PathBuf::from);
            let mut r = right.split_whitespace();
            let (fstype, super_opts) = (r.next(), r.nth(1).unwrap_or(""));
            match (fstype, mount_point) {
                (Some("cgroup2"), Some(mp)) => v2 = Some(mp),
                (Some("cgroup"), Some(mp)) => {
                    for opt in super_opts.split(',') {
                        match opt {
                            "memory" => memory = Some(mp.clone()),
                            "cpu" => cpu = Some(mp.clone()),
                            "cpuacct" => cpuacct = Some(mp.clone()),
                            _ => {}
                        }
                    }
                }
                _ => {}
            }
        }
        if let Some(root) = v2 {
            let controllers = read(&root.join("cgroup.controllers")).unwrap_or_default();
            let has = |c: &str| controllers.split_whitespace().any(|x| x == c);
            if has("memory") && has("cpu") {
                return Some(Self::V2 { root });
            }
        }
        match (memory, cpu) {
            (Some(memory), Some(cpu)) => Some(Self::V1 {
                cpuacct: cpuacct.unwrap_or_else(|| cpu.clone()),
                memory,
                cpu,
            }),
            _ => None,
        }
    }

    /// "v1" or "v2", for the fingerprint.
    pub fn version(&self) -> &'static str {
        match self {
            Self::V2 { .. } => "v2",
            Self::V1 { .. } => "v1",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const HYBRID: &str = "\
31 23 0:28 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755
32 31 0:29 / /sys/fs/cgroup/cpu rw,relatime - cgroup cgroup rw,cpu
33 31 0:30 / /sys/fs/cgroup/cpuacct rw,relatime - cgroup cgroup rw,cpuacct
35 31 0:32 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory
41 31 0:38 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw
";

    #[test]
    fn detects_v1_when_unified_lacks_controllers() {
        let h = Hierarchy::from_mountinfo(HYBRID, |_| Some("hugetlb\n".into())).unwrap();
        assert_eq!(
            h,
            Hierarchy::V1 {
                memory: "/sys/fs/cgroup/memory".into(),
                cpu: "/sys/fs/cgroup/cpu".into(),
                cpuacct: "/sys/fs/cgroup/cpuacct".into(),
            }
        );
        assert_eq!(h.version(), "v1");
    }

    #[test]
    fn detects_v2_and_nothing() {
        let pure = "25 1 0:22 / /sys/fs/cgroup rw - cgroup2 cgroup2 rw,nsdelegate\n";
        let h = Hierarchy::from_mountinfo(pure, |p| {
            assert_eq!(p, Path::new("/sys/fs/cgroup/cgroup.controllers"));
            Some("cpuset cpu io memory pids\n".into())
        });
        assert_eq!(
            h,
            Some(Hierarchy::V2 {
                root: "/sys/fs/cgroup".into()
            })
        );
        assert_eq!(Hierarchy::from_mountinfo(pure, |_| Some("io".into())), None);
        assert_eq!(Hierarchy::from_mountinfo("", |_| None), None);
    }
}
