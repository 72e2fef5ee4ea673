//! Variable type constraints (`type = list(string)`) and converting values to them, the way
//! HCL converts: numbers and bools become strings for `string`, numeric strings become numbers.

use hcl::{Map, Value};
use hcl_edit::expr::{Expression, ObjectKey};

/// A `type = ...` constraint of a `variable` block.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum VarType {
    Any,
    String,
    Number,
    Bool,
    List(Box<VarType>),
    Set(Box<VarType>),
    Map(Box<VarType>),
    Object(Vec<(String, VarType)>),
    Tuple(Vec<VarType>),
}

impl VarType {
    /// Reads a type expression; `Err` names what was not understood.
    pub(crate) fn parse(expr: &Expression) -> Result<VarType, String> {
        match expr {
            Expression::Variable(v) => match v.as_str() {
                "any" => Ok(VarType::Any),
                "string" => Ok(VarType::String),
                "number" => Ok(VarType::Number),
                "bool" => Ok(VarType::Bool),
                other => Err(format!("\"{other}\" is not a type")),
            },
            Expression::FuncCall(call) => {
                let name = call.name.name.as_str();
                let args: Vec<&Expression> = call.args.iter().collect();
                let [arg] = args.as_slice() else {
                    return Err(format!("{name}() takes exactly one argument"));
                };
                match name {
                    "list" => Ok(VarType::List(Box::new(VarType::parse(arg)?))),
                    "set" => Ok(VarType::Set(Box::new(VarType::parse(arg)?))),
                    "map" => Ok(VarType::Map(Box::new(VarType::parse(arg)?))),
                    "object" => {
                        let Expression::Object(obj) = arg else {
                            return Err("object() needs an object of attribute types".into());
                        };
                        let mut fields = Vec::new();
                        for (k, v) in obj.iter() {
                            let key = match k {
                                ObjectKey::Ident(i) => i.as_str().to_string(),
                                ObjectKey::Expression(Expression::String(s)) => s.value().clone(),
                                ObjectKey::Expression(_) => {
                                    return Err("object() attribute names must be literal".into());
                                }
                            };
                            fields.push((key, VarType::parse(v.expr())?));
                        }
                        Ok(VarType::Object(fields))
                    }
                    "tuple" => {
                        let Expression::Array(arr) = arg else {
                            return Err("tuple() needs a list of element types".into());
                        };
                        Ok(VarType::Tuple(
                            arr.iter().map(VarType::parse).collect::<Result<_, _>>()?,
                        ))
                    }
                    other => Err(format!("\"{other}\" is not a type constructor")),
                }
            }
            _ => Err("a type must be a type keyword or constructor".into()),
        }
    }

    /// Whether values of this type come from the command line as HCL expressions rather than
    /// as plain strings.
    pub(crate) fn is_complex(&self) -> bool {
        matches!(
            self,
            VarType::List(_)
                | VarType::Set(_)
                | VarType::Map(_)
                | VarType::Object(_)
                | VarType::Tuple(_)
        )
    }

