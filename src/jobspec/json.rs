//! JSON job files in the API shape, with or without the `{"Job": {...}}` wrapper that
//! `nomad job run -output` and `nomad job inspect` print. serde_json's line:column is kept.

use super::error::{JobspecError, Location, Result};
use super::span::Pos;
use nomad_region::structs::Job;
use serde::Deserialize;

/// The register-request shape: `{"Job": {...}}` (other top-level keys are ignored).
#[derive(Deserialize)]
struct Wrapped {
    #[serde(rename = "Job")]
    job: Job,
}

/// Whether a file should be read as JSON: by its name, or because it starts with `{`.
pub(crate) fn looks_like_json(filename: &str, src: &str) -> bool {
    filename.ends_with(".json") || src.trim_start().starts_with('{')
}

/// Parses a JSON job file.
pub(crate) fn parse(src: &str, filename: &str) -> Result<Job> {
    let err = |e: serde_json::Error| JobspecError::Json {
        at: Location::new(
            filename,
            (e.line() > 0).then(|| Pos {
                line: e.line(),
                column: e.column(),
            }),
        ),
        message: strip_position(&e),
    };
    // First only the shape, to see whether the job is wrapped; then the real decode from the
    // text again so that type errors also carry their line and column.
    let value: serde_json::Value = serde_json::from_str(src).map_err(err)?;
    let serde_json::Value::Object(top) = &value else {
        return Err(JobspecError::Json {
            at: Location::new(filename, None),
            message: "a job file must hold one JSON object".into(),
        });
    };
    if top.get("Job").is_some_and(serde_json::Value::is_object) {
        serde_json::from_str::<Wrapped>(src)
            .map(|w| w.job)
            .map_err(err)
    } else {
        serde_json::from_str::<Job>(src).map_err(err)
    }
}

/// serde_json's message without its trailing " at line L column C".
pub(crate) fn strip_position(e: &serde_json::Error) -> String {
    let text = e.to_string();
    match text.rfind(" at line ") {
        Some(i) => text[..i].to_string(),
        None => text,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn detects_json_by_name_or_content() {
        assert!(looks_like_json("job.json", ""));
        assert!(looks_like_json("job.nomad", "  \n{\"ID\": \"x\"}"));
        assert!(!looks_like_json("job.nomad.hcl", "job \"x\" {\n}\n"));
    }

    #[test]
    fn parses_with_and_without_wrapper() {
        let bare = r#"{"ID": "web", "Name": "web", "Type": "batch", "TaskGroups": [{"Name": "g", "Count": 2}]}"#;
        let wrapped = format!("{{\"Job\": {bare}}}");
        let a = parse(bare, "a.json").expect("bare job parses");
        let b = parse(&wrapped, "b.json").expect("wrapped job parses");
        assert_eq!(a, b);
        assert_eq!(a.id, "web");
        assert_eq!(a.job_type, "batch");
        assert_eq!(a.task_groups[0].count, Some(2));
    }

    #[test]
    fn errors_carry_line_and_column() {
        let e = parse("{\n  \"ID\": \"x\",\n  \"Priority\": \"high\"\n}", "j.json")
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(e.starts_with("j.json:3:"), "{e}");
        assert!(e.contains("invalid type"), "{e}");
        let e = parse("{\n  \"ID\": \n}", "j.json")
            .err()
            .map(|e| e.to_string());
        assert!(
            e.as_deref()
                .is_some_and(|e| e.starts_with("j.json:3:1: Invalid JSON job")),
            "{e:?}"
        );
        let e = parse("[1]", "j.json").err().map(|e| e.to_string());
        assert_eq!(
            e.as_deref(),
            Some("j.json: Invalid JSON job; a job file must hold one JSON object")
        );
    }
}
