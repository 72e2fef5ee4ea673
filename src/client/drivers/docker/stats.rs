//! Container resource usage: the engine's stats stream (one sample a second) turned
//! into Nomad's `TaskResourceUsage` and kept as "latest", because
//! `TaskHandle::stats` is synchronous and must not wait on the engine.

use std::sync::{Arc, Mutex};

use bollard::Docker;
use bollard::models::ContainerStatsResponse;
use bollard::query_parameters::StatsOptions;
use futures_util::StreamExt;

use crate::client::stats::{CpuStats, MemoryStats, ResourceUsage, TaskResourceUsage};

/// Memory fields measured through Docker (Nomad's list).
const MEASURED_MEMORY: [&str; 5] = ["RSS", "Cache", "Swap", "Usage", "Max Usage"];
/// CPU fields measured through Docker.
const MEASURED_CPU: [&str; 6] = [
    "Throttled Periods",
    "Throttled Time",
    "Percent",
    "System Mode",
    "User Mode",
    "Total Ticks",
];

/// The latest sample, shared between the sampler and the handle.
pub type LatestStats = Arc<Mutex<TaskResourceUsage>>;

/// Streams the container's stats into `latest` until the container stops.
pub async fn sample(docker: Docker, id: String, mhz_per_core: f64, latest: LatestStats) {
    let options = StatsOptions {
        stream: true,
        one_shot: false,
    };
    let mut stream = docker.stats(&id, Some(options));
    while let Some(Ok(s)) = stream.next().await {
        let usage = convert(&s, mhz_per_core, crate::client::now_nanos());
        match latest.lock() {
            Ok(mut l) => *l = usage,
            Err(p) => *p.into_inner() = usage,
        }
    }
}

/// One engine sample as Nomad's usage. CPU percent is of one core, from the delta
/// between this sample and the engine's previous one (`precpu_stats`).
pub fn convert(s: &ContainerStatsResponse, mhz_per_core: f64, now: i64) -> TaskResourceUsage {
    let mem = s.memory_stats.clone().unwrap_or_default();
    let detail = mem.stats.clone().unwrap_or_default();
    let stat = |keys: &[&str]| {
        keys.iter()
            .find_map(|k| detail.get(*k).copied())
            .unwrap_or(0)
    };
    let memory_stats = MemoryStats {
        // cgroup v1 names first, then v2's.
        rss: stat(&["total_rss", "rss", "anon"]),
        cache: stat(&["total_cache", "cache", "file"]),
        swap: stat(&["total_swap", "swap"]),
        mapped_file: stat(&["total_mapped_file", "mapped_file", "file_mapped"]),
        usage: mem.usage.unwrap_or(0),
        max_usage: mem.max_usage.unwrap_or(0),
        measured: MEASURED_MEMORY.iter().map(|m| m.to_string()).collect(),
        ..Default::default()
    };
    let cpu = s.cpu_stats.clone().unwrap_or_default();
    let pre = s.precpu_stats.clone().unwrap_or_default();
    let usage = cpu.cpu_usage.clone().unwrap_or_default();
    let pre_usage = pre.cpu_usage.clone().unwrap_or_default();
    let system_delta = cpu
        .system_cpu_usage
        .unwrap_or(0)
        .saturating_sub(pre.system_cpu_usage.unwrap_or(0)) as f64;
    let cores = cpu
        .online_cpus
        .filter(|n| *n > 0)
        .map(f64::from)
        .or_else(|| usage.percpu_usage.as_ref().map(|p| p.len() as f64))
        .unwrap_or(1.0);
    // Percent of one core: share of the whole machine times its core count.
    let percent_of = |now: Option<u64>, before: Option<u64>| {
        let delta = now.unwrap_or(0).saturating_sub(before.unwrap_or(0)) as f64;
        if system_delta > 0.0 && pre.system_cpu_usage.is_some() {
            delta / system_delta * cores * 100.0
        } else {
            0.0
        }
    };
    let percent = percent_of(usage.total_usage, pre_usage.total_usage);
    let throttling = cpu.throttling_data.clone().unwrap_or_default();
    let cpu_stats = CpuStats {
        system_mode: percent_of(usage.usage_in_kernelmode, pre_usage.usage_in_kernelmode),
        user_mode: percent_of(usage.usage_in_usermode, pre_usage.usage_in_usermode),
        total_ticks: percent / 100.0 * mhz_per_core,
        throttled_periods: throttling.throttled_periods.unwrap_or(0),
        throttled_time: throttling.throttled_time.unwrap_or(0),
        percent,
        measured: MEASURED_CPU.iter().map(|m| m.to_string()).collect(),
    };
    TaskResourceUsage {
        resource_usage: ResourceUsage {
            memory_stats,
            cpu_stats,
            device_stats: Vec::new(),
        },
        timestamp: now,
        pids: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use bollard::models::{ContainerCpuStats, ContainerCpuUsage, ContainerMemoryStats};

    fn cpu(total: u64, system: u64) -> ContainerCpuStats {
        ContainerCpuStats {
            cpu_usage: Some(ContainerCpuUsage {
                total_usage: Some(total),
                usage_in_usermode: Some(total / 2),
                ..Default::default()
            }),
            system_cpu_usage: Some(system),
            online_cpus: Some(2),
            ..Default::default()
        }
    }

    #[test]
    fn converts_memory_and_cpu_deltas() {
        let s = ContainerStatsResponse {
            memory_stats: Some(ContainerMemoryStats {
                usage: Some(10 << 20),
                max_usage: Some(12 << 20),
                stats: Some([("rss".to_string(), 4u64 << 20), ("cache".into(), 1 << 20)].into()),
                ..Default::default()
            }),
            // 0.5 s of cpu over 2 s of machine time on 2 cores: half a core.
            cpu_stats: Some(cpu(1_500_000_000, 12_000_000_000)),
            precpu_stats: Some(cpu(1_000_000_000, 10_000_000_000)),
            ..Default::default()
        };
        let u = convert(&s, 2000.0, 7);
        let m = &u.resource_usage.memory_stats;
        assert_eq!(
            (m.rss, m.cache, m.usage, m.max_usage),
            (4 << 20, 1 << 20, 10 << 20, 12 << 20)
        );
        let c = &u.resource_usage.cpu_stats;
        assert!((c.percent - 50.0).abs() < 1e-9);
        assert!((c.user_mode - 25.0).abs() < 1e-9);
        assert!((c.total_ticks - 1000.0).abs() < 1e-9);
        assert_eq!(u.timestamp, 7);
    }

    #[test]
    fn first_sample_without_previous_reads_zero_cpu() {
        let s = ContainerStatsResponse {
            cpu_stats: Some(cpu(1_000, 5_000)),
            ..Default::default()
        };
        let u = convert(&s, 1000.0, 1);
        assert_eq!(u.resource_usage.cpu_stats.percent, 0.0);
        assert_eq!(u.resource_usage.memory_stats.rss, 0);
    }
}
