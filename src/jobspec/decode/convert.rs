//! Converting an evaluated attribute value to the kind its schema field wants, with HCL's
//! lenient primitive conversions (`3` for a string, `"3"` for a number) and Go durations.

use super::super::error::{JobspecError, Location, Result};
use super::super::schema::Kind;
use nomad_region::duration::parse_duration;
use serde_json::{Map, Value};

/// Converts `value` for attribute `name` (written at `at`) to `kind`.
pub(crate) fn convert(value: Value, kind: Kind, name: &str, at: &Location) -> Result<Value> {
    let wrong = |expected: &str| JobspecError::WrongType {
        at: at.clone(),
        name: name.to_string(),
        expected: expected.to_string(),
    };
    match kind {
        Kind::Str => to_string(value).ok_or_else(|| wrong("a string is")),
        Kind::Int => match to_number(value) {
            Some(n) => whole(&n).ok_or_else(|| wrong("a whole number is")),
            None => Err(wrong("a number is")),
        },
        Kind::Bool => to_bool(value).ok_or_else(|| wrong("a bool is")),
        Kind::Duration => match value {
            Value::String(s) => match parse_duration(&s) {
                Ok(ns) => Ok(Value::from(ns)),
                Err(e) => Err(JobspecError::BadDuration {
                    at: at.clone(),
                    name: name.to_string(),
                    value: s,
                    reason: e.to_string(),
                }),
            },
            // A bare integer is taken as nanoseconds, as the API does.
            Value::Number(n) if n.is_i64() => Ok(Value::Number(n)),
            _ => Err(wrong("a duration string (like \"30s\") is")),
        },
        Kind::StrList => match value {
            Value::Array(items) => items
                .into_iter()
                .map(to_string)
                .collect::<Option<Vec<_>>>()
                .map(Value::Array)
                .ok_or_else(|| wrong("a list of strings is")),
            _ => Err(wrong("a list of strings is")),
        },
        Kind::StrMap => match value {
            Value::Object(obj) => obj
                .into_iter()
                .map(|(k, v)| to_string(v).map(|v| (k, v)))
                .collect::<Option<Map<_, _>>>()
                .map(Value::Object)
                .ok_or_else(|| wrong("a map of strings is")),
            _ => Err(wrong("a map of strings is")),
        },
        Kind::StrListMap => match value {
            Value::Object(obj) => obj
                .into_iter()
                .map(|(k, v)| {
                    let list = match v {
                        Value::Array(items) => items
                            .into_iter()
                            .map(to_string)
                            .collect::<Option<Vec<_>>>()?,
                        // One value is a list of one.
                        other => vec![to_string(other)?],
                    };
                    Some((k, Value::Array(list)))
                })
                .collect::<Option<Map<_, _>>>()
                .map(Value::Object)
                .ok_or_else(|| wrong("a map of lists of strings is")),
            _ => Err(wrong("a map of lists of strings is")),
        },
        Kind::Any => match value {
            Value::Object(_) => Ok(value),
            _ => Err(wrong("an object is")),
        },
        Kind::Block(_) | Kind::Blocks(_) | Kind::Labeled(..) => Err(wrong("a block is")),
    }
}

/// What is wrong with one entry of a map-kind block (`meta { a = [1] }`), if anything.
pub(crate) fn entry_problem(value: &Value, kind: Kind) -> Option<&'static str> {
    let primitive = |v: &Value| matches!(v, Value::String(_) | Value::Number(_) | Value::Bool(_));
    match kind {
        Kind::StrMap if !primitive(value) => Some("a string is"),
        Kind::StrListMap => match value {
            Value::Array(items) if items.iter().all(primitive) => None,
            v if primitive(v) => None,
            _ => Some("a string or a list of strings is"),
        },
        _ => None,
    }
}

