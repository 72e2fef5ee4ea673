//! `mesh-plot`: turns `mesh-sim` CSV rows (one per mesh size) into an SVG of
//! spread and detection times against the number of members.
//!
//! ```text
//! for n in 10 30 100 300 1000 3000; do
//!   mesh-sim --members $n --duration 0 | tail -n +2
//! done > sweep.csv
//! mesh-sim --members 10000 --seeded --duration 0 | tail -n +2 >> sweep.csv
//! mesh-plot sweep.csv -o simulations/plots/convergence.svg
//! ```
//!
//! A `--seeded` row (the mesh starts converged) has no start convergence
//! time, so it adds points to the join, update and failure lines only.

use std::collections::BTreeMap;
use std::path::PathBuf;

use anyhow::{Context, Result, bail};
use clap::Parser;
use nomad_sim::mesh::csv_header;
use nomad_sim::plot::{Chart, Series, render_svg};

#[derive(Parser, Debug)]
#[command(name = "mesh-plot", about = "Plot mesh-sim CSV against mesh size")]
struct Args {
    /// CSV files written by mesh-sim (header lines are skipped).
    #[arg(required = true)]
    csv: Vec<PathBuf>,
    /// Where to write the SVG.
    #[arg(short, long)]
    output: PathBuf,
}

/// The columns plotted, with their legend.
const COLUMNS: [(&str, &str); 4] = [
    ("join_p999_s", "join reaches 99.9%"),
    ("update_p999_s", "update reaches 99.9%"),
    ("failure_p999_s", "failure seen by 99.9%"),
    ("converge_s", "mass start converged"),
];

fn main() -> Result<()> {
    let args = Args::parse();
    let header = csv_header();
    let names: Vec<&str> = header.split(',').collect();
    let col = |name: &str| names.iter().position(|n| *n == name);
    let members = col("members").context("members column")?;
    let mut series: BTreeMap<&str, Vec<(f64, f64)>> = BTreeMap::new();
    for path in &args.csv {
        let text =
            std::fs::read_to_string(path).with_context(|| format!("read {}", path.display()))?;
        for (n, line) in text.lines().enumerate() {
            if line.trim().is_empty() || line == header {
                continue;
            }
            let cells: Vec<&str> = line.split(',').collect();
            if cells.len() != names.len() {
                bail!(
                    "{}:{}: {} cells, expected {} (mesh-sim CSV)",
                    path.display(),
                    n + 1,
                    cells.len(),
                    names.len()
                );
            }
            let x: f64 = cells[members]
                .parse()
                .with_context(|| format!("{}:{}: members", path.display(), n + 1))?;
            for (name, _) in COLUMNS {
                let i = col(name).context("plotted column")?;
                // An empty cell is a phase that never completed: no point.
                if let Ok(y) = cells[i].parse::<f64>() {
                    series.entry(name).or_default().push((x, y));
                }
            }
        }
    }
    let chart = Chart {
        title: "Mesh convergence against size (LAN timing, simulated)".into(),
        x_label: "members".into(),
        y_label: "simulated seconds".into(),
        series: COLUMNS
            .iter()
            .filter_map(|(name, label)| {
                series.remove(name).map(|points| Series {
                    label: (*label).into(),
                    points,
                })
            })
            .collect(),
    };
    let svg = render_svg(&chart).context("no plottable rows")?;
    if let Some(dir) = args.output.parent() {
        std::fs::create_dir_all(dir).ok();
    }
    std::fs::write(&args.output, svg)
        .with_context(|| format!("write {}", args.output.display()))?;
    println!("wrote {}", args.output.display());
    Ok(())
}
