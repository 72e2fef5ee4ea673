//! HCL2 input variables: `variable "name" { type, default, description, validation {} }`
//! blocks, and their values from `-var name=value`, `-var-file`, `NOMAD_VAR_<name>` and the
//! default, in that order of precedence. A declared variable with no value is an error.

mod files;
mod vartype;

use super::ParseOptions;
use super::error::{JobspecError, Location, Result};
use super::eval::Evaluator;
use super::span::LineIndex;
use hcl::Value;
use hcl_edit::Span;
use hcl_edit::expr::Expression;
use hcl_edit::structure::{Block, Body, Structure};
use vartype::VarType;

/// A `validation { condition, error_message }` rule, checked once every variable has a value.
pub(crate) struct Validation {
    pub condition: Expression,
    pub message: String,
}

/// The resolved variables of a job file.
pub(crate) struct Variables {
    pub values: hcl::Map<String, Value>,
    pub validations: Vec<Validation>,
}

/// One declared variable.
struct Declared {
    name: String,
    ty: VarType,
    default: Option<Value>,
    block: Location,
}

/// Looks up an environment variable (injectable so tests need not change the process env).
pub(crate) type EnvLookup<'a> = &'a dyn Fn(&str) -> Option<String>;

/// Reads the `variable` blocks of `body` and gives each a value.
pub(crate) fn resolve(
    body: &Body,
    ev: &Evaluator<'_>,
    opts: &ParseOptions,
    env: EnvLookup<'_>,
) -> Result<Variables> {
    let mut declared: Vec<Declared> = Vec::new();
    let mut validations = Vec::new();
    for block in body.blocks().filter(|b| b.ident.as_str() == "variable") {
        let (decl, rules) = declare(block, ev)?;
        if declared.iter().any(|d| d.name == decl.name) {
            return Err(JobspecError::Invalid {
                at: decl.block,
                message: format!(
                    "Duplicate variable declaration; a variable named \"{}\" was already declared",
                    decl.name
                ),
            });
        }
        declared.push(decl);
        validations.extend(rules);
    }

    // Lowest precedence first; later sources overwrite earlier ones.
    let mut values: hcl::Map<String, Value> = hcl::Map::new();
    for d in &declared {
        if let Some(v) = &d.default {
            values.insert(d.name.clone(), v.clone());
        }
    }
    if opts.env_vars {
        for d in &declared {
            if let Some(raw) = env(&format!("NOMAD_VAR_{}", d.name)) {
                let v = from_raw(d, &raw, ev)?;
                values.insert(d.name.clone(), v);
            }
        }
    }
    for path in &opts.var_files {
        for (name, value, at) in files::read(path)? {
            // A shared var file may set variables this job does not use.
            if let Some(d) = declared.iter().find(|d| d.name == name) {
                let v =
                    d.ty.convert(value)
                        .map_err(|message| JobspecError::BadVariable {
                            at,
                            name: name.clone(),
                            message,
                        })?;
                values.insert(name, v);
            }
        }
    }
    for arg in &opts.vars {
        let Some((name, raw)) = arg.split_once('=') else {
            return Err(JobspecError::Invalid {
                at: Location::new(ev.file(), None),
                message: format!(
                    "Invalid -var \"{arg}\"; the value must be of the form name=value"
                ),
            });
        };
        let name = name.trim();
        let Some(d) = declared.iter().find(|d| d.name == name) else {
            return Err(JobspecError::Invalid {
                at: Location::new(ev.file(), None),
                message: format!(
                    "Undefined -var variable; a \"{name}\" variable was passed on the command line but is not declared in the job file"
                ),
            });
        };
        let v = from_raw(d, raw, ev)?;
        values.insert(d.name.clone(), v);
    }

    if let Some(d) = declared.iter().find(|d| !values.contains_key(&d.name)) {
        return Err(JobspecError::MissingVariable {
            at: d.block.clone(),
            name: d.name.clone(),
        });
    }
    Ok(Variables {
        values,
        validations,
    })
}

