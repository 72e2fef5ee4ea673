//! `dynamic "<type>" { for_each, iterator, labels, content { ... } }`: one `<type>` block per
//! element of `for_each`, with the iterator (named `<type>` unless `iterator` renames it)
//! bound to `{ key, value }` while `labels` and `content` are decoded.

use super::super::error::{JobspecError, Result};
use super::super::schema::BlockSpec;
use super::{Decoder, Nested};
use hcl_edit::Span;
use hcl_edit::expr::Expression;
use hcl_edit::structure::{Block, BlockLabel, Structure};
use serde_json::{Map, Value};
use std::collections::HashMap;

/// The parts of a `dynamic` block.
struct Parts<'b> {
    kind: &'b BlockLabel,
    for_each: &'b Expression,
    iterator: &'b str,
    labels: Option<&'b Expression>,
    content: &'b Block,
}

impl Decoder<'_, '_> {
    /// Expands one `dynamic` block found in a `spec` body at `path` into `out`.
    pub(super) fn dynamic(
        &mut self,
        block: &Block,
        spec: &'static BlockSpec,
        path: &[String],
        seen: &mut HashMap<String, usize>,
        out: &mut Map<String, Value>,
    ) -> Result<()> {
        let parts = self.parts(block)?;
        let kind = parts.kind;
        if spec.field(kind.as_str()).is_none_or(|f| !f.kind.is_block()) {
            return Err(JobspecError::UnknownBlock {
                at: self.ev.at(kind.span()),
                name: kind.as_str().to_string(),
            });
        }
        let at = self.ev.at(kind.span());
        self.each(&parts, |sub, labels| {
            let nested = Nested {
                name: kind.as_str(),
                labels,
                body: &parts.content.body,
                at: at.clone(),
                span: block.span(),
            };
            sub.nested(nested, spec, path, seen, out)
        })
    }

    /// Expands one `dynamic` block inside a free-form body (driver `config`).
    pub(super) fn dynamic_freeform(
        &mut self,
        block: &Block,
        path: &[String],
        out: &mut Map<String, Value>,
    ) -> Result<()> {
        let parts = self.parts(block)?;
        let at = self.ev.at(parts.kind.span());
        self.each(&parts, |sub, labels| {
            let nested = Nested {
                name: parts.kind.as_str(),
                labels,
                body: &parts.content.body,
                at: at.clone(),
                span: block.span(),
            };
            sub.freeform_block(nested, path, out)
        })
    }

    /// Reads and checks the attributes and `content` block of a `dynamic` block.
    fn parts<'b>(&self, block: &'b Block) -> Result<Parts<'b>> {
        let at = self.ev.at(block.ident.span());
        let [kind] = block.labels.as_slice() else {
            return Err(JobspecError::Invalid {
                at,
                message: "Invalid dynamic block; a dynamic block needs exactly one label: the type of the blocks to generate".into(),
            });
        };
        let mut for_each = None;
        let mut iterator = None;
        let mut labels = None;
        let mut content = None;
        for s in block.body.iter() {
            match s {
                Structure::Attribute(a) => match a.key.as_str() {
                    "for_each" => for_each = Some(&a.value),
                    "iterator" => iterator = Some(&a.value),
                    "labels" => labels = Some(&a.value),
                    other => {
                        return Err(JobspecError::UnknownAttribute {
                            at: self.ev.at(a.key.span()),
                            name: other.to_string(),
                            hint: String::new(),
                        });
                    }
                },
                Structure::Block(b) if b.ident.as_str() == "content" && content.is_none() => {
                    content = Some(b);
                }
                Structure::Block(b) => {
                    let name = b.ident.as_str();
                    return Err(if name == "content" {
                        JobspecError::Invalid {
                            at: self.ev.at(b.ident.span()),
                            message:
                                "Duplicate content block; a dynamic block has one content block"
                                    .into(),
                        }
                    } else {
                        JobspecError::UnknownBlock {
                            at: self.ev.at(b.ident.span()),
                            name: name.to_string(),
                        }
                    });
                }
            }
        }
        let for_each = for_each.ok_or_else(|| JobspecError::Invalid {
            at: at.clone(),
            message: "Missing required argument; the argument \"for_each\" is required".into(),
        })?;
        let content = content.ok_or_else(|| JobspecError::Invalid {
            at: at.clone(),
            message: "Missing content block; a dynamic block needs one content block".into(),
        })?;
        let iterator = match iterator {
            None => kind.as_str(),
            Some(Expression::Variable(v)) => v.as_str(),
            Some(other) => {
                return Err(JobspecError::Invalid {
                    at: self.ev.at(other.span()),
                    message: "Invalid dynamic iterator; the iterator must be a bare name".into(),
                });
            }
        };
        Ok(Parts {
            kind,
            for_each,
            iterator,
            labels,
            content,
        })
    }

    /// Runs `f` once per element of `for_each`, with a decoder whose evaluator has the
    /// iterator bound, and the element's evaluated labels.
    fn each(
        &mut self,
        parts: &Parts<'_>,
        mut f: impl FnMut(&mut Decoder<'_, '_>, Vec<String>) -> Result<()>,
    ) -> Result<()> {
        let items: Vec<(hcl::Value, hcl::Value)> = match self.ev.eval_hcl(parts.for_each)? {
            hcl::Value::Array(items) => items
                .into_iter()
                .enumerate()
                .map(|(i, v)| (hcl::Value::from(i), v))
                .collect(),
            hcl::Value::Object(map) => map
                .into_iter()
                .map(|(k, v)| (hcl::Value::from(k), v))
                .collect(),
            hcl::Value::Null => Vec::new(),
            _ => {
                return Err(JobspecError::WrongType {
                    at: self.ev.at(parts.for_each.span()),
                    name: "for_each".into(),
                    expected: "a list or map is".into(),
                });
            }
        };
        for (key, value) in items {
            let mut element = hcl::Map::new();
            element.insert("key".to_string(), key);
            element.insert("value".to_string(), value);
            let child = self
                .ev
                .with_bound(parts.iterator, hcl::Value::Object(element));
            let labels = match parts.labels {
                None => Vec::new(),
                Some(expr) => {
                    string_list(child.eval(expr)?).ok_or_else(|| JobspecError::WrongType {
                        at: child.at(expr.span()),
                        name: "labels".into(),
                        expected: "a list of strings is".into(),
                    })?
                }
            };
            // Decode the content with the iterator bound, keeping one span map.
            let mut sub = Decoder {
                ev: &child,
                spans: std::mem::take(&mut self.spans),
            };
            let result = f(&mut sub, labels);
            self.spans = sub.spans;
            result?;
        }
        Ok(())
    }
}

