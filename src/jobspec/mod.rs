//! Job files to `structs::Job`: HCL2 job specifications (with variables, locals, functions
//! and runtime interpolations kept as text) and JSON jobs in the API shape. Every error is one
//! line naming the file and, when known, the line and column.
//!
//! ```text
//! text --hcl_edit--> Body --vars/locals--> Evaluator --decode(schema)--> JSON --serde--> Job
//!                                                           \--> SpanMap (HCL path -> line:col)
//! ```

mod decode;
mod error;
mod eval;
mod funcs;
mod hclfile;
mod json;
mod locals;
mod schema;
mod span;
mod vars;

#[cfg(test)]
mod tests;

pub use error::{JobspecError, Location, Result};
pub use span::{Pos, SpanMap};

use nomad_region::structs::Job;
use std::path::{Path, PathBuf};

/// How to read a job file: variable values from the command line and the environment.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ParseOptions {
    /// `-var name=value` arguments, in order (later ones win).
    pub vars: Vec<String>,
    /// `-var-file` paths, in order (later ones win; `-var` beats them all).
    pub var_files: Vec<PathBuf>,
    /// Read `NOMAD_VAR_<name>` environment variables (below var files in precedence).
    pub env_vars: bool,
}

/// A parsed job and where each of its blocks and attributes was written.
#[derive(Debug, Clone, PartialEq)]
pub struct ParsedJob {
    /// The job, as given (not canonicalized).
    pub job: Job,
    /// HCL path -> position; empty for JSON files.
    pub spans: SpanMap,
}

/// Reads and parses a job file (HCL, or JSON when the name ends in `.json` or the text starts
/// with `{`).
pub fn parse_file(path: &Path, opts: &ParseOptions) -> Result<ParsedJob> {
    let filename = path.display().to_string();
    let src = std::fs::read_to_string(path).map_err(|source| JobspecError::Io {
        file: filename.clone(),
        source,
    })?;
    parse_str(&src, &filename, opts)
}

/// Parses job text; `filename` names it in errors and decides JSON by its extension.
pub fn parse_str(src: &str, filename: &str, opts: &ParseOptions) -> Result<ParsedJob> {
    if json::looks_like_json(filename, src) {
        return Ok(ParsedJob {
            job: json::parse(src, filename)?,
            spans: SpanMap::new(),
        });
    }
    let (value, spans) = hclfile::to_json(src, filename, opts)?;
    let job = serde_json::from_value::<Job>(value).map_err(|e| JobspecError::Invalid {
        at: Location::new(filename, None),
        message: format!(
            "The job does not fit Nomad's job shape; {}",
            error::one_line(&e.to_string())
        ),
    })?;
    Ok(ParsedJob { job, spans })
}

/// Parses HCL job text to the API's JSON shape without building a `Job` (for `-output`-style
/// tooling and tests); JSON input is decoded into a `Job` and encoded again.
pub fn parse_to_value(
    src: &str,
    filename: &str,
    opts: &ParseOptions,
) -> Result<(serde_json::Value, SpanMap)> {
    if json::looks_like_json(filename, src) {
        let job = json::parse(src, filename)?;
        let value = serde_json::to_value(&job).map_err(|e| JobspecError::Json {
            at: Location::new(filename, None),
            message: e.to_string(),
        })?;
        return Ok((value, SpanMap::new()));
    }
    hclfile::to_json(src, filename, opts)
}
