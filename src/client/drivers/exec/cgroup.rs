//! The cgroup an `exec` task runs in, in the host's hierarchy (see `hierarchy`): creating the
//! task's group with its cpu weight and memory limits, reading its usage and OOM
//! kills, killing everything left in it, and removing it.
//!
//! Layout, as Nomad's: v2 `/sys/fs/cgroup/nomad.slice/<alloc>.<task>.scope`,
//! v1 `/sys/fs/cgroup/<controller>/nomad/<alloc>.<task>`.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

pub use super::hierarchy::Hierarchy;

/// Limits of one task, from its resources.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Limits {
    /// cpu shares (the task's MHz; 0 = leave the default).
    pub cpu_shares: u64,
    /// Hard memory limit, bytes (0 = none).
    pub memory_max: u64,
    /// Soft memory limit, bytes, when the hard limit is higher (0 = none).
    pub memory_low: u64,
}

/// A task's cgroup (one directory per controller on v1).
#[derive(Debug)]
pub struct TaskCgroup {
    hierarchy: Hierarchy,
    /// v2: the one group. v1: memory, cpu, cpuacct groups (deduplicated).
    dirs: Vec<PathBuf>,
}

/// Totals read from the cgroup.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CgroupUsage {
    /// Bytes charged now.
    pub memory: u64,
    /// Peak bytes (0 when the kernel does not say).
    pub memory_peak: u64,
    /// Anonymous memory.
    pub rss: u64,
    /// Page cache.
    pub cache: u64,
    /// Swap.
    pub swap: u64,
    /// Mapped files.
    pub mapped_file: u64,
    /// cpu time, nanoseconds.
    pub cpu_total_ns: u64,
    /// User-mode cpu time, nanoseconds.
    pub cpu_user_ns: u64,
    /// Kernel-mode cpu time, nanoseconds.
    pub cpu_system_ns: u64,
    /// Throttled periods.
    pub throttled_periods: u64,
    /// Throttled time, nanoseconds.
    pub throttled_ns: u64,
}

/// Converts cpu shares (2..=262144) to a v2 `cpu.weight` (1..=10000), as runc does.
pub fn shares_to_weight(shares: u64) -> u64 {
    let s = shares.clamp(2, 262_144);
    1 + ((s - 2) * 9999) / 262_142
}

impl TaskCgroup {
    /// Creates the group for `<alloc>.<task>` and applies `limits`.
    pub fn create(hierarchy: &Hierarchy, name: &str, limits: Limits) -> std::io::Result<Self> {
        let cg = match hierarchy {
            Hierarchy::V2 { root } => {
                let slice = root.join("nomad.slice");
                // Children only get the controllers their parent delegates.
                write(&root.join("cgroup.subtree_control"), "+cpu +memory")?;
                std::fs::create_dir_all(&slice)?;
                write(&slice.join("cgroup.subtree_control"), "+cpu +memory")?;
                Self {
                    hierarchy: hierarchy.clone(),
                    dirs: vec![slice.join(format!("{name}.scope"))],
                }
            }
            Hierarchy::V1 {
                memory,
                cpu,
                cpuacct,
            } => {
                let mut dirs = vec![memory.join("nomad").join(name)];
                for c in [cpu, cpuacct] {
                    let d = c.join("nomad").join(name);
                    if !dirs.contains(&d) {
                        dirs.push(d);
                    }
                }
                Self {
                    hierarchy: hierarchy.clone(),
                    dirs,
                }
            }
        };
        if !cg.pids().is_empty() {
            // Another live task owns it: destroying it later would kill that task.
            return Err(std::io::Error::new(
                std::io::ErrorKind::AlreadyExists,
                format!("cgroup {} is in use", cg.dirs[0].display()),
            ));
        }
        for d in &cg.dirs {
            std::fs::create_dir_all(d)?;
        }
        if let Err(e) = cg.apply(limits) {
            cg.destroy();
            return Err(e);
        }
        Ok(cg)
    }

    fn apply(&self, l: Limits) -> std::io::Result<()> {
        match &self.hierarchy {
            Hierarchy::V2 { .. } => {
                let d = &self.dirs[0];
                if l.cpu_shares > 0 {
                    write(
                        &d.join("cpu.weight"),
                        &shares_to_weight(l.cpu_shares).to_string(),
                    )?;
                }
                if l.memory_max > 0 {
                    write(&d.join("memory.max"), &l.memory_max.to_string())?;
                    // No swapping past the limit (absent when swap accounting is off).
                    let _ = write(&d.join("memory.swap.max"), "0");
                }
                if l.memory_low > 0 {
                    write(&d.join("memory.low"), &l.memory_low.to_string())?;
                }
            }
            Hierarchy::V1 { .. } => {
                let mem = &self.dirs[0];
                if l.memory_max > 0 {
                    write(
                        &mem.join("memory.limit_in_bytes"),
                        &l.memory_max.to_string(),
                    )?;
                    // memsw must be >= the limit; absent without swap accounting.
                    let _ = write(
                        &mem.join("memory.memsw.limit_in_bytes"),
                        &l.memory_max.to_string(),
                    );
                }
                if l.memory_low > 0 {
                    write(
                        &mem.join("memory.soft_limit_in_bytes"),
                        &l.memory_low.to_string(),
                    )?;
                }
                if l.cpu_shares > 0 {
                    let cpu = self.cpu_dir();
                    write(&cpu.join("cpu.shares"), &l.cpu_shares.max(2).to_string())?;
                }
            }
        }
        Ok(())
    }