/// HCL's conversion of a primitive to a string.
fn to_string(value: Value) -> Option<Value> {
    match value {
        Value::String(_) => Some(value),
        Value::Number(n) => Some(Value::String(n.to_string())),
        Value::Bool(b) => Some(Value::String(b.to_string())),
        _ => None,
    }
}

fn to_number(value: Value) -> Option<serde_json::Number> {
    match value {
        Value::Number(n) => Some(n),
        Value::String(s) => {
            let s = s.trim();
            if let Ok(i) = s.parse::<i64>() {
                return Some(i.into());
            }
            s.parse::<f64>().ok().and_then(serde_json::Number::from_f64)
        }
        _ => None,
    }
}

/// The number as an integer, if it is a whole one.
fn whole(n: &serde_json::Number) -> Option<Value> {
    if n.is_i64() || n.is_u64() {
        return Some(Value::Number(n.clone()));
    }
    let f = n.as_f64()?;
    (f.fract() == 0.0 && f.abs() < 9.0e15).then(|| Value::from(f as i64))
}

fn to_bool(value: Value) -> Option<Value> {
    match value {
        Value::Bool(_) => Some(value),
        Value::String(s) if s == "true" => Some(Value::Bool(true)),
        Value::String(s) if s == "false" => Some(Value::Bool(false)),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::super::super::span::Pos;
    use super::*;
    use serde_json::json;

    fn conv(v: Value, kind: Kind) -> std::result::Result<Value, String> {
        let at = Location::new("f.hcl", Some(Pos { line: 2, column: 9 }));
        convert(v, kind, "x", &at).map_err(|e| e.to_string())
    }

    #[test]
    fn primitives_convert_like_hcl() {
        assert_eq!(conv(json!(3), Kind::Str), Ok(json!("3")));
        assert_eq!(conv(json!(true), Kind::Str), Ok(json!("true")));
        assert_eq!(conv(json!("3"), Kind::Int), Ok(json!(3)));
        assert_eq!(conv(json!(3.0), Kind::Int), Ok(json!(3)));
        assert_eq!(conv(json!("false"), Kind::Bool), Ok(json!(false)));
        assert_eq!(
            conv(json!("three"), Kind::Int),
            Err("f.hcl:2:9: Incorrect attribute value type; inappropriate value for attribute \"x\": a number is required".into())
        );
        assert!(conv(json!(1.5), Kind::Int).is_err());
        assert!(conv(json!([1]), Kind::Str).is_err());
        assert!(conv(json!("yes"), Kind::Bool).is_err());
    }

    #[test]
    fn durations() {
        assert_eq!(
            conv(json!("1m30s"), Kind::Duration),
            Ok(json!(90_000_000_000i64))
        );
        assert_eq!(conv(json!(5), Kind::Duration), Ok(json!(5)));
        assert_eq!(
            conv(json!("10x"), Kind::Duration),
            Err("f.hcl:2:9: Invalid duration \"10x\" for attribute \"x\": unknown unit \"x\" in duration \"10x\"".into())
        );
        assert!(conv(json!(true), Kind::Duration).is_err());
    }

    #[test]
    fn collections() {
        assert_eq!(conv(json!(["a", 1]), Kind::StrList), Ok(json!(["a", "1"])));
        assert!(conv(json!("a"), Kind::StrList).is_err());
        assert!(conv(json!([["a"]]), Kind::StrList).is_err());
        assert_eq!(conv(json!({"a": 1}), Kind::StrMap), Ok(json!({"a": "1"})));
        assert!(conv(json!({"a": {"b": 1}}), Kind::StrMap).is_err());
        assert_eq!(
            conv(json!({"A": "x", "B": ["y", "z"]}), Kind::StrListMap),
            Ok(json!({"A": ["x"], "B": ["y", "z"]}))
        );
        assert_eq!(conv(json!({"k": [1]}), Kind::Any), Ok(json!({"k": [1]})));
        assert!(conv(json!([1]), Kind::Any).is_err());
    }
}
