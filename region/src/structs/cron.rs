//! Cron specs as Nomad's `periodic` block reads them (gorhill/cronexpr syntax):
//! 5 fields (minute..weekday), 6 (plus a trailing year), 7 (leading seconds, trailing
//! year), or a nickname such as `@daily`. Parsing is done by `croner`.

use croner::Cron;
use croner::parser::{CronParser, Seconds, Year};

/// Why a cron spec was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CronSpecError {
    /// Not 5, 6 or 7 fields.
    #[error("expected 5, 6 or 7 fields, found {0}")]
    FieldCount(usize),
    /// A field did not parse.
    #[error("{0}")]
    Invalid(String),
}

/// Parses a Nomad cron spec. The result can compute launch times.
pub fn parse_cron(spec: &str) -> Result<Cron, CronSpecError> {
    let spec = spec.trim();
    let (pattern, seconds, year) = if spec.starts_with('@') {
        (spec.to_string(), Seconds::Disallowed, Year::Disallowed)
    } else {
        match spec.split_whitespace().count() {
            5 => (spec.to_string(), Seconds::Disallowed, Year::Disallowed),
            // cronexpr reads 6 fields as `min hour dom month dow year` with second 0;
            // croner only takes a year together with seconds, so add the 0.
            6 => (format!("0 {spec}"), Seconds::Required, Year::Required),
            7 => (spec.to_string(), Seconds::Required, Year::Required),
            n => return Err(CronSpecError::FieldCount(n)),
        }
    };
    CronParser::builder()
        .seconds(seconds)
        .year(year)
        .build()
        .parse(&pattern)
        .map_err(|e| CronSpecError::Invalid(e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_nomad_forms() {
        for ok in [
            "*/15 * * * *",
            "0 3 * * mon-fri",
            "@daily",
            "@weekly",
            "@hourly",
            "0 0 1 1 * 2030",
            "30 0 0 1 1 * 2031",
        ] {
            assert!(
                parse_cron(ok).is_ok(),
                "{ok} should parse: {:?}",
                parse_cron(ok)
            );
        }
    }

    #[test]
    fn rejects_garbage() {
        assert_eq!(parse_cron("* * *"), Err(CronSpecError::FieldCount(3)));
        assert_eq!(parse_cron(""), Err(CronSpecError::FieldCount(0)));
        assert!(matches!(
            parse_cron("61 * * * *"),
            Err(CronSpecError::Invalid(_))
        ));
        assert!(matches!(
            parse_cron("a b c d e"),
            Err(CronSpecError::Invalid(_))
        ));
        assert!(parse_cron("@sometimes").is_err());
    }
}