    /// The group of a task a previous client created (from its record): nothing is
    /// created or changed, its limits are still the kernel's.
    pub fn reopen(hierarchy: Hierarchy, dirs: Vec<PathBuf>) -> Option<Self> {
        (!dirs.is_empty()).then_some(Self { hierarchy, dirs })
    }

    /// The hierarchy the group lives in.
    pub fn hierarchy(&self) -> &Hierarchy {
        &self.hierarchy
    }

    /// The group's directories (v1: memory first, then cpu and cpuacct when distinct).
    pub fn dirs(&self) -> &[PathBuf] {
        &self.dirs
    }

    /// The `cgroup.procs` files a process writes `0` into to join the group.
    pub fn procs_files(&self) -> Vec<PathBuf> {
        self.dirs.iter().map(|d| d.join("cgroup.procs")).collect()
    }

    fn memory_dir(&self) -> &Path {
        &self.dirs[0]
    }

    fn cpu_dir(&self) -> &Path {
        self.dirs.get(1).unwrap_or(&self.dirs[0])
    }

    fn cpuacct_dir(&self) -> &Path {
        self.dirs.last().unwrap_or(&self.dirs[0])
    }

    /// PIDs in the group.
    pub fn pids(&self) -> Vec<i32> {
        let mut out: Vec<i32> = Vec::new();
        for f in self.procs_files() {
            for p in read(&f).lines().filter_map(|l| l.trim().parse().ok()) {
                if !out.contains(&p) {
                    out.push(p);
                }
            }
        }
        out
    }

    /// How many times the kernel OOM-killed a process of this group.
    pub fn oom_kills(&self) -> u64 {
        let file = match self.hierarchy {
            Hierarchy::V2 { .. } => "memory.events",
            Hierarchy::V1 { .. } => "memory.oom_control",
        };
        keyed(&read(&self.memory_dir().join(file)), "oom_kill")
    }

    /// Current totals.
    pub fn usage(&self) -> CgroupUsage {
        let mem = self.memory_dir();
        let stat = read(&mem.join("memory.stat"));
        let num = |f: &str| read(&mem.join(f)).trim().parse::<u64>().unwrap_or(0);
        match self.hierarchy {
            Hierarchy::V2 { .. } => {
                let cpu = read(&self.cpu_dir().join("cpu.stat"));
                CgroupUsage {
                    memory: num("memory.current"),
                    memory_peak: num("memory.peak"),
                    rss: keyed(&stat, "anon"),
                    cache: keyed(&stat, "file"),
                    swap: num("memory.swap.current"),
                    mapped_file: keyed(&stat, "file_mapped"),
                    cpu_total_ns: keyed(&cpu, "usage_usec") * 1000,
                    cpu_user_ns: keyed(&cpu, "user_usec") * 1000,
                    cpu_system_ns: keyed(&cpu, "system_usec") * 1000,
                    throttled_periods: keyed(&cpu, "nr_throttled"),
                    throttled_ns: keyed(&cpu, "throttled_usec") * 1000,
                }
            }
            Hierarchy::V1 { .. } => {
                let acct = self.cpuacct_dir();
                let total: u64 = read(&acct.join("cpuacct.usage"))
                    .trim()
                    .parse()
                    .unwrap_or(0);
                // cpuacct.stat is in USER_HZ ticks: split the precise total by its ratio.
                let ticks = read(&acct.join("cpuacct.stat"));
                let (u, s) = (keyed(&ticks, "user"), keyed(&ticks, "system"));
                // u128: ns times ticks overflows u64 after days of cpu time.
                let user = (u128::from(total) * u128::from(u))
                    .checked_div(u128::from(u + s))
                    .map_or(0, |v| v as u64);
                let cpu = read(&self.cpu_dir().join("cpu.stat"));
                CgroupUsage {
                    memory: num("memory.usage_in_bytes"),
                    memory_peak: num("memory.max_usage_in_bytes"),
                    rss: keyed(&stat, "rss"),
                    cache: keyed(&stat, "cache"),
                    swap: keyed(&stat, "swap"),
                    mapped_file: keyed(&stat, "mapped_file"),
                    cpu_total_ns: total,
                    cpu_user_ns: user,
                    cpu_system_ns: total - user,
                    throttled_periods: keyed(&cpu, "nr_throttled"),
                    throttled_ns: keyed(&cpu, "throttled_time"),
                }
            }
        }
    }

