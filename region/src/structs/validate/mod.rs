//! `Job::validate`: every problem in a job, each with the HCL path of where it is.
//!
//! Validate a canonicalized job (as Nomad's servers do): on a raw job, unset fields
//! with defaults (`Region`, `Type`, ...) are reported missing. Paths use the HCL
//! block and attribute names, labels as written, and 0-based indexes for repeatable
//! unlabeled blocks, so a parser can point at the deepest position it knows:
//!
//! ```text
//! ["id"]  ["type"]  ["priority"]  ["datacenters"]  ["periodic", "cron"]
//! ["constraint", "0", "operator"]  ["spread", "1", "target", "us-east"]
//! ["group", "cache", "count"]  ["group", "cache", "restart", "mode"]
//! ["group", "cache", "network", "port", "db"]  ["group", "cache", "volume", "data"]
//! ["group", "cache", "service", "0", "check", "1", "interval"]
//! ["group", "cache", "task", "redis", "driver"]
//! ["group", "cache", "task", "redis", "resources", "memory"]
//! ["group", "cache", "task", "redis", "template", "0", "change_mode"]
//! ```

mod group;
mod job;
mod network;
mod placement;
mod policy;
mod service;
mod task;

use std::fmt;

use crate::structs::Job;

/// One problem: where (HCL path) and what.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ValidationError {
    /// HCL path, e.g. `["group", "cache", "task", "redis", "driver"]`.
    pub path: Vec<String>,
    /// Nomad-style message, e.g. `Missing task driver`.
    pub message: String,
}

/// Every problem found, in the order of the job's structure.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ValidationErrors(pub Vec<ValidationError>);

/// Blocks whose next path segment is a label (`group "cache"`).
const LABELLED: &[&str] = &["group", "task", "port", "volume", "target", "device"];

impl fmt::Display for ValidationError {
    /// `group "cache", task "redis", driver: Missing task driver`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut parts = Vec::new();
        let mut segs = self.path.iter().peekable();
        while let Some(seg) = segs.next() {
            let next_is_index = segs.peek().is_some_and(|n| is_index(n));
            if LABELLED.contains(&seg.as_str()) && segs.peek().is_some() && !next_is_index {
                parts.push(format!(
                    "{seg} {:?}",
                    segs.next().map_or("", String::as_str)
                ));
            } else if next_is_index {
                parts.push(format!("{seg}[{}]", segs.next().map_or("", String::as_str)));
            } else {
                parts.push(seg.clone());
            }
        }
        if parts.is_empty() {
            write!(f, "{}", self.message)
        } else {
            write!(f, "{}: {}", parts.join(", "), self.message)
        }
    }
}

fn is_index(seg: &str) -> bool {
    !seg.is_empty() && seg.bytes().all(|b| b.is_ascii_digit())
}

impl std::error::Error for ValidationError {}

impl fmt::Display for ValidationErrors {
    /// Go multierror style, which Nomad users know:
    /// `2 errors occurred:\n\t* ...\n\t* ...\n`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let n = self.0.len();
        writeln!(f, "{n} error{} occurred:", if n == 1 { "" } else { "s" })?;
        for e in &self.0 {
            writeln!(f, "\t* {e}")?;
        }
        Ok(())
    }
}

impl std::error::Error for ValidationErrors {}

impl ValidationErrors {
    /// The errors whose path is exactly `path`.
    pub fn at(&self, path: &[&str]) -> Vec<&ValidationError> {
        self.0
            .iter()
            .filter(|e| e.path.iter().map(String::as_str).eq(path.iter().copied()))
            .collect()
    }
}

impl Job {
    /// Checks the job against Nomad's rules and returns every problem found.
    pub fn validate(&self) -> Result<(), ValidationErrors> {
        let mut c = Checker::default();
        job::check_job(self, &Path::default(), &mut c);
        if c.errors.is_empty() {
            Ok(())
        } else {
            Err(ValidationErrors(c.errors))
        }
    }
}

/// An HCL path under construction.
#[derive(Debug, Clone, Default)]
pub(super) struct Path(Vec<String>);

impl Path {
    /// This path with more segments.
    pub(super) fn join<const N: usize>(&self, segs: [&str; N]) -> Path {
        let mut v = self.0.clone();
        v.extend(segs.iter().map(|s| s.to_string()));
        Path(v)
    }

    /// This path with a block keyword and its 0-based index.
    pub(super) fn index(&self, keyword: &str, i: usize) -> Path {
        self.join([keyword, &i.to_string()])
    }
}

/// Collects errors.
#[derive(Debug, Default)]
pub(super) struct Checker {
    errors: Vec<ValidationError>,
}

impl Checker {
    /// Records `message` at `path`.
    pub(super) fn add(&mut self, path: &Path, message: impl Into<String>) {
        self.errors.push(ValidationError {
            path: path.0.clone(),
            message: message.into(),
        });
    }

    /// Records `message` at `path` + `field`.
    pub(super) fn at(&mut self, path: &Path, field: &str, message: impl Into<String>) {
        self.add(&path.join([field]), message);
    }
}

/// Go-style duration text for messages.
pub(super) fn dur(nanos: i64) -> String {
    crate::duration::format_duration(nanos)
}

#[cfg(test)]
mod tests;
