//! The schema-driven decoder: walks an HCL body against a `BlockSpec`, evaluates and converts
//! each attribute, recurses into nested blocks, runs the block's hook, and records where every
//! block and attribute was written. Unknown names and wrong types are errors with positions.

mod convert;

use super::error::{JobspecError, Location, Result};
use super::eval::Evaluator;
use super::schema::{BlockSpec, Keep, Kind, Label};
use super::span::SpanMap;
use convert::convert;
use hcl_edit::Span;
use hcl_edit::structure::{Block, Body, Structure};
use serde_json::{Map, Value};
use std::collections::HashMap;

/// Decodes blocks of one file; owns the span map it fills.
pub(crate) struct Decoder<'e, 'a> {
    ev: &'e Evaluator<'a>,
    spans: SpanMap,
}

fn extend(path: &[String], parts: &[&str]) -> Vec<String> {
    let mut p = path.to_vec();
    p.extend(parts.iter().map(|s| s.to_string()));
    p
}

impl<'e, 'a> Decoder<'e, 'a> {
    pub(crate) fn new(ev: &'e Evaluator<'a>) -> Self {
        Decoder {
            ev,
            spans: SpanMap::new(),
        }
    }

    /// The positions recorded so far.
    pub(crate) fn into_spans(self) -> SpanMap {
        self.spans
    }

    /// Records `path` at the start of `span`.
    pub(crate) fn record(&mut self, path: Vec<String>, span: Option<std::ops::Range<usize>>) {
        if let Some(r) = span {
            self.spans.insert(path, self.ev.pos(r.start));
        }
    }

    /// Decodes `body` as a `spec` block found at `path` (written at `at`). `None` when the
    /// block's hook drops it.
    pub(crate) fn block(
        &mut self,
        body: &Body,
        spec: &'static BlockSpec,
        path: &[String],
        at: &Location,
    ) -> Result<Option<Map<String, Value>>> {
        let mut out = Map::new();
        // How many blocks of each repeated type were seen, for their index in the path.
        let mut seen: HashMap<String, usize> = HashMap::new();
        for structure in body.iter() {
            match structure {
                Structure::Attribute(attr) => {
                    let name = attr.key.as_str();
                    let key_at = self.ev.at(attr.key.span());
                    let field = match spec.field(name) {
                        Some(f) if f.kind.is_attribute() => f,
                        Some(_) => {
                            return Err(JobspecError::UnknownAttribute {
                                at: key_at,
                                name: name.to_string(),
                                hint: format!(
                                    "; did you mean to define a block of type \"{name}\"?"
                                ),
                            });
                        }
                        None => {
                            return Err(JobspecError::UnknownAttribute {
                                at: key_at,
                                name: name.to_string(),
                                hint: String::new(),
                            });
                        }
                    };
                    if out.contains_key(field.json) {
                        return Err(redefined(key_at, name));
                    }
                    self.record(extend(path, &[name]), attr.key.span());
                    let value_at = self.ev.at(attr.value.span());
                    let value = self.ev.eval(&attr.value)?;
                    if value.is_null() {
                        // `x = null` leaves x unset, as in HCL.
                        continue;
                    }
                    out.insert(
                        field.json.to_string(),
                        convert(value, field.kind, name, &value_at)?,
                    );
                }
                Structure::Block(block) => {
                    let name = block.ident.as_str();
                    let field = spec
                        .field(name)
                        .filter(|f| f.kind.is_block())
                        .ok_or_else(|| JobspecError::UnknownBlock {
                            at: self.ev.at(block.ident.span()),
                            name: name.to_string(),
                        })?;
                    let index = seen.entry(name.to_string()).or_insert(0);
                    let i = *index;
                    *index += 1;
                    self.nested(block, field.json, field.kind, path, i, &mut out)?;
                }
            }
        }
        if let Some(hook) = spec.hook {
            match hook(&mut out) {
                Ok(Keep::Yes) => {}
                Ok(Keep::No) => return Ok(None),
                Err(message) => {
                    return Err(JobspecError::Invalid {
                        at: at.clone(),
                        message,
                    });
                }
            }
        }
        Ok(Some(out))
    }

