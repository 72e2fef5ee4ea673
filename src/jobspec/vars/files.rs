//! `-var-file` files: HCL files of `name = value` assignments, or JSON objects (`.json`).

use super::super::error::{JobspecError, Location, Result, one_line};
use super::super::eval::Evaluator;
use super::super::span::{LineIndex, Pos};
use hcl::Value;
use hcl_edit::Span;
use hcl_edit::structure::{Body, Structure};
use std::path::Path;

/// The assignments of a variable file, each with where it was written.
pub(crate) fn read(path: &Path) -> Result<Vec<(String, Value, Location)>> {
    let file = path.display().to_string();
    let text = std::fs::read_to_string(path).map_err(|source| JobspecError::Io {
        file: file.clone(),
        source,
    })?;
    if path.extension().is_some_and(|e| e == "json") {
        read_json(&file, &text)
    } else {
        read_hcl(&file, &text)
    }
}

fn read_hcl(file: &str, text: &str) -> Result<Vec<(String, Value, Location)>> {
    let lines = LineIndex::new(text);
    let body: Body = hcl_edit::parser::parse_body(text).map_err(|e| JobspecError::Syntax {
        at: Location::new(
            file,
            Some(Pos {
                line: e.location().line(),
                column: e.location().column(),
            }),
        ),
        message: one_line(e.message()),
    })?;
    // Values in a variable file are constants: no variables, only functions.
    let ev = Evaluator::new(file, &lines);
    let mut out = Vec::new();
    for s in body.iter() {
        match s {
            Structure::Attribute(a) => {
                let value = ev.eval_hcl(&a.value)?;
                out.push((a.key.as_str().to_string(), value, ev.at(a.value.span())));
            }
            Structure::Block(b) => {
                return Err(JobspecError::UnknownBlock {
                    at: ev.at(b.ident.span()),
                    name: b.ident.as_str().to_string(),
                });
            }
        }
    }
    Ok(out)
}

fn read_json(file: &str, text: &str) -> Result<Vec<(String, Value, Location)>> {
    let value: Value = serde_json::from_str(text).map_err(|e| JobspecError::Json {
        at: Location::new(
            file,
            Some(Pos {
                line: e.line(),
                column: e.column(),
            }),
        ),
        message: super::super::json::strip_position(&e),
    })?;
    let Value::Object(map) = value else {
        return Err(JobspecError::Json {
            at: Location::new(file, None),
            message: "a variable file must hold one JSON object".into(),
        });
    };
    Ok(map
        .into_iter()
        .map(|(k, v)| (k, v, Location::new(file, None)))
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_hcl_and_json_files() {
        let dir = tempfile::tempdir().expect("temp dir");
        let hcl_path = dir.path().join("prod.vars");
        std::fs::write(&hcl_path, "count = 3\ndcs = [\"a\", upper(\"b\")]\n").expect("write");
        let got = read(&hcl_path).expect("hcl var file reads");
        let names: Vec<&str> = got.iter().map(|(n, _, _)| n.as_str()).collect();
        assert_eq!(names, vec!["count", "dcs"]);
        assert_eq!(got[0].1, Value::from(3));
        assert_eq!(got[1].1, Value::Array(vec!["a".into(), "B".into()]));
        assert_eq!(got[1].2.pos, Some(Pos { line: 2, column: 7 }));

        let json_path = dir.path().join("v.json");
        std::fs::write(&json_path, "{\"image\": \"redis:7\"}").expect("write");
        let got = read(&json_path).expect("json var file reads");
        assert_eq!(got[0].0, "image");
        assert_eq!(got[0].1, Value::from("redis:7"));
    }

    #[test]
    fn refuses_blocks_syntax_errors_and_missing_files() {
        let dir = tempfile::tempdir().expect("temp dir");
        let p = dir.path().join("bad.vars");
        std::fs::write(&p, "x = 1\nblock {\n}\n").expect("write");
        assert!(matches!(read(&p), Err(JobspecError::UnknownBlock { .. })));
        std::fs::write(&p, "x = \n").expect("write");
        assert!(matches!(read(&p), Err(JobspecError::Syntax { .. })));
        std::fs::write(&p, "x = var.y\n").expect("write");
        assert!(matches!(
            read(&p),
            Err(JobspecError::UndefinedVariable { .. })
        ));
        assert!(matches!(
            read(&dir.path().join("missing.vars")),
            Err(JobspecError::Io { .. })
        ));
    }
}