/// A list of strings (numbers and bools converted), or `None`.
fn string_list(value: Value) -> Option<Vec<String>> {
    let Value::Array(items) = value else {
        return None;
    };
    items
        .into_iter()
        .map(|v| match v {
            Value::String(s) => Some(s),
            Value::Number(n) => Some(n.to_string()),
            Value::Bool(b) => Some(b.to_string()),
            _ => None,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::super::super::tests::{error, group, task};
    use serde_json::json;

    #[test]
    fn generates_labeled_blocks_from_a_map() {
        let g = group(
            r#"
    network {
      dynamic "port" {
        for_each = { http = 8080, admin = 9000 }
        labels   = [port.key]
        content {
          to = port.value
        }
      }
    }
"#,
        );
        assert_eq!(
            g["Networks"][0]["DynamicPorts"],
            json!([{"Label": "http", "To": 8080}, {"Label": "admin", "To": 9000}])
        );
    }

    #[test]
    fn generates_unlabeled_blocks_with_a_renamed_iterator() {
        let t = task(
            r#"
      dynamic "template" {
        for_each = ["a.conf", "b.conf"]
        iterator = file
        content {
          source      = "local/${file.value}.tpl"
          destination = "local/${file.value}"
          data        = "n=${file.key} host=${attr.unique.hostname}"
        }
      }
"#,
        );
        assert_eq!(
            t["Templates"],
            json!([
                {"SourcePath": "local/a.conf.tpl", "DestPath": "local/a.conf", "EmbeddedTmpl": "n=0 host=${attr.unique.hostname}"},
                {"SourcePath": "local/b.conf.tpl", "DestPath": "local/b.conf", "EmbeddedTmpl": "n=1 host=${attr.unique.hostname}"}
            ])
        );
    }

    #[test]
    fn expands_inside_driver_config() {
        let t = task(
            r#"
      config {
        image = "app"
        dynamic "mount" {
          for_each = ["/a", "/b"]
          content {
            target = mount.value
          }
        }
      }
"#,
        );
        assert_eq!(
            t["Config"],
            json!({"image": "app", "mount": [{"target": "/a"}, {"target": "/b"}]})
        );
    }

    #[test]
    fn mistakes_in_dynamic_blocks() {
        let wrap = |b: &str| format!("job \"j\" {{\n  group \"g\" {{\n{b}\n  }}\n}}\n");
        assert_eq!(
            error(&wrap(
                "    dynamic \"tsak\" {\n      for_each = []\n      content {\n      }\n    }"
            )),
            "job.nomad.hcl:3:13: Unsupported block type; blocks of type \"tsak\" are not expected here"
        );
        assert_eq!(
            error(&wrap(
                "    dynamic \"task\" {\n      content {\n      }\n    }"
            )),
            "job.nomad.hcl:3:5: Missing required argument; the argument \"for_each\" is required"
        );
        assert_eq!(
            error(&wrap(
                "    dynamic \"constraint\" {\n      for_each = 3\n      content {\n      }\n    }"
            )),
            "job.nomad.hcl:4:18: Incorrect attribute value type; inappropriate value for attribute \"for_each\": a list or map is required"
        );
        assert_eq!(
            error(&wrap(
                "    dynamic \"task\" {\n      for_each = [1]\n      content {\n      }\n    }"
            )),
            "job.nomad.hcl:3:13: Invalid task block; a task block needs exactly one label (its name), found 0"
        );
    }
}
