//! Host resource usage in the shape of Nomad's `GET /v1/client/stats` (`HostStats`):
//! memory from `/proc/meminfo`, per-CPU percentages from `/proc/stat` (between two
//! samples; since boot on the first), uptime, and disk usage of every real filesystem
//! and of the allocation directory (statvfs).

use std::collections::BTreeSet;
use std::path::Path;

use serde::{Deserialize, Serialize};

/// Memory, bytes.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct HostMemoryStats {
    pub total: u64,
    pub available: u64,
    pub used: u64,
    pub free: u64,
}

/// One CPU's busy/idle split, percent.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct HostCpuStats {
    /// `cpu0`, `cpu1`, ...
    #[serde(rename = "CPU")]
    pub cpu: String,
    pub user: f64,
    pub system: f64,
    pub idle: f64,
}

/// One filesystem's usage.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct HostDiskStats {
    pub device: String,
    pub mountpoint: String,
    pub size: u64,
    pub used: u64,
    pub available: u64,
    pub used_percent: f64,
    pub inodes_used_percent: f64,
}

/// The whole answer of `/v1/client/stats`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct HostStats {
    pub memory: HostMemoryStats,
    #[serde(rename = "CPU")]
    pub cpu: Vec<HostCpuStats>,
    pub disk_stats: Vec<HostDiskStats>,
    pub alloc_dir_stats: HostDiskStats,
    pub device_stats: Vec<serde_json::Value>,
    /// Seconds since boot.
    pub uptime: u64,
    /// When sampled, Unix nanoseconds.
    pub timestamp: i64,
    /// MHz in use over all cores.
    #[serde(rename = "CPUTicksConsumed")]
    pub cpu_ticks_consumed: f64,
}

/// Cumulative jiffies of one CPU line of `/proc/stat`: (busy user, busy system, idle, total).
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct CpuTimes {
    user: u64,
    system: u64,
    idle: u64,
    total: u64,
}

/// Per-CPU lines (`cpuN ...`, not the `cpu` total) of `/proc/stat` text.
pub fn parse_proc_stat_cpus(text: &str) -> Vec<(String, CpuTimes)> {
    text.lines()
        .filter(|l| l.starts_with("cpu") && !l.starts_with("cpu "))
        .filter_map(|l| {
            let mut f = l.split_whitespace();
            let name = f.next()?.to_string();
            let v: Vec<u64> = f.filter_map(|x| x.parse().ok()).collect();
            let at = |i: usize| v.get(i).copied().unwrap_or(0);
            // user nice system idle iowait irq softirq steal
            let times = CpuTimes {
                user: at(0) + at(1),
                system: at(2) + at(5) + at(6),
                idle: at(3) + at(4),
                total: v.iter().take(8).sum(),
            };
            Some((name, times))
        })
        .collect()
}

/// Percentages between two samples of one CPU.
fn percentages(name: &str, prev: CpuTimes, now: CpuTimes) -> HostCpuStats {
    let total = now.total.saturating_sub(prev.total) as f64;
    let pct = |a: u64, b: u64| {
        if total > 0.0 {
            a.saturating_sub(b) as f64 / total * 100.0
        } else {
            0.0
        }
    };
    HostCpuStats {
        cpu: name.to_string(),
        user: pct(now.user, prev.user),
        system: pct(now.system, prev.system),
        idle: if total > 0.0 {
            pct(now.idle, prev.idle)
        } else {
            100.0
        },
    }
}

/// `MemTotal`, `MemAvailable`, `MemFree` of `/proc/meminfo` text as memory stats.
pub fn parse_meminfo(text: &str) -> HostMemoryStats {
    let get = |key: &str| {
        text.lines()
            .find_map(|l| l.strip_prefix(key)?.strip_prefix(':'))
            .and_then(|v| v.split_whitespace().next()?.parse::<u64>().ok())
            .map_or(0, |kb| kb * 1024)
    };
    let (total, available, free) = (get("MemTotal"), get("MemAvailable"), get("MemFree"));
    HostMemoryStats {
        total,
        available,
        used: total.saturating_sub(available),
        free,
    }
}

/// Filesystem types that hold no user data.
const PSEUDO_FS: &[&str] = &[
    "proc",
    "sysfs",
    "cgroup",
    "cgroup2",
    "devpts",
    "mqueue",
    "debugfs",
    "tracefs",
    "securityfs",
    "pstore",
    "bpf",
    "autofs",
    "hugetlbfs",
    "fusectl",
    "configfs",
    "binfmt_misc",
    "nsfs",
    "devtmpfs",
    "tmpfs",
    "rpc_pipefs",
    "selinuxfs",
    "efivarfs",
    "ramfs",
    "squashfs",
    "shm",
];

/// (device, mountpoint) of every real filesystem in `/proc/mounts` text, one per device.
pub fn parse_mounts(text: &str) -> Vec<(String, String)> {
    let mut seen = BTreeSet::new();
    text.lines()
        .filter_map(|l| {
            let mut f = l.split_whitespace();
            let (dev, mnt, fs) = (f.next()?, f.next()?, f.next()?);
            // Physical devices only (and the root, whatever backs it), as Nomad's
            // disk stats: no pseudo filesystems, no FUSE or container-layer mounts.
            let physical = dev.starts_with('/') || mnt == "/";
            (physical
                && !PSEUDO_FS.contains(&fs)
                && !fs.starts_with("fuse.")
                && seen.insert(dev.to_string()))
            .then(|| (dev.to_string(), mnt.replace("\\040", " ")))
        })
        .collect()
}

