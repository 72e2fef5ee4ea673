//! Resource usage in the shape of Nomad's `/v1/client/allocation/:id/stats`
//! (`AllocResourceUsage`), and the `/proc` sampling that raw_exec reports from.

use std::collections::BTreeMap;
use std::time::Instant;

use serde::{Deserialize, Serialize};

/// Memory usage of a task or allocation, bytes.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct MemoryStats {
    /// Resident set size.
    #[serde(rename = "RSS")]
    pub rss: u64,
    /// Page cache.
    pub cache: u64,
    /// Swap.
    pub swap: u64,
    /// Mapped files.
    pub mapped_file: u64,
    /// Usage.
    pub usage: u64,
    /// Peak usage.
    pub max_usage: u64,
    /// Kernel usage.
    pub kernel_usage: u64,
    /// Peak kernel usage.
    pub kernel_max_usage: u64,
    /// Which of the above were measured.
    pub measured: Vec<String>,
}

/// CPU usage of a task or allocation.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct CpuStats {
    /// Percent of one core spent in the kernel.
    pub system_mode: f64,
    /// Percent of one core spent in user space.
    pub user_mode: f64,
    /// MHz used (Percent of one core times the core's MHz).
    pub total_ticks: f64,
    /// Throttled periods (cgroups only).
    pub throttled_periods: u64,
    /// Throttled time (cgroups only).
    pub throttled_time: u64,
    /// Percent of one core used.
    pub percent: f64,
    /// Which of the above were measured.
    pub measured: Vec<String>,
}

/// Memory and CPU together.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct ResourceUsage {
    /// Memory.
    pub memory_stats: MemoryStats,
    /// CPU.
    pub cpu_stats: CpuStats,
    /// Devices (none yet).
    pub device_stats: Vec<serde_json::Value>,
}

/// One task's usage.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct TaskResourceUsage {
    /// Totals for the task.
    pub resource_usage: ResourceUsage,
    /// When sampled, Unix nanoseconds.
    pub timestamp: i64,
    /// Per process (not broken down yet: `null`).
    pub pids: Option<BTreeMap<String, ResourceUsage>>,
}

/// An allocation's usage: the sum of its tasks, and each task.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct AllocResourceUsage {
    /// Sum over tasks.
    pub resource_usage: ResourceUsage,
    /// By task name.
    pub tasks: BTreeMap<String, TaskResourceUsage>,
    /// When sampled, Unix nanoseconds.
    pub timestamp: i64,
}

impl AllocResourceUsage {
    /// Sums task usages into an allocation's.
    pub fn from_tasks(tasks: BTreeMap<String, TaskResourceUsage>, timestamp: i64) -> Self {
        let mut total = ResourceUsage::default();
        for t in tasks.values() {
            let (m, c) = (&t.resource_usage.memory_stats, &t.resource_usage.cpu_stats);
            total.memory_stats.rss += m.rss;
            total.memory_stats.swap += m.swap;
            total.memory_stats.usage += m.usage;
            total.memory_stats.max_usage += m.max_usage;
            total.cpu_stats.system_mode += c.system_mode;
            total.cpu_stats.user_mode += c.user_mode;
            total.cpu_stats.total_ticks += c.total_ticks;
            total.cpu_stats.percent += c.percent;
            if total.memory_stats.measured.is_empty() {
                total.memory_stats.measured = m.measured.clone();
                total.cpu_stats.measured = c.measured.clone();
            }
        }
        Self {
            resource_usage: total,
            tasks,
            timestamp,
        }
    }
}

/// CPU time (clock ticks) and RSS (bytes) of a set of processes, read from `/proc`.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct ProcSample {
    /// User-mode clock ticks.
    pub utime: u64,
    /// Kernel-mode clock ticks.
    pub stime: u64,
    /// Resident bytes.
    pub rss: u64,
}

/// Parses `/proc/<pid>/stat`: returns (process group, utime, stime, rss pages).
/// The command name may contain spaces and parentheses, so fields are counted
/// from the last `)`.
pub fn parse_proc_stat(line: &str) -> Option<(i32, u64, u64, u64)> {
    let rest = line.get(line.rfind(')')? + 1..)?;
    let f: Vec<&str> = rest.split_whitespace().collect();
    // After the name: state(0) ppid(1) pgrp(2) ... utime(11) stime(12) ... rss(21).
    Some((
        f.get(2)?.parse().ok()?,
        f.get(11)?.parse().ok()?,
        f.get(12)?.parse().ok()?,
        f.get(21)?.parse().ok()?,
    ))
}

/// Sums CPU and RSS over every process in process group `pgid` (raw_exec starts
/// each task as its own group, so this covers the task's children too), leaving out
/// `except` (the task's executor).
pub fn sample_process_group(pgid: i32, except: Option<u32>) -> ProcSample {
    let page = page_size();
    let mut s = ProcSample::default();
    let Ok(dir) = std::fs::read_dir("/proc") else {
        return s;
    };
    // Formatted once, not once per process visited.
    let except = except.map(|e| e.to_string());
    for entry in dir.flatten() {
        let name = entry.file_name();
        let Some(pid) = name
            .to_str()
            .filter(|n| n.bytes().all(|b| b.is_ascii_digit()))
        else {
            continue;
        };
        let Ok(line) = std::fs::read_to_string(format!("/proc/{pid}/stat")) else {
            continue;
        };
        if let Some((pg, ut, st, rss)) = parse_proc_stat(&line)
            && pg == pgid
            && except.as_deref() != Some(pid)
        {
            s.utime += ut;
            s.stime += st;
            s.rss += resident_pages(pid).unwrap_or(rss) * page;
        }
    }
    s
}

