//! An HCL job file end to end: parse with positions, resolve variables and locals, decode the
//! one `job` block against the schema into Nomad's API JSON shape.

use super::ParseOptions;
use super::decode::Decoder;
use super::error::{JobspecError, Location, Result, one_line};
use super::eval::Evaluator;
use super::schema::JOB;
use super::span::{LineIndex, Pos, SpanMap};
use super::vars::EnvLookup;
use super::{locals, vars};
use hcl_edit::Span;
use hcl_edit::structure::{Body, Structure};
use serde_json::Value;

/// Parses HCL job text into the API's JSON shape (`{"ID": ..., "TaskGroups": [...]}`) and the
/// positions of its blocks and attributes; `NOMAD_VAR_*` come from the process environment.
pub(crate) fn to_json(src: &str, filename: &str, opts: &ParseOptions) -> Result<(Value, SpanMap)> {
    to_json_with_env(src, filename, opts, &|name| std::env::var(name).ok())
}

/// [`to_json`] with environment variables looked up through `env`.
pub(crate) fn to_json_with_env(
    src: &str,
    filename: &str,
    opts: &ParseOptions,
    env: EnvLookup<'_>,
) -> Result<(Value, SpanMap)> {
    let lines = LineIndex::new(src);
    let body: Body = hcl_edit::parser::parse_body(src).map_err(|e| JobspecError::Syntax {
        at: Location::new(
            filename,
            Some(Pos {
                line: e.location().line(),
                column: e.location().column(),
            }),
        ),
        message: one_line(e.message()),
    })?;
    let mut ev = Evaluator::new(filename, &lines);

    for s in body.iter() {
        match s {
            Structure::Attribute(a) => {
                return Err(JobspecError::UnknownAttribute {
                    at: ev.at(a.key.span()),
                    name: a.key.as_str().to_string(),
                    hint: String::new(),
                });
            }
            Structure::Block(b) => {
                if !matches!(b.ident.as_str(), "job" | "variable" | "locals") {
                    return Err(JobspecError::UnknownBlock {
                        at: ev.at(b.ident.span()),
                        name: b.ident.as_str().to_string(),
                    });
                }
            }
        }
    }

    let variables = vars::resolve(&body, &ev, opts, env)?;
    ev.set_vars(variables.values);
    locals::resolve(&body, &mut ev)?;
    vars::validate(&variables.validations, &ev)?;

    let mut jobs = body.blocks().filter(|b| b.ident.as_str() == "job");
    let Some(job) = jobs.next() else {
        return Err(JobspecError::Invalid {
            at: Location::new(filename, None),
            message: "Missing job block; a job file must contain one job block".into(),
        });
    };
    if let Some(extra) = jobs.next() {
        return Err(JobspecError::Invalid {
            at: ev.at(extra.ident.span()),
            message: "Duplicate job block; only one job block is allowed per file".into(),
        });
    }
    let at = ev.at(job.ident.span());
    let [label] = job.labels.as_slice() else {
        return Err(JobspecError::Invalid {
            at,
            message: format!(
                "Invalid job block; a job block needs exactly one label (its ID), found {}",
                job.labels.len()
            ),
        });
    };
    let id = label.as_str().to_string();

    let mut decoder = Decoder::new(&ev);
    decoder.record(Vec::new(), job.span());
    let mut obj = decoder
        .block(&job.body, &JOB, &[], &at, None)?
        .unwrap_or_default();
    obj.insert("ID".into(), Value::from(id.clone()));
    obj.entry("Name").or_insert_with(|| Value::from(id));
    Ok((Value::Object(obj), decoder.into_spans()))
}
