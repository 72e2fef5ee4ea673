//! CSV and human-readable output of mesh simulations.

use std::time::Duration;

use super::{MeshReport, MeshSimConfig, Spread};

const SPREADS: [&str; 3] = ["join", "update", "failure"];

/// The CSV header matching `csv_row`.
pub fn csv_header() -> String {
    let mut cols: Vec<String> = [
        "seed",
        "members",
        "loss",
        "latency_ms",
        "jitter_ms",
        "duration_s",
        "profile",
        "start",
        "converge_s",
    ]
    .iter()
    .map(|s| (*s).to_owned())
    .collect();
    for s in SPREADS {
        for p in ["p50", "p99", "p999", "p100"] {
            cols.push(format!("{s}_{p}_s"));
        }
    }
    cols.extend(
        [
            "false_failures",
            "bytes_per_member_s_mean",
            "bytes_per_member_s_max",
            "datagrams_sent",
            "datagrams_lost",
            "simulated_s",
            "wall_s",
        ]
        .iter()
        .map(|s| (*s).to_owned()),
    );
    cols.join(",")
}

fn secs(d: Option<Duration>) -> String {
    d.map(|d| format!("{:.3}", d.as_secs_f64()))
        .unwrap_or_default()
}

fn spread_cols(s: &Spread) -> [String; 4] {
    [secs(s.p50), secs(s.p99), secs(s.p999), secs(s.p100)]
}

/// One CSV row; a phase that never completed leaves its cells empty.
pub fn csv_row(cfg: &MeshSimConfig, r: &MeshReport) -> String {
    let mut cols = vec![
        cfg.seed.to_string(),
        cfg.members.to_string(),
        format!("{}", cfg.loss),
        format!("{}", cfg.latency.as_millis()),
        format!("{}", cfg.jitter.as_millis()),
        format!("{}", cfg.duration.as_secs()),
        if cfg.wan { "wan" } else { "lan" }.to_owned(),
        if cfg.seeded { "seeded" } else { "mass" }.to_owned(),
        secs(r.converge),
    ];
    for s in [&r.join, &r.update, &r.failure] {
        cols.extend(spread_cols(s));
    }
    cols.extend([
        r.false_failures.to_string(),
        format!("{:.1}", r.bytes_per_member_mean),
        format!("{:.1}", r.bytes_per_member_max),
        r.datagrams_sent.to_string(),
        r.datagrams_lost.to_string(),
        format!("{:.1}", r.simulated.as_secs_f64()),
        format!("{:.3}", r.wall.as_secs_f64()),
    ]);
    cols.join(",")
}

/// A few lines for people.
pub fn summary(cfg: &MeshSimConfig, r: &MeshReport) -> String {
    let show =
        |d: Option<Duration>| d.map_or("never".to_owned(), |d| format!("{:.2}s", d.as_secs_f64()));
    let line = |what: &str, s: &Spread| {
        format!(
            "{what:<8} 50% {}  99% {}  99.9% {}  100% {}",
            show(s.p50),
            show(s.p99),
            show(s.p999),
            show(s.p100)
        )
    };
    let start = if cfg.seeded {
        "seeded converged".to_owned()
    } else {
        format!("converged after {}", show(r.converge))
    };
    [
        format!(
            "{} members, loss {}, latency {:?}, seed {}: {start}",
            cfg.members, cfg.loss, cfg.latency, cfg.seed,
        ),
        line("join", &r.join),
        line("update", &r.update),
        line("failure", &r.failure),
        format!(
            "false failures {}; bytes/s per member mean {:.0} max {:.0}; {:.0}s simulated in {:.2}s",
            r.false_failures,
            r.bytes_per_member_mean,
            r.bytes_per_member_max,
            r.simulated.as_secs_f64(),
            r.wall.as_secs_f64()
        ),
    ]
    .join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn row_has_as_many_cells_as_the_header() {
        let cfg = MeshSimConfig::default();
        let report = MeshReport {
            config_members: 100,
            converge: Some(Duration::from_millis(1500)),
            join: Spread::default(),
            update: Spread {
                p50: Some(Duration::from_millis(250)),
                ..Spread::default()
            },
            failure: Spread::default(),
            false_failures: 0,
            bytes_per_member_mean: 10.0,
            bytes_per_member_max: 20.0,
            datagrams_sent: 5,
            datagrams_lost: 0,
            simulated: Duration::from_secs(60),
            wall: Duration::from_secs(1),
        };
        let row = csv_row(&cfg, &report);
        assert_eq!(row.split(',').count(), csv_header().split(',').count());
        assert!(row.contains(",1.500,"));
        assert!(row.contains(",0.250,"));
        assert!(summary(&cfg, &report).contains("never"));
    }
}
