//! Go-style durations: parse `"1h30m"`, `"500ms"`, `"1.5h"` into integer nanoseconds and print
//! nanoseconds back the way Go's `time.Duration.String` does (`1h30m0s`), because Nomad's job
//! files, API and CLI all speak Go durations.

use thiserror::Error;

/// Why a duration string was refused; messages follow Go's `time.ParseDuration`.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum DurationError {
    /// Not of the form `[-+]?([0-9]*(\.[0-9]*)?[a-z]+)+`, or out of range.
    #[error("invalid duration \"{0}\"")]
    Invalid(String),
    /// A number with no unit after it, e.g. `"10"` (only `"0"` may omit the unit).
    #[error("missing unit in duration \"{0}\"")]
    MissingUnit(String),
    /// A unit Go does not know, e.g. the `x` of `"10x"`.
    #[error("unknown unit \"{unit}\" in duration \"{input}\"")]
    UnknownUnit {
        /// The unit as written.
        unit: String,
        /// The whole input.
        input: String,
    },
}

/// Result alias for duration parsing.
pub type Result<T> = std::result::Result<T, DurationError>;

/// Nanoseconds in each unit Go accepts (`µs` with both micro signs Go accepts).
fn unit_nanos(unit: &str) -> Option<u64> {
    Some(match unit {
        "ns" => 1,
        "us" | "\u{b5}s" | "\u{3bc}s" => 1_000,
        "ms" => 1_000_000,
        "s" => 1_000_000_000,
        "m" => 60 * 1_000_000_000,
        "h" => 3_600 * 1_000_000_000,
        _ => return None,
    })
}

/// Parses a Go duration string into nanoseconds.
///
/// Follows Go's rules: an optional sign, then one or more `<number><unit>` pairs where the number
/// may have a fraction; `"0"` alone needs no unit; the total must fit an `i64`.
pub fn parse_duration(input: &str) -> Result<i64> {
    let invalid = || DurationError::Invalid(input.to_string());
    let mut s = input;
    let mut neg = false;
    if let Some(rest) = s.strip_prefix('-') {
        neg = true;
        s = rest;
    } else if let Some(rest) = s.strip_prefix('+') {
        s = rest;
    }
    if s == "0" {
        return Ok(0);
    }
    if s.is_empty() {
        return Err(invalid());
    }
    const LIMIT: u64 = 1 << 63;
    let mut total: u64 = 0;
    while !s.is_empty() {
        // The number must start with a digit or a dot.
        if !s.starts_with(|c: char| c == '.' || c.is_ascii_digit()) {
            return Err(invalid());
        }
        let (whole, rest, had_whole) = leading_int(s).ok_or_else(invalid)?;
        s = rest;
        let mut frac: u64 = 0;
        let mut scale: f64 = 1.0;
        let mut had_frac = false;
        if let Some(rest) = s.strip_prefix('.') {
            let (f, sc, rest, n) = leading_fraction(rest);
            frac = f;
            scale = sc;
            had_frac = n > 0;
            s = rest;
        }
        if !had_whole && !had_frac {
            // A lone "." is not a number.
            return Err(invalid());
        }
        let unit_len = s
            .find(|c: char| c == '.' || c.is_ascii_digit())
            .unwrap_or(s.len());
        if unit_len == 0 {
            return Err(DurationError::MissingUnit(input.to_string()));
        }
        let unit = &s[..unit_len];
        s = &s[unit_len..];
        let per = unit_nanos(unit).ok_or_else(|| DurationError::UnknownUnit {
            unit: unit.to_string(),
            input: input.to_string(),
        })?;
        if whole > LIMIT / per {
            return Err(invalid());
        }
        let mut value = whole * per;
        if frac > 0 {
            // Go adds the fraction through a float; keep the same rounding.
            let extra = (frac as f64 * (per as f64 / scale)) as u64;
            value = value.checked_add(extra).ok_or_else(invalid)?;
            if value > LIMIT {
                return Err(invalid());
            }
        }
        total = total.checked_add(value).ok_or_else(invalid)?;
        if total > LIMIT {
            return Err(invalid());
        }
    }
    if neg {
        // -2^63 fits; anything bigger was refused above.
        return Ok((total as i128).wrapping_neg() as i64);
    }
    if total > LIMIT - 1 {
        return Err(invalid());
    }
    Ok(total as i64)
}

