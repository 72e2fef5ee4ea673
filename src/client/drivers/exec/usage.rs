//! Turns successive cgroup readings into Nomad's `ResourceUsage` (cpu percentages
//! from the change in cpu time over wall time, memory as the kernel charges it).

use std::time::Instant;

use super::cgroup::CgroupUsage;
use crate::client::stats::{CpuStats, MemoryStats, ResourceUsage};

/// Remembers the previous reading for cpu percentages.
#[derive(Debug, Default)]
pub struct CgroupTracker {
    last: Option<(Instant, CgroupUsage)>,
}

impl CgroupTracker {
    /// Usage since the previous call (zero cpu on the first).
    pub fn usage(&mut self, now: Instant, u: CgroupUsage, mhz_per_core: f64) -> ResourceUsage {
        let mut cpu = CpuStats {
            throttled_periods: u.throttled_periods,
            throttled_time: u.throttled_ns,
            measured: [
                "System Mode",
                "User Mode",
                "Throttled Periods",
                "Throttled Time",
                "Percent",
            ]
            .map(String::from)
            .to_vec(),
            ..Default::default()
        };
        if let Some((then, prev)) = self.last {
            let wall_ns = now.duration_since(then).as_nanos() as f64;
            if wall_ns > 0.0 {
                let pct =
                    |now: u64, before: u64| now.saturating_sub(before) as f64 / wall_ns * 100.0;
                cpu.percent = pct(u.cpu_total_ns, prev.cpu_total_ns);
                cpu.user_mode = pct(u.cpu_user_ns, prev.cpu_user_ns);
                cpu.system_mode = pct(u.cpu_system_ns, prev.cpu_system_ns);
                cpu.total_ticks = cpu.percent / 100.0 * mhz_per_core;
            }
        }
        self.last = Some((now, u));
        ResourceUsage {
            memory_stats: MemoryStats {
                rss: u.rss,
                cache: u.cache,
                swap: u.swap,
                mapped_file: u.mapped_file,
                usage: u.memory,
                max_usage: u.memory_peak,
                measured: ["RSS", "Cache", "Swap", "Usage", "Max Usage"]
                    .map(String::from)
                    .to_vec(),
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
    use std::time::Duration;

    #[test]
    fn percent_from_cpu_time_over_wall_time() {
        let mut t = CgroupTracker::default();
        let t0 = Instant::now();
        let first = t.usage(
            t0,
            CgroupUsage {
                memory: 4096,
                rss: 1024,
                ..Default::default()
            },
            2000.0,
        );
        assert_eq!(first.cpu_stats.percent, 0.0);
        assert_eq!(first.memory_stats.usage, 4096);
        // Half a core for one second: 500ms of cpu time, 400 of it in user mode.
        let second = t.usage(
            t0 + Duration::from_secs(1),
            CgroupUsage {
                cpu_total_ns: 500_000_000,
                cpu_user_ns: 400_000_000,
                cpu_system_ns: 100_000_000,
                ..Default::default()
            },
            2000.0,
        );
        let c = &second.cpu_stats;
        assert!((c.percent - 50.0).abs() < 1e-9);
        assert!((c.user_mode - 40.0).abs() < 1e-9);
        assert!((c.system_mode - 10.0).abs() < 1e-9);
        assert!((c.total_ticks - 1000.0).abs() < 1e-9);
    }
}
