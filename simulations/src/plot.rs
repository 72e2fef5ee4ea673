//! A small SVG line chart with logarithmic axes, for plots in BENCHMARKS.md
//! (convergence time against mesh size). No plotting crate: the chart needs
//! a few lines, ticks at powers of ten and a legend, nothing more.

use std::fmt::Write as _;

/// One line of the chart: (x, y) points, both > 0.
#[derive(Clone, Debug)]
pub struct Series {
    pub label: String,
    pub points: Vec<(f64, f64)>,
}

/// What the chart says about itself.
#[derive(Clone, Debug)]
pub struct Chart {
    pub title: String,
    pub x_label: String,
    pub y_label: String,
    pub series: Vec<Series>,
}

const W: f64 = 720.0;
const H: f64 = 440.0;
const LEFT: f64 = 70.0;
const RIGHT: f64 = 180.0;
const TOP: f64 = 40.0;
const BOTTOM: f64 = 55.0;
const COLOURS: [&str; 6] = [
    "#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#17becf",
];

/// Powers of ten that cover `lo..=hi` (both > 0).
fn decades(lo: f64, hi: f64) -> (i32, i32) {
    let a = lo.log10().floor() as i32;
    let b = hi.log10().ceil() as i32;
    (a, if b > a { b } else { a + 1 })
}

fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

fn tick_label(exp: i32) -> String {
    let v = 10f64.powi(exp);
    if exp >= 0 {
        format!("{v:.0}")
    } else {
        format!("{v}")
    }
}

