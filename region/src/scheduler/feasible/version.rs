//! Version constraints for the `version` and `semver` operators, in the syntax of
//! the go-version library Nomad uses: comma-separated `<op> <version>` terms with
//! `=`, `!=`, `>`, `>=`, `<`, `<=` and the pessimistic `~>`.

use std::cmp::Ordering;

/// A parsed version: numeric segments, an optional pre-release tag (build metadata
/// is ignored, as in semver).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Version {
    segments: Vec<u64>,
    /// How many segments were written (`~> 1.2` differs from `~> 1.2.0`).
    written: usize,
    pre: String,
}

impl Version {
    /// Parses `v1.2.3-beta.1+meta`; `None` when it is not a version.
    pub fn parse(s: &str) -> Option<Version> {
        let s = s.trim();
        let s = s.strip_prefix('v').unwrap_or(s);
        let s = s.split('+').next().unwrap_or("");
        let (core, pre) = match s.split_once('-') {
            Some((c, p)) if !p.is_empty() => (c, p.to_string()),
            Some(_) => return None,
            None => (s, String::new()),
        };
        if core.is_empty() {
            return None;
        }
        let mut segments = Vec::new();
        for part in core.split('.') {
            segments.push(part.parse::<u64>().ok()?);
        }
        let written = segments.len();
        while segments.len() < 3 {
            segments.push(0);
        }
        Some(Version {
            segments,
            written,
            pre,
        })
    }

    fn cmp_to(&self, other: &Version) -> Ordering {
        let n = self.segments.len().max(other.segments.len());
        for i in 0..n {
            let a = self.segments.get(i).copied().unwrap_or(0);
            let b = other.segments.get(i).copied().unwrap_or(0);
            match a.cmp(&b) {
                Ordering::Equal => {}
                o => return o,
            }
        }
        // A pre-release sorts before its release.
        match (self.pre.is_empty(), other.pre.is_empty()) {
            (true, true) => Ordering::Equal,
            (true, false) => Ordering::Greater,
            (false, true) => Ordering::Less,
            (false, false) => cmp_prerelease(&self.pre, &other.pre),
        }
    }
}

/// Semver pre-release precedence: dot-separated, numeric parts numerically.
fn cmp_prerelease(a: &str, b: &str) -> Ordering {
    let mut ai = a.split('.');
    let mut bi = b.split('.');
    loop {
        match (ai.next(), bi.next()) {
            (None, None) => return Ordering::Equal,
            (None, Some(_)) => return Ordering::Less,
            (Some(_), None) => return Ordering::Greater,
            (Some(x), Some(y)) => {
                let o = match (x.parse::<u64>(), y.parse::<u64>()) {
                    (Ok(p), Ok(q)) => p.cmp(&q),
                    (Ok(_), Err(_)) => Ordering::Less,
                    (Err(_), Ok(_)) => Ordering::Greater,
                    (Err(_), Err(_)) => x.cmp(y),
                };
                if o != Ordering::Equal {
                    return o;
                }
            }
        }
    }
}

/// True when `version` satisfies every term of `constraint`. An unparsable
/// version or constraint never matches (the node is filtered).
pub fn version_matches(constraint: &str, version: &str, strict_semver: bool) -> bool {
    let Some(v) = Version::parse(version) else {
        return false;
    };
    if strict_semver && v.written != 3 {
        return false;
    }
    let mut any = false;
    for term in constraint.split(',') {
        let term = term.trim();
        let (op, rest) = split_op(term);
        let Some(want) = Version::parse(rest) else {
            return false;
        };
        // Pre-releases only match constraints that name a pre-release (go-version).
        if !v.pre.is_empty() && want.pre.is_empty() && !strict_semver {
            return false;
        }
        let ord = v.cmp_to(&want);
        let ok = match op {
            "" | "=" | "==" => ord == Ordering::Equal,
            "!=" => ord != Ordering::Equal,
            ">" => ord == Ordering::Greater,
            ">=" => ord != Ordering::Less,
            "<" => ord == Ordering::Less,
            "<=" => ord != Ordering::Greater,
            "~>" => ord != Ordering::Less && v.cmp_to(&pessimistic_upper(&want)) == Ordering::Less,
            _ => false,
        };
        if !ok {
            return false;
        }
        any = true;
    }
    any
}

fn split_op(term: &str) -> (&str, &str) {
    for op in ["~>", ">=", "<=", "!=", "==", ">", "<", "="] {
        if let Some(rest) = term.strip_prefix(op) {
            return (op, rest.trim());
        }
    }
    ("", term)
}

/// `~> 1.2.3` allows `< 1.3.0`; `~> 1.2` allows `< 2.0`.
fn pessimistic_upper(v: &Version) -> Version {
    let keep = v.written.saturating_sub(1).max(1);
    let mut segments: Vec<u64> = v.segments.iter().take(keep).copied().collect();
    if let Some(last) = segments.last_mut() {
        *last += 1;
    }
    while segments.len() < 3 {
        segments.push(0);
    }
    Version {
        segments,
        written: keep,
        pre: String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges_and_equality() {
        assert!(version_matches(">= 1.2, < 2.0", "1.5.3", false));
        assert!(!version_matches(">= 1.2, < 2.0", "2.0.0", false));
        assert!(version_matches("= 3.10", "3.10.0", false));
        assert!(version_matches("!= 3.10", "3.11", false));
        assert!(version_matches("> 4.9", "v5.15.0", false));
        assert!(!version_matches("> 4.9", "garbage", false));
        assert!(!version_matches("> banana", "1.0", false));
    }

    #[test]
    fn pessimistic_operator() {
        assert!(version_matches("~> 1.2", "1.9.0", false));
        assert!(!version_matches("~> 1.2", "2.0.0", false));
        assert!(version_matches("~> 1.2.3", "1.2.9", false));
        assert!(!version_matches("~> 1.2.3", "1.3.0", false));
    }

    #[test]
    fn prereleases() {
        assert!(!version_matches(">= 1.0", "1.1.0-beta", false));
        assert!(version_matches(">= 1.0.0-alpha", "1.0.0-beta", true));
        assert!(!version_matches(">= 1.0.0", "1.0.0-beta", true));
        assert!(!version_matches(">= 1.0", "1.0", true)); // semver needs x.y.z
        assert!(version_matches("< 1.0.0", "1.0.0-rc.1", true));
    }
}