/// Reads leading digits; `None` on overflow. Returns (value, rest, whether any digit was read).
fn leading_int(s: &str) -> Option<(u64, &str, bool)> {
    let end = s.find(|c: char| !c.is_ascii_digit()).unwrap_or(s.len());
    let mut value: u64 = 0;
    for b in s[..end].bytes() {
        if value > (1 << 63) / 10 {
            return None;
        }
        value = value * 10 + u64::from(b - b'0');
        if value > 1 << 63 {
            return None;
        }
    }
    Some((value, &s[end..], end > 0))
}

/// Reads fraction digits, ignoring precision beyond what a u64 holds (as Go does).
/// Returns (digits as integer, 10^kept digits, rest, number of digits read).
fn leading_fraction(s: &str) -> (u64, f64, &str, usize) {
    let end = s.find(|c: char| !c.is_ascii_digit()).unwrap_or(s.len());
    let mut value: u64 = 0;
    let mut scale: f64 = 1.0;
    let mut overflow = false;
    for b in s[..end].bytes() {
        if overflow {
            continue;
        }
        match value
            .checked_mul(10)
            .and_then(|v| v.checked_add(u64::from(b - b'0')))
        {
            Some(v) if v <= 1 << 63 => {
                value = v;
                scale *= 10.0;
            }
            _ => overflow = true,
        }
    }
    (value, scale, &s[end..], end)
}

/// Formats nanoseconds like Go's `time.Duration.String`: `1h30m0s`, `1.5s`, `300µs`, `0s`.
pub fn format_duration(nanos: i64) -> String {
    let neg = nanos < 0;
    let mut u = nanos.unsigned_abs();
    let mut out = String::new();
    if u < 1_000_000_000 {
        if u == 0 {
            return "0s".to_string();
        }
        let (body, unit) = if u < 1_000 {
            (u.to_string(), "ns")
        } else if u < 1_000_000 {
            (frac_string(u, 3).0, "\u{b5}s")
        } else {
            (frac_string(u, 6).0, "ms")
        };
        if neg {
            out.push('-');
        }
        out.push_str(&body);
        out.push_str(unit);
        return out;
    }
    let (secs, rest) = frac_string(u, 9);
    u = rest;
    // `secs` holds the seconds' fraction digits; whole seconds come from `u`.
    let seconds = format!("{}{}s", u % 60, secs_fraction(&secs));
    u /= 60;
    let mut parts = seconds;
    if u > 0 {
        parts = format!("{}m{}", u % 60, parts);
        u /= 60;
        if u > 0 {
            parts = format!("{u}h{parts}");
        }
    }
    if neg {
        out.push('-');
    }
    out.push_str(&parts);
    out
}

/// Splits `v` by 10^prec: returns (`"whole.frac"` text with trailing zeros dropped, whole part).
fn frac_string(v: u64, prec: u32) -> (String, u64) {
    let div = 10u64.pow(prec);
    let whole = v / div;
    let frac = v % div;
    if frac == 0 {
        return (whole.to_string(), whole);
    }
    let digits = format!("{frac:0width$}", width = prec as usize);
    let digits = digits.trim_end_matches('0');
    (format!("{whole}.{digits}"), whole)
}

/// The `.fraction` part of a `whole.frac` string, or nothing.
fn secs_fraction(s: &str) -> &str {
    s.find('.').map_or("", |i| &s[i..])
}

#[cfg(test)]
mod tests {
    use super::*;

    const S: i64 = 1_000_000_000;

    #[test]
    fn parses_simple_units() {
        assert_eq!(parse_duration("10s"), Ok(10 * S));
        assert_eq!(parse_duration("500ms"), Ok(500_000_000));
        assert_eq!(parse_duration("300us"), Ok(300_000));
        assert_eq!(parse_duration("300µs"), Ok(300_000));
        assert_eq!(parse_duration("300μs"), Ok(300_000));
        assert_eq!(parse_duration("7ns"), Ok(7));
        assert_eq!(parse_duration("5m"), Ok(300 * S));
        assert_eq!(parse_duration("24h"), Ok(86_400 * S));
    }