/// Reads one `variable "name" { ... }` block.
fn declare(block: &Block, ev: &Evaluator<'_>) -> Result<(Declared, Vec<Validation>)> {
    let at = ev.at(block.span());
    let [label] = block.labels.as_slice() else {
        return Err(JobspecError::Invalid {
            at,
            message: "Invalid variable block; a variable block needs exactly one label: its name"
                .into(),
        });
    };
    let name = label.as_str().to_string();
    let mut ty = VarType::Any;
    let mut default_expr = None;
    let mut validations = Vec::new();
    for s in block.body.iter() {
        match s {
            Structure::Attribute(a) => match a.key.as_str() {
                "type" => {
                    ty = VarType::parse(&a.value).map_err(|message| JobspecError::BadVariable {
                        at: ev.at(a.value.span()),
                        name: name.clone(),
                        message: format!("invalid type: {message}"),
                    })?;
                }
                "default" => default_expr = Some(&a.value),
                "description" | "sensitive" | "nullable" => {}
                other => {
                    return Err(JobspecError::UnknownAttribute {
                        at: ev.at(a.key.span()),
                        name: other.to_string(),
                        hint: String::new(),
                    });
                }
            },
            Structure::Block(b) if b.ident.as_str() == "validation" => {
                validations.push(validation(b, ev)?);
            }
            Structure::Block(b) => {
                return Err(JobspecError::UnknownBlock {
                    at: ev.at(b.ident.span()),
                    name: b.ident.as_str().to_string(),
                });
            }
        }
    }
    let default = match default_expr {
        Some(expr) => {
            let v = ev.eval_hcl(expr)?;
            Some(ty.convert(v).map_err(|message| JobspecError::BadVariable {
                at: ev.at(expr.span()),
                name: name.clone(),
                message: format!("invalid default: {message}"),
            })?)
        }
        None => None,
    };
    Ok((
        Declared {
            name,
            ty,
            default,
            block: at,
        },
        validations,
    ))
}

fn validation(block: &Block, ev: &Evaluator<'_>) -> Result<Validation> {
    let at = ev.at(block.span());
    let condition = block
        .body
        .get_attribute("condition")
        .map(|a| a.value.clone());
    let message = match block.body.get_attribute("error_message") {
        Some(a) => ev
            .eval(&a.value)?
            .as_str()
            .map(str::to_string)
            .ok_or_else(|| JobspecError::WrongType {
                at: ev.at(a.value.span()),
                name: "error_message".into(),
                expected: "a string is".into(),
            })?,
        None => "the value is not valid".to_string(),
    };
    let condition = condition.ok_or_else(|| JobspecError::Invalid {
        at,
        message: "Missing required argument; the argument \"condition\" is required".into(),
    })?;
    Ok(Validation { condition, message })
}

/// Converts a command-line or environment string: plain for primitive types, an HCL
/// expression for lists, maps and objects.
fn from_raw(d: &Declared, raw: &str, ev: &Evaluator<'_>) -> Result<Value> {
    let bad = |message: String| JobspecError::BadVariable {
        at: Location::new(ev.file(), None),
        name: d.name.clone(),
        message,
    };
    let value = if d.ty.is_complex() {
        let expr = hcl_edit::parser::parse_expr(raw)
            .map_err(|e| bad(format!("cannot parse \"{raw}\": {}", e.message())))?;
        // Spans of `expr` are offsets into `raw`, so evaluate against `raw`'s own text.
        let lines = LineIndex::new(raw);
        let text_ev = Evaluator::new(ev.file(), &lines);
        text_ev
            .eval_hcl(&expr)
            .map_err(|e| bad(format!("cannot evaluate \"{raw}\": {e}")))?
    } else {
        Value::String(raw.to_string())
    };
    d.ty.convert(value).map_err(bad)
}

/// Checks every `validation` rule against the resolved variables.
pub(crate) fn validate(rules: &[Validation], ev: &Evaluator<'_>) -> Result<()> {
    for rule in rules {
        match ev.eval_hcl(&rule.condition)? {
            Value::Bool(true) => {}
            Value::Bool(false) => {
                return Err(JobspecError::Invalid {
                    at: ev.at(rule.condition.span()),
                    message: format!("Invalid value for variable; {}", rule.message),
                });
            }
            _ => {
                return Err(JobspecError::WrongType {
                    at: ev.at(rule.condition.span()),
                    name: "condition".into(),
                    expected: "a bool is".into(),
                });
            }
        }
    }
    Ok(())
}
