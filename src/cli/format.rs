//! Output helpers shaped like Nomad's CLI: `key = value` blocks and column tables (both columnized with
//! `|` as the field separator), short IDs, RFC 3339 times and relative "5m ago" times.

use chrono::{DateTime, Utc};

/// Aligns `Key|Value` rows as `Key   = Value`.
pub fn format_kv(rows: &[String]) -> String {
    columnize(rows, " = ")
}

/// Aligns `A|B|C` rows (the first is the header) into columns two spaces apart.
pub fn format_list(rows: &[String]) -> String {
    columnize(rows, "  ")
}

fn columnize(rows: &[String], glue: &str) -> String {
    let split: Vec<Vec<&str>> = rows
        .iter()
        .map(|r| r.split('|').map(str::trim).collect())
        .collect();
    let cols = split.iter().map(Vec::len).max().unwrap_or(0);
    let mut widths = vec![0; cols];
    for row in &split {
        for (i, cell) in row.iter().enumerate() {
            widths[i] = widths[i].max(cell.chars().count());
        }
    }
    let mut out = Vec::with_capacity(split.len());
    for row in &split {
        let mut line = String::new();
        for (i, cell) in row.iter().enumerate() {
            if i > 0 {
                line.push_str(glue);
            }
            if i + 1 == row.len() {
                line.push_str(cell);
            } else {
                line.push_str(&format!("{cell:<w$}", w = widths[i]));
            }
        }
        out.push(line.trim_end().to_owned());
    }
    out.join("\n")
}

/// The first 8 characters of an ID unless `verbose`, as Nomad prints them.
pub fn short_id(id: &str, verbose: bool) -> &str {
    if verbose {
        id
    } else {
        id.get(..8).unwrap_or(id)
    }
}

/// Unix nanoseconds as RFC 3339 in UTC (`2024-05-08T15:21:25Z`); empty for zero.
pub fn format_unix_nanos(nanos: i64) -> String {
    if nanos == 0 {
        return String::new();
    }
    DateTime::<Utc>::from_timestamp_nanos(nanos)
        .format("%Y-%m-%dT%H:%M:%SZ")
        .to_string()
}

/// `1.2 MiB`-style sizes as Nomad's humanize prints them.
pub fn human_bytes(bytes: u64) -> String {
    const UNITS: [&str; 5] = ["B", "KiB", "MiB", "GiB", "TiB"];
    let mut value = bytes as f64;
    let mut unit = 0;
    while value >= 1024.0 && unit + 1 < UNITS.len() {
        value /= 1024.0;
        unit += 1;
    }
    if unit == 0 {
        format!("{bytes} B")
    } else {
        format!("{value:.1} {}", UNITS[unit])
    }
}

/// An RFC 3339 string re-printed like `format_unix_nanos`; unparseable text is returned as is.
pub fn format_rfc3339(text: &str) -> String {
    match DateTime::parse_from_rfc3339(text) {
        Ok(t) => t
            .with_timezone(&Utc)
            .format("%Y-%m-%dT%H:%M:%SZ")
            .to_string(),
        Err(_) => text.to_owned(),
    }
}

/// How long ago `nanos` was, in at most two units (`1m8s ago`, `3h2m ago`, `2d5h ago`).
pub fn pretty_time_ago(nanos: i64, now_nanos: i64) -> String {
    if nanos == 0 {
        return String::new();
    }
    let secs = ((now_nanos - nanos).max(0) / 1_000_000_000) as u64;
    let units = [
        (secs / 86_400, "d"),
        (secs / 3600 % 24, "h"),
        (secs / 60 % 60, "m"),
        (secs % 60, "s"),
    ];
    let first = units.iter().position(|(v, _)| *v > 0).unwrap_or(3);
    let text: String = units[first..(first + 2).min(4)]
        .iter()
        .enumerate()
        .filter(|(i, (v, _))| *i == 0 || *v > 0)
        .map(|(_, (v, u))| format!("{v}{u}"))
        .collect();
    format!("{text} ago")
}

/// Now as unix nanoseconds.
pub fn now_nanos() -> i64 {
    Utc::now().timestamp_nanos_opt().unwrap_or(0)
}

/// A Go-style duration string (`1h2m3s`, `1.5s`, `250ms`) for nanoseconds.
pub fn format_duration(nanos: i64) -> String {
    nomad_region::duration::format_duration(nanos)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kv_and_list_align() {
        assert_eq!(
            format_kv(&["ID|a".into(), "Name|bb".into()]),
            "ID   = a\nName = bb"
        );
        assert_eq!(
            format_list(&["ID|Type".into(), "example|service".into()]),
            "ID       Type\nexample  service"
        );
    }

    #[test]
    fn relative_times() {
        let s = 1_000_000_000;
        assert_eq!(pretty_time_ago(100 * s, 168 * s), "1m8s ago");
        assert_eq!(
            pretty_time_ago(100 * s, 100 * s + 3 * 3600 * s + 120 * s + 5 * s),
            "3h2m ago"
        );
        assert_eq!(pretty_time_ago(100 * s, 160 * s), "1m ago");
        assert_eq!(pretty_time_ago(100 * s, 100 * s), "0s ago");
    }

    #[test]
    fn times_and_ids() {
        assert_eq!(
            format_unix_nanos(1_715_181_685_000_000_000),
            "2024-05-08T15:21:25Z"
        );
        assert_eq!(
            format_rfc3339("2024-05-08T17:21:25+02:00"),
            "2024-05-08T15:21:25Z"
        );
        assert_eq!(short_id("0123456789", false), "01234567");
        assert_eq!(short_id("0123456789", true), "0123456789");
    }
}