/// Renders the chart; points with a non-positive coordinate are skipped
/// (they cannot sit on a log axis). `None` when no point is left.
pub fn render_svg(chart: &Chart) -> Option<String> {
    let pts = || {
        chart
            .series
            .iter()
            .flat_map(|s| s.points.iter())
            .filter(|(x, y)| *x > 0.0 && *y > 0.0)
    };
    let (xmin, xmax) = pts().fold((f64::MAX, f64::MIN), |(a, b), (x, _)| {
        (a.min(*x), b.max(*x))
    });
    let (ymin, ymax) = pts().fold((f64::MAX, f64::MIN), |(a, b), (_, y)| {
        (a.min(*y), b.max(*y))
    });
    if xmin > xmax {
        return None;
    }
    let (x0, x1) = decades(xmin, xmax);
    let (y0, y1) = decades(ymin, ymax);
    let pw = W - LEFT - RIGHT;
    let ph = H - TOP - BOTTOM;
    let sx = |x: f64| LEFT + (x.log10() - f64::from(x0)) / f64::from(x1 - x0) * pw;
    let sy = |y: f64| TOP + ph - (y.log10() - f64::from(y0)) / f64::from(y1 - y0) * ph;

    let mut s = String::new();
    let _ = writeln!(
        s,
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="{W}" height="{H}" font-family="sans-serif" font-size="12">"#
    );
    let _ = writeln!(s, r#"<rect width="{W}" height="{H}" fill="white"/>"#);
    let _ = writeln!(
        s,
        r#"<text x="{}" y="22" text-anchor="middle" font-size="15">{}</text>"#,
        LEFT + pw / 2.0,
        escape(&chart.title)
    );
    for e in x0..=x1 {
        let x = sx(10f64.powi(e));
        let _ = writeln!(
            s,
            r##"<line x1="{x:.1}" y1="{TOP}" x2="{x:.1}" y2="{:.1}" stroke="#ddd"/><text x="{x:.1}" y="{:.1}" text-anchor="middle">{}</text>"##,
            TOP + ph,
            TOP + ph + 18.0,
            tick_label(e)
        );
    }
    for e in y0..=y1 {
        let y = sy(10f64.powi(e));
        let _ = writeln!(
            s,
            r##"<line x1="{LEFT}" y1="{y:.1}" x2="{:.1}" y2="{y:.1}" stroke="#ddd"/><text x="{:.1}" y="{:.1}" text-anchor="end">{}</text>"##,
            LEFT + pw,
            LEFT - 6.0,
            y + 4.0,
            tick_label(e)
        );
    }
    let _ = writeln!(
        s,
        r#"<rect x="{LEFT}" y="{TOP}" width="{pw}" height="{ph}" fill="none" stroke="black"/>"#
    );
    let _ = writeln!(
        s,
        r#"<text x="{:.1}" y="{:.1}" text-anchor="middle">{}</text>"#,
        LEFT + pw / 2.0,
        H - 12.0,
        escape(&chart.x_label)
    );
    let _ = writeln!(
        s,
        r#"<text transform="translate(18 {:.1}) rotate(-90)" text-anchor="middle">{}</text>"#,
        TOP + ph / 2.0,
        escape(&chart.y_label)
    );
    for (i, series) in chart.series.iter().enumerate() {
        let colour = COLOURS[i % COLOURS.len()];
        let mut points: Vec<(f64, f64)> = series
            .points
            .iter()
            .copied()
            .filter(|(x, y)| *x > 0.0 && *y > 0.0)
            .collect();
        points.sort_by(|a, b| a.0.total_cmp(&b.0));
        let path: Vec<String> = points
            .iter()
            .map(|(x, y)| format!("{:.1},{:.1}", sx(*x), sy(*y)))
            .collect();
        let _ = writeln!(
            s,
            r#"<polyline points="{}" fill="none" stroke="{colour}" stroke-width="2"/>"#,
            path.join(" ")
        );
        for (x, y) in &points {
            let _ = writeln!(
                s,
                r#"<circle cx="{:.1}" cy="{:.1}" r="3" fill="{colour}"/>"#,
                sx(*x),
                sy(*y)
            );
        }
        let ly = TOP + 10.0 + 20.0 * i as f64;
        let lx = LEFT + pw + 12.0;
        let _ = writeln!(
            s,
            r#"<line x1="{lx:.1}" y1="{ly:.1}" x2="{:.1}" y2="{ly:.1}" stroke="{colour}" stroke-width="2"/><text x="{:.1}" y="{:.1}">{}</text>"#,
            lx + 20.0,
            lx + 26.0,
            ly + 4.0,
            escape(&series.label)
        );
    }
    s.push_str("</svg>\n");
    Some(s)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chart(points: Vec<(f64, f64)>) -> Chart {
        Chart {
            title: "t <1>".into(),
            x_label: "members".into(),
            y_label: "seconds".into(),
            series: vec![Series {
                label: "update p99.9".into(),
                points,
            }],
        }
    }

    #[test]
    fn draws_every_point_inside_the_plot_area_with_decade_ticks() {
        let svg = render_svg(&chart(vec![(1000.0, 0.8), (10.0, 0.2), (100.0, 0.5)])).unwrap();
        assert_eq!(svg.matches("<circle").count(), 3);
        // x ticks 10, 100, 1000 and y ticks 0.1, 1.
        for tick in [">10<", ">100<", ">1000<", ">0.1<", ">1<"] {
            assert!(svg.contains(tick), "missing tick {tick}");
        }
        assert!(svg.contains("t &lt;1&gt;"));
        for cap in svg.split("<circle cx=\"").skip(1) {
            let cx: f64 = cap.split('"').next().unwrap().parse().unwrap();
            assert!((LEFT..=W - RIGHT).contains(&cx), "cx {cx} off the plot");
        }
    }

    #[test]
    fn points_that_cannot_be_on_a_log_axis_are_skipped() {
        assert!(render_svg(&chart(vec![(0.0, 1.0), (10.0, -1.0)])).is_none());
        let svg = render_svg(&chart(vec![(0.0, 1.0), (10.0, 2.0)])).unwrap();
        assert_eq!(svg.matches("<circle").count(), 1);
    }
}