/// Usage of the filesystem at `path` (`None` if statvfs fails).
pub fn disk_stats(device: &str, path: &Path) -> Option<HostDiskStats> {
    let c = std::ffi::CString::new(path.as_os_str().as_encoded_bytes()).ok()?;
    // SAFETY: statvfs is plain old data; the path is a valid NUL-terminated string.
    let mut s: libc::statvfs = unsafe { std::mem::zeroed() };
    if unsafe { libc::statvfs(c.as_ptr(), &mut s) } != 0 {
        return None;
    }
    let frag = s.f_frsize as u64;
    let size = s.f_blocks as u64 * frag;
    let free = s.f_bfree as u64 * frag;
    let available = s.f_bavail as u64 * frag;
    let used = size.saturating_sub(free);
    let pct = |part: u64, whole: u64| {
        if whole > 0 {
            part as f64 / whole as f64 * 100.0
        } else {
            0.0
        }
    };
    let inodes_used = (s.f_files as u64).saturating_sub(s.f_ffree as u64);
    Some(HostDiskStats {
        device: device.to_string(),
        mountpoint: path.to_string_lossy().into_owned(),
        size,
        used,
        available,
        used_percent: pct(used, used + available),
        inodes_used_percent: pct(inodes_used, s.f_files as u64),
    })
}

/// Samples the host; remembers the CPU counters so the next sample covers the interval.
#[derive(Debug, Default)]
pub struct HostStatsCollector {
    last_cpu: Vec<(String, CpuTimes)>,
}

impl HostStatsCollector {
    /// A fresh sample. `alloc_root` is the client's allocation directory; `mhz_per_core`
    /// turns busy percentages into `CPUTicksConsumed`.
    pub fn collect(&mut self, alloc_root: &Path, mhz_per_core: f64, now_nanos: i64) -> HostStats {
        let read = |p: &str| std::fs::read_to_string(p).unwrap_or_default();
        let cpus = parse_proc_stat_cpus(&read("/proc/stat"));
        let cpu: Vec<HostCpuStats> = cpus
            .iter()
            .map(|(name, now)| {
                let prev = self
                    .last_cpu
                    .iter()
                    .find(|(n, _)| n == name)
                    .map_or_else(CpuTimes::default, |(_, t)| *t);
                percentages(name, prev, *now)
            })
            .collect();
        self.last_cpu = cpus;
        let busy: f64 = cpu.iter().map(|c| 100.0 - c.idle).sum();
        let disks = parse_mounts(&read("/proc/mounts"))
            .into_iter()
            .filter_map(|(dev, mnt)| disk_stats(&dev, Path::new(&mnt)))
            .collect();
        let uptime = read("/proc/uptime")
            .split_whitespace()
            .next()
            .and_then(|s| s.parse::<f64>().ok())
            .map_or(0, |s| s as u64);
        HostStats {
            memory: parse_meminfo(&read("/proc/meminfo")),
            cpu,
            disk_stats: disks,
            alloc_dir_stats: disk_stats("", alloc_root).unwrap_or_default(),
            device_stats: Vec::new(),
            uptime,
            timestamp: now_nanos,
            cpu_ticks_consumed: busy / 100.0 * mhz_per_core,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_proc_files() {
        let stat =
            "cpu  10 0 10 80 0 0 0 0\ncpu0 4 1 3 40 2 1 1 0\ncpu1 5 0 5 40 0 0 0 0\nintr 1\n";
        let cpus = parse_proc_stat_cpus(stat);
        assert_eq!(cpus.len(), 2);
        assert_eq!(cpus[0].0, "cpu0");
        assert_eq!(
            cpus[0].1,
            CpuTimes {
                user: 5,
                system: 5,
                idle: 42,
                total: 52
            }
        );
        let later = CpuTimes {
            user: 15,
            system: 10,
            idle: 67,
            total: 92,
        };
        let p = percentages("cpu0", cpus[0].1, later);
        assert_eq!((p.user, p.system, p.idle), (25.0, 12.5, 62.5));
        let m = parse_meminfo("MemTotal: 1000 kB\nMemFree: 100 kB\nMemAvailable: 400 kB\n");
        assert_eq!(
            (m.total, m.free, m.available, m.used),
            (1_024_000, 102_400, 409_600, 614_400)
        );
        let mounts = parse_mounts(
            "proc /proc proc rw 0 0\n/dev/sda1 / ext4 rw 0 0\n/dev/sda1 /var/lib/x ext4 rw 0 0\n\
             /dev/sdb1 /data\\040disk xfs rw 0 0\nfuse-overlayfs /var/lib/docker/x fuse.fuse-overlayfs rw 0 0\n\
             overlay /var/lib/docker/y overlay rw 0 0\n",
        );
        assert_eq!(
            mounts,
            vec![
                ("/dev/sda1".to_string(), "/".to_string()),
                ("/dev/sdb1".to_string(), "/data disk".to_string())
            ]
        );
    }

    #[test]
    fn samples_this_host() {
        let tmp = tempfile::tempdir().unwrap();
        let mut c = HostStatsCollector::default();
        let first = c.collect(tmp.path(), 1000.0, 1);
        assert!(first.memory.total > 0 && first.memory.used > 0);
        assert!(!first.cpu.is_empty());
        assert!(first.uptime > 0);
        assert!(first.alloc_dir_stats.size > 0);
        let v = serde_json::to_value(&first).unwrap();
        for key in [
            "Memory",
            "CPU",
            "DiskStats",
            "AllocDirStats",
            "Uptime",
            "Timestamp",
            "CPUTicksConsumed",
        ] {
            assert!(v.get(key).is_some(), "{key} missing");
        }
        let second = c.collect(tmp.path(), 1000.0, 2);
        for cpu in &second.cpu {
            let sum = cpu.user + cpu.system + cpu.idle;
            assert!(sum <= 100.0 + 1e-6, "{cpu:?}");
        }
    }
}