    /// SIGKILLs every process in the group and waits (up to `deadline`) until it is
    /// empty. Returns whether it emptied.
    pub fn kill_all(&self, deadline: Duration) -> bool {
        let start = Instant::now();
        loop {
            let pids = self.pids();
            if pids.is_empty() {
                return true;
            }
            if start.elapsed() > deadline {
                return false;
            }
            if matches!(self.hierarchy, Hierarchy::V2 { .. })
                && write(&self.dirs[0].join("cgroup.kill"), "1").is_ok()
            {
                // One write kills the whole group, forks included.
            } else {
                for p in pids {
                    // SAFETY: kill has no memory preconditions.
                    unsafe {
                        libc::kill(p, libc::SIGKILL);
                    }
                }
            }
            std::thread::sleep(Duration::from_millis(10));
        }
    }

    /// Kills what is left and removes the group's directories.
    pub fn destroy(&self) {
        self.kill_all(Duration::from_secs(5));
        for d in &self.dirs {
            // A just-killed process may linger a moment as a member.
            for _ in 0..50 {
                match std::fs::remove_dir(d) {
                    Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
                        std::thread::sleep(Duration::from_millis(20))
                    }
                    _ => break,
                }
            }
        }
    }

    /// Whether the group's directories still exist.
    pub fn exists(&self) -> bool {
        self.dirs.iter().any(|d| d.exists())
    }
}

fn write(path: &Path, value: &str) -> std::io::Result<()> {
    std::fs::write(path, value).map_err(|e| {
        std::io::Error::new(
            e.kind(),
            format!("write {value:?} to {}: {e}", path.display()),
        )
    })
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_default()
}

/// The value of `key` in a "key value" per line file.
fn keyed(text: &str, key: &str) -> u64 {
    text.lines()
        .filter_map(|l| l.split_once(' '))
        .find(|(k, _)| *k == key)
        .and_then(|(_, v)| v.trim().parse().ok())
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The v2 file protocol, over a plain directory standing in for cgroupfs (this
    /// host's real hierarchy is v1, which the driver tests exercise for real).
    #[test]
    fn v2_limits_and_usage_files() {
        let tmp = tempfile::tempdir().unwrap();
        let h = Hierarchy::V2 {
            root: tmp.path().to_path_buf(),
        };
        let limits = Limits {
            cpu_shares: 1024,
            memory_max: 128 << 20,
            memory_low: 64 << 20,
        };
        let cg = TaskCgroup::create(&h, "a1.web", limits).unwrap();
        let dir = tmp.path().join("nomad.slice/a1.web.scope");
        let f = |name: &str| std::fs::read_to_string(dir.join(name)).unwrap();
        assert_eq!(f("cpu.weight"), "39");
        assert_eq!(f("memory.max"), (128u64 << 20).to_string());
        assert_eq!(f("memory.low"), (64u64 << 20).to_string());
        assert_eq!(
            std::fs::read_to_string(tmp.path().join("nomad.slice/cgroup.subtree_control")).unwrap(),
            "+cpu +memory"
        );
        assert_eq!(cg.procs_files(), vec![dir.join("cgroup.procs")]);
        for (name, text) in [
            ("memory.current", "4096\n"),
            ("memory.peak", "8192\n"),
            ("memory.stat", "anon 1024\nfile 2048\nfile_mapped 512\n"),
            (
                "cpu.stat",
                "usage_usec 30\nuser_usec 20\nsystem_usec 10\nnr_throttled 2\nthrottled_usec 5\n",
            ),
            ("memory.events", "low 0\nhigh 0\nmax 4\noom 1\noom_kill 1\n"),
            ("cgroup.procs", "42\n43\n"),
        ] {
            std::fs::write(dir.join(name), text).unwrap();
        }
        let u = cg.usage();
        assert_eq!(
            (u.memory, u.memory_peak, u.rss, u.cache),
            (4096, 8192, 1024, 2048)
        );
        assert_eq!(
            (u.cpu_total_ns, u.cpu_user_ns, u.cpu_system_ns),
            (30_000, 20_000, 10_000)
        );
        assert_eq!((u.throttled_periods, u.throttled_ns), (2, 5_000));
        assert_eq!(cg.oom_kills(), 1);
        assert_eq!(cg.pids(), vec![42, 43]);
        // A group with members is never taken over by a second task.
        let again = TaskCgroup::create(&h, "a1.web", Limits::default()).unwrap_err();
        assert_eq!(again.kind(), std::io::ErrorKind::AlreadyExists);
    }

    #[test]
    fn weights_and_keyed_values() {
        assert_eq!(shares_to_weight(2), 1);
        assert_eq!(shares_to_weight(262_144), 10_000);
        assert_eq!(shares_to_weight(1024), 39);
        assert_eq!(keyed("oom 1\noom_kill 3\n", "oom_kill"), 3);
        assert_eq!(keyed("usage_usec 10", "user_usec"), 0);
    }
}