    #[test]
    fn parses_compound_fraction_and_sign() {
        assert_eq!(parse_duration("1h30m"), Ok(5_400 * S));
        assert_eq!(parse_duration("1.5h"), Ok(5_400 * S));
        assert_eq!(parse_duration("2m3.5s"), Ok(123 * S + S / 2));
        assert_eq!(parse_duration(".5s"), Ok(S / 2));
        assert_eq!(parse_duration("1.s"), Ok(S));
        assert_eq!(parse_duration("-1s"), Ok(-S));
        assert_eq!(parse_duration("+1s"), Ok(S));
        assert_eq!(parse_duration("0"), Ok(0));
        assert_eq!(parse_duration("-0"), Ok(0));
        assert_eq!(parse_duration("0s"), Ok(0));
        assert_eq!(parse_duration("1h1m1s1ms1us1ns"), Ok(3_661_001_001_001));
    }

    #[test]
    fn parses_extremes() {
        assert_eq!(parse_duration("9223372036854775807ns"), Ok(i64::MAX));
        assert_eq!(parse_duration("-9223372036854775808ns"), Ok(i64::MIN));
        assert!(parse_duration("9223372036854775808ns").is_err());
        assert!(parse_duration("3000000h").is_err());
        assert!(parse_duration("99999999999999999999s").is_err());
    }

    #[test]
    fn refuses_bad_input() {
        assert_eq!(
            parse_duration("10"),
            Err(DurationError::MissingUnit("10".into()))
        );
        assert_eq!(
            parse_duration("10x"),
            Err(DurationError::UnknownUnit {
                unit: "x".into(),
                input: "10x".into()
            })
        );
        assert_eq!(parse_duration(""), Err(DurationError::Invalid("".into())));
        assert_eq!(parse_duration("-"), Err(DurationError::Invalid("-".into())));
        assert_eq!(
            parse_duration(".s"),
            Err(DurationError::Invalid(".s".into()))
        );
        assert_eq!(parse_duration("s"), Err(DurationError::Invalid("s".into())));
        assert_eq!(
            parse_duration("1s "),
            Err(DurationError::UnknownUnit {
                unit: "s ".into(),
                input: "1s ".into()
            })
        );
        assert!(parse_duration("1h-30m").is_err());
        assert_eq!(
            parse_duration("10x").map_err(|e| e.to_string()),
            Err("unknown unit \"x\" in duration \"10x\"".to_string())
        );
    }

    #[test]
    fn formats_like_go() {
        assert_eq!(format_duration(0), "0s");
        assert_eq!(format_duration(1), "1ns");
        assert_eq!(format_duration(1_100), "1.1µs");
        assert_eq!(format_duration(300_000), "300µs");
        assert_eq!(format_duration(2_200_000), "2.2ms");
        assert_eq!(format_duration(S), "1s");
        assert_eq!(format_duration(S + S / 2), "1.5s");
        assert_eq!(format_duration(60 * S), "1m0s");
        assert_eq!(format_duration(5_400 * S), "1h30m0s");
        assert_eq!(format_duration(3_600 * S), "1h0m0s");
        assert_eq!(format_duration(-S), "-1s");
        assert_eq!(format_duration(-1_500), "-1.5µs");
        assert_eq!(format_duration(3_661_001_001_001), "1h1m1.001001001s");
        assert_eq!(format_duration(i64::MAX), "2562047h47m16.854775807s");
        assert_eq!(format_duration(i64::MIN), "-2562047h47m16.854775808s");
    }

    #[test]
    fn round_trips() {
        for s in [
            "1h30m0s", "10s", "500ms", "1.5s", "300µs", "42ns", "72h0m0s",
        ] {
            let n = parse_duration(s).expect("valid duration");
            assert_eq!(format_duration(n), s);
        }
    }
}
