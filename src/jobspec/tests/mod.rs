//! Behaviour tests of the job-file parser, one file per area, all through the public API.

mod blocks;
mod errors;
mod full_job;
mod interpolation;
mod json_input;
mod spans;
mod tasks;
mod variables;

use super::{ParseOptions, parse_str, parse_to_value};
use serde_json::Value;

/// The API JSON of an HCL job (panics with the error text if it does not parse).
pub(super) fn value(src: &str) -> Value {
    value_with(src, &ParseOptions::default())
}

/// The API JSON of an HCL job parsed with `opts`.
pub(super) fn value_with(src: &str, opts: &ParseOptions) -> Value {
    match parse_to_value(src, "job.nomad.hcl", opts) {
        Ok((v, _)) => v,
        Err(e) => panic!("job should parse, got: {e}"),
    }
}

/// The one-line error of an HCL job that must not parse.
pub(super) fn error(src: &str) -> String {
    error_with(src, &ParseOptions::default())
}

/// The one-line error of a job that must not parse with `opts`.
pub(super) fn error_with(src: &str, opts: &ParseOptions) -> String {
    match parse_str(src, "job.nomad.hcl", opts) {
        Ok(_) => panic!("job should not parse:\n{src}"),
        Err(e) => e.to_string(),
    }
}

/// A job "j" whose only group "g" has `body`; returns that group's JSON.
pub(super) fn group(body: &str) -> Value {
    let v = value(&format!(
        "job \"j\" {{\n  group \"g\" {{\n{body}\n  }}\n}}\n"
    ));
    v["TaskGroups"][0].clone()
}

/// A job "j" with group "g" holding task "t" with `body`; returns that task's JSON.
pub(super) fn task(body: &str) -> Value {
    let v = value(&format!(
        "job \"j\" {{\n  group \"g\" {{\n    task \"t\" {{\n{body}\n    }}\n  }}\n}}\n"
    ));
    v["TaskGroups"][0]["Tasks"][0].clone()
}

/// Nanoseconds in a second.
pub(super) const S: i64 = 1_000_000_000;