/// Sums CPU and RSS over the processes `pids` (e.g. a cgroup's members).
pub fn sample_pids(pids: &[i32]) -> ProcSample {
    let page = page_size();
    let mut s = ProcSample::default();
    for pid in pids {
        let Ok(line) = std::fs::read_to_string(format!("/proc/{pid}/stat")) else {
            continue; // Exited meanwhile.
        };
        if let Some((_, ut, st, rss)) = parse_proc_stat(&line) {
            s.utime += ut;
            s.stime += st;
            s.rss += resident_pages(&pid.to_string()).unwrap_or(rss) * page;
        }
    }
    s
}

/// Resident pages from `/proc/<pid>/statm`: exact, where `stat`'s rss field is
/// the kernel's per-cpu approximation and reads 0 for a process just started.
fn resident_pages(pid: &str) -> Option<u64> {
    let statm = std::fs::read_to_string(format!("/proc/{pid}/statm")).ok()?;
    statm.split_whitespace().nth(1)?.parse().ok()
}

fn page_size() -> u64 {
    // SAFETY: sysconf has no preconditions.
    let v = unsafe { libc::sysconf(libc::_SC_PAGESIZE) };
    if v > 0 { v as u64 } else { 4096 }
}

fn clock_ticks() -> f64 {
    // SAFETY: sysconf has no preconditions.
    let v = unsafe { libc::sysconf(libc::_SC_CLK_TCK) };
    if v > 0 { v as f64 } else { 100.0 }
}

/// Turns successive `/proc` samples into CPU percentages.
#[derive(Debug, Default)]
pub struct CpuTracker {
    last: Option<(Instant, ProcSample)>,
}

impl CpuTracker {
    /// Usage since the previous call (zero CPU on the first), `mhz_per_core` scaling
    /// the percentage to Nomad's `TotalTicks`.
    pub fn usage(&mut self, now: Instant, sample: ProcSample, mhz_per_core: f64) -> ResourceUsage {
        let mut cpu = CpuStats {
            measured: vec!["System Mode".into(), "User Mode".into(), "Percent".into()],
            ..Default::default()
        };
        if let Some((then, prev)) = self.last {
            let wall = now.duration_since(then).as_secs_f64();
            if wall > 0.0 {
                let hz = clock_ticks();
                let pct = |d: u64| d as f64 / hz / wall * 100.0;
                cpu.user_mode = pct(sample.utime.saturating_sub(prev.utime));
                cpu.system_mode = pct(sample.stime.saturating_sub(prev.stime));
                cpu.percent = cpu.user_mode + cpu.system_mode;
                cpu.total_ticks = cpu.percent / 100.0 * mhz_per_core;
            }
        }
        self.last = Some((now, sample));
        ResourceUsage {
            memory_stats: MemoryStats {
                rss: sample.rss,
                usage: sample.rss,
                measured: vec!["RSS".into()],
                ..Default::default()
            },
            cpu_stats: cpu,
            device_stats: Vec::new(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_stat_with_odd_command_name() {
        let line = "4242 (we ird) cmd)) S 1 4242 4242 0 -1 4194304 100 0 0 0 7 3 0 0 20 0 1 0 \
                    12345 1000000 250 18446744073709551615";
        assert_eq!(parse_proc_stat(line), Some((4242, 7, 3, 250)));
        assert_eq!(parse_proc_stat("garbage"), None);
    }

    #[test]
    fn samples_own_process_group() {
        // SAFETY: getpgrp has no preconditions.
        let pg = unsafe { libc::getpgrp() };
        let s = sample_process_group(pg, None);
        assert!(s.rss > 0, "the test process itself is resident");
        let me = sample_pids(&[std::process::id() as i32, -1]);
        assert!(me.rss > 0 && me.utime + me.stime > 0, "{me:?}");
    }

    #[test]
    fn sums_tasks_into_alloc() {
        let mut tasks = BTreeMap::new();
        for (name, rss) in [("a", 10), ("b", 32)] {
            let mut t = TaskResourceUsage::default();
            t.resource_usage.memory_stats.rss = rss;
            t.resource_usage.cpu_stats.percent = 1.5;
            tasks.insert(name.to_string(), t);
        }
        let a = AllocResourceUsage::from_tasks(tasks, 9);
        assert_eq!(a.resource_usage.memory_stats.rss, 42);
        assert_eq!(a.resource_usage.cpu_stats.percent, 3.0);
        let v = serde_json::to_value(&a).unwrap();
        assert_eq!(v["ResourceUsage"]["MemoryStats"]["RSS"], 42);
        assert_eq!(v["Tasks"]["a"]["ResourceUsage"]["CpuStats"]["Percent"], 1.5);
    }
}