    /// Decodes one nested block into `out[json]` according to `kind`; `index` is its number
    /// among the blocks of the same type in this body.
    fn nested(
        &mut self,
        block: &Block,
        json: &str,
        kind: Kind,
        path: &[String],
        index: usize,
        out: &mut Map<String, Value>,
    ) -> Result<()> {
        let name = block.ident.as_str();
        let at = self.ev.at(block.ident.span());
        let labels: Vec<&str> = block.labels.iter().map(|l| l.as_str()).collect();
        match kind {
            Kind::Block(spec) => {
                no_labels(&labels, name, &at)?;
                if out.contains_key(json) {
                    return Err(JobspecError::Invalid {
                        at,
                        message: format!(
                            "Duplicate {name} block; only one {name} block is allowed here"
                        ),
                    });
                }
                let p = extend(path, &[name]);
                self.record(p.clone(), block.span());
                if let Some(obj) = self.block(&block.body, spec, &p, &at)? {
                    out.insert(json.to_string(), Value::Object(obj));
                }
            }
            Kind::Blocks(spec) => {
                no_labels(&labels, name, &at)?;
                let idx = index.to_string();
                let p = extend(path, &[name, &idx]);
                self.record(p.clone(), block.span());
                let decoded = self.block(&block.body, spec, &p, &at)?;
                if index == 0 {
                    // The first of several is also reachable without an index.
                    self.spans.alias(&p, &extend(path, &[name]));
                }
                if let Some(obj) = decoded {
                    push(out, json, Value::Object(obj));
                }
            }
            Kind::Labeled(spec, label) => {
                let [one] = labels.as_slice() else {
                    return Err(JobspecError::Invalid {
                        at,
                        message: format!(
                            "Invalid {name} block; a {name} block needs exactly one label (its name), found {}",
                            labels.len()
                        ),
                    });
                };
                let duplicate = match (label, out.get(json)) {
                    (Label::Field(f), Some(Value::Array(items))) => items
                        .iter()
                        .any(|i| i.get(f).and_then(Value::as_str) == Some(one)),
                    (Label::MapKey(_), Some(Value::Object(m))) => m.contains_key(*one),
                    _ => false,
                };
                if duplicate {
                    return Err(JobspecError::Invalid {
                        at,
                        message: format!(
                            "Duplicate {name} block; a {name} named \"{one}\" is already defined"
                        ),
                    });
                }
                let p = extend(path, &[name, one]);
                self.record(p.clone(), block.span());
                let Some(mut obj) = self.block(&block.body, spec, &p, &at)? else {
                    return Ok(());
                };
                match label {
                    Label::Field(f) => {
                        obj.insert(f.to_string(), Value::from(*one));
                        push(out, json, Value::Object(obj));
                    }
                    Label::MapKey(f) => {
                        obj.insert(f.to_string(), Value::from(*one));
                        let map = out
                            .entry(json.to_string())
                            .or_insert_with(|| Value::Object(Map::new()));
                        if let Value::Object(m) = map {
                            m.insert(one.to_string(), Value::Object(obj));
                        }
                    }
                }
            }
            Kind::StrMap | Kind::StrListMap | Kind::Any => {
                no_labels(&labels, name, &at)?;
                if out.contains_key(json) {
                    return Err(redefined(at, name));
                }
                let p = extend(path, &[name]);
                self.record(p.clone(), block.span());
                let value = Value::Object(self.freeform(&block.body, &p)?);
                out.insert(json.to_string(), convert(value, kind, name, &at)?);
            }
            _ => {
                return Err(JobspecError::UnknownBlock {
                    at,
                    name: name.to_string(),
                });
            }
        }
        Ok(())
    }

    /// A free-form body (driver `config`, `meta { }`): attributes are evaluated as they are;
    /// nested blocks become lists of objects (a labeled block nests under its labels).
    fn freeform(&mut self, body: &Body, path: &[String]) -> Result<Map<String, Value>> {
        let mut out = Map::new();
        for structure in body.iter() {
            match structure {
                Structure::Attribute(attr) => {
                    let name = attr.key.as_str();
                    if out.contains_key(name) {
                        return Err(redefined(self.ev.at(attr.key.span()), name));
                    }
                    self.record(extend(path, &[name]), attr.key.span());
                    let value = self.ev.eval(&attr.value)?;
                    out.insert(name.to_string(), value);
                }
                Structure::Block(block) => {
                    let name = block.ident.as_str();
                    let p = extend(path, &[name]);
                    self.record(p.clone(), block.span());
                    let mut value = Value::Object(self.freeform(&block.body, &p)?);
                    for label in block.labels.iter().rev() {
                        let mut m = Map::new();
                        m.insert(label.as_str().to_string(), value);
                        value = Value::Object(m);
                    }
                    match out.get_mut(name) {
                        Some(Value::Array(items)) => items.push(value),
                        Some(_) => return Err(redefined(self.ev.at(block.ident.span()), name)),
                        None => {
                            out.insert(name.to_string(), Value::Array(vec![value]));
                        }
                    }
                }
            }
        }
        Ok(out)
    }
}

fn push(out: &mut Map<String, Value>, json: &str, value: Value) {
    match out.get_mut(json) {
        Some(Value::Array(items)) => items.push(value),
        _ => {
            out.insert(json.to_string(), Value::Array(vec![value]));
        }
    }
}

fn no_labels(labels: &[&str], name: &str, at: &Location) -> Result<()> {
    if labels.is_empty() {
        return Ok(());
    }
    Err(JobspecError::Invalid {
        at: at.clone(),
        message: format!("Extraneous label for {name}; no labels are expected for {name} blocks"),
    })
}

fn redefined(at: Location, name: &str) -> JobspecError {
    JobspecError::Invalid {
        at,
        message: format!("Attribute redefined; the argument \"{name}\" was already set"),
    }
}
