//! CPU fingerprint: cores, MHz per core and total compute (MHz), model name, from
//! `/proc/cpuinfo` (or cpufreq when cpuinfo has no MHz, e.g. on ARM).

/// What was found about the CPU.
#[derive(Debug, Clone, PartialEq)]
pub struct CpuInfo {
    /// Logical cores.
    pub cores: u32,
    /// MHz of one core.
    pub mhz: f64,
    /// Model name, if known.
    pub model: String,
}

impl CpuInfo {
    /// Cores times MHz, Nomad's `cpu.totalcompute`.
    pub fn total_compute(&self) -> i64 {
        (self.mhz * self.cores as f64).round() as i64
    }
}

/// Parses `/proc/cpuinfo` text. MHz is the highest `cpu MHz` seen.
pub fn parse_cpuinfo(text: &str) -> (u32, Option<f64>, String) {
    let mut cores = 0;
    let mut mhz: Option<f64> = None;
    let mut model = String::new();
    for line in text.lines() {
        let Some((k, v)) = line.split_once(':') else {
            continue;
        };
        let (k, v) = (k.trim(), v.trim());
        match k {
            "processor" => cores += 1,
            "cpu MHz" => {
                if let Ok(m) = v.parse::<f64>() {
                    mhz = Some(mhz.map_or(m, |x: f64| x.max(m)));
                }
            }
            "model name" if model.is_empty() => model = v.to_string(),
            _ => {}
        }
    }
    (cores, mhz, model)
}

/// Reads the host's CPU.
pub fn detect() -> CpuInfo {
    let text = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
    let (parsed, mhz, model) = parse_cpuinfo(&text);
    let cores = std::thread::available_parallelism()
        .map(|n| n.get() as u32)
        .unwrap_or(parsed.max(1));
    let mhz = mhz.or_else(cpufreq_mhz).unwrap_or_else(|| {
        // No frequency anywhere (some VMs/ARM): assume 1 GHz rather than 0, so the node
        // is schedulable; operators set `cpu_total_compute` for accuracy.
        tracing::warn!("could not detect CPU frequency; assuming 1000 MHz per core");
        1000.0
    });
    CpuInfo { cores, mhz, model }
}

fn cpufreq_mhz() -> Option<f64> {
    let khz: f64 = std::fs::read_to_string("/sys/devices/system/cpu/cpu0/cpufreq/cpuinfo_max_freq")
        .ok()?
        .trim()
        .parse()
        .ok()?;
    Some(khz / 1000.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_cpuinfo() {
        let text = "processor\t: 0\nmodel name\t: Fancy CPU @ 2.5GHz\ncpu MHz\t\t: 2400.000\n\n\
                    processor\t: 1\nmodel name\t: Fancy CPU @ 2.5GHz\ncpu MHz\t\t: 2500.500\n";
        let (cores, mhz, model) = parse_cpuinfo(text);
        assert_eq!(cores, 2);
        assert_eq!(mhz, Some(2500.5));
        assert_eq!(model, "Fancy CPU @ 2.5GHz");
        let c = CpuInfo {
            cores: 2,
            mhz: 2500.5,
            model,
        };
        assert_eq!(c.total_compute(), 5001);
        assert_eq!(parse_cpuinfo("").1, None);
    }

    #[test]
    fn detects_this_host() {
        let c = detect();
        assert!(c.cores >= 1 && c.mhz > 0.0);
    }
}