    /// Converts `value` to this type; `Err` says what was required.
    pub(crate) fn convert(&self, value: Value) -> Result<Value, String> {
        if value.is_null() {
            return Ok(value);
        }
        match self {
            VarType::Any => Ok(value),
            VarType::String => match value {
                Value::String(_) => Ok(value),
                Value::Number(n) => Ok(Value::String(n.to_string())),
                Value::Bool(b) => Ok(Value::String(b.to_string())),
                _ => Err("a string is required".into()),
            },
            VarType::Number => match value {
                Value::Number(_) => Ok(value),
                Value::String(s) => parse_number(&s).ok_or_else(|| "a number is required".into()),
                _ => Err("a number is required".into()),
            },
            VarType::Bool => match value {
                Value::Bool(_) => Ok(value),
                Value::String(s) if s == "true" => Ok(Value::Bool(true)),
                Value::String(s) if s == "false" => Ok(Value::Bool(false)),
                _ => Err("a bool is required".into()),
            },
            VarType::List(t) | VarType::Set(t) => {
                let Value::Array(items) = value else {
                    return Err("a list is required".into());
                };
                let mut out: Vec<Value> = Vec::with_capacity(items.len());
                for item in items {
                    let v = t.convert(item)?;
                    // A set holds each value once.
                    if !(matches!(self, VarType::Set(_)) && out.contains(&v)) {
                        out.push(v);
                    }
                }
                Ok(Value::Array(out))
            }
            VarType::Map(t) => {
                let Value::Object(obj) = value else {
                    return Err("a map is required".into());
                };
                let mut out = Map::new();
                for (k, v) in obj {
                    out.insert(k, t.convert(v)?);
                }
                Ok(Value::Object(out))
            }
            VarType::Object(fields) => {
                let Value::Object(mut obj) = value else {
                    return Err("an object is required".into());
                };
                let mut out = Map::new();
                for (name, t) in fields {
                    let v = obj.shift_remove(name).unwrap_or(Value::Null);
                    out.insert(name.clone(), t.convert(v)?);
                }
                Ok(Value::Object(out))
            }
            VarType::Tuple(types) => {
                let Value::Array(items) = value else {
                    return Err("a tuple is required".into());
                };
                if items.len() != types.len() {
                    return Err(format!("a tuple of {} elements is required", types.len()));
                }
                types
                    .iter()
                    .zip(items)
                    .map(|(t, v)| t.convert(v))
                    .collect::<Result<Vec<_>, _>>()
                    .map(Value::Array)
            }
        }
    }
}

/// A number from a string, kept integral when it is one.
fn parse_number(s: &str) -> Option<Value> {
    let s = s.trim();
    if let Ok(i) = s.parse::<i64>() {
        return Some(Value::from(i));
    }
    s.parse::<f64>()
        .ok()
        .filter(|f| f.is_finite())
        .and_then(hcl::Number::from_f64)
        .map(Value::Number)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ty(src: &str) -> VarType {
        let expr: Expression = src.parse().expect("type expression parses");
        VarType::parse(&expr).expect("type is valid")
    }

    #[test]
    fn parses_type_expressions() {
        assert_eq!(ty("string"), VarType::String);
        assert_eq!(ty("list(number)"), VarType::List(Box::new(VarType::Number)));
        assert_eq!(
            ty("map(list(string))"),
            VarType::Map(Box::new(VarType::List(Box::new(VarType::String))))
        );
        assert_eq!(
            ty("object({name = string, port = number})"),
            VarType::Object(vec![
                ("name".into(), VarType::String),
                ("port".into(), VarType::Number)
            ])
        );
        assert_eq!(
            ty("tuple([string, bool])"),
            VarType::Tuple(vec![VarType::String, VarType::Bool])
        );
        let bad: Expression = "strin".parse().expect("parses");
        assert!(VarType::parse(&bad).is_err());
        let bad: Expression = "list(string, number)".parse().expect("parses");
        assert!(VarType::parse(&bad).is_err());
    }

    #[test]
    fn converts_like_hcl() {
        assert_eq!(
            VarType::String.convert(Value::from(3)),
            Ok(Value::from("3"))
        );
        assert_eq!(
            VarType::Number.convert(Value::from("3")),
            Ok(Value::from(3))
        );
        assert_eq!(
            VarType::Number.convert(Value::from("1.5")),
            Ok(Value::from(1.5))
        );
        assert!(VarType::Number.convert(Value::from("three")).is_err());
        assert_eq!(
            VarType::Bool.convert(Value::from("true")),
            Ok(Value::Bool(true))
        );
        assert!(VarType::Bool.convert(Value::from("yes")).is_err());
        assert_eq!(
            ty("set(string)").convert(Value::Array(vec!["a".into(), "a".into(), 1.into()])),
            Ok(Value::Array(vec!["a".into(), "1".into()]))
        );
        assert!(ty("list(string)").convert(Value::from("a")).is_err());
        assert!(ty("tuple([string])").convert(Value::Array(vec![])).is_err());
        let mut obj = Map::new();
        obj.insert("name".to_string(), Value::from("web"));
        obj.insert("extra".to_string(), Value::from(1));
        let mut want = Map::new();
        want.insert("name".to_string(), Value::from("web"));
        want.insert("port".to_string(), Value::Null);
        assert_eq!(
            ty("object({name = string, port = number})").convert(Value::Object(obj)),
            Ok(Value::Object(want))
        );
    }
}
