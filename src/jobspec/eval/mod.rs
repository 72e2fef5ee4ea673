//! Evaluating attribute expressions to JSON. `var.*` and `local.*` (and the functions in
//! `funcs`) are evaluated here; every other root (`attr`, `node`, `meta`, `env`, `NOMAD_*`) is
//! the scheduler's or the client's, so inside strings it is kept as written and anywhere else it
//! is an error. Errors carry the position of the offending reference.

mod refs;
mod rewrite;

pub(crate) use refs::Refs;

use super::error::{JobspecError, Location, Result, one_line};
use super::funcs;
use super::span::{LineIndex, Pos};
use hcl::eval::{Context, Evaluate};
use hcl_edit::Span;
use hcl_edit::expr::Expression;
use std::collections::BTreeSet;

/// Evaluates expressions of one file against its variables and locals.
#[derive(Clone)]
pub(crate) struct Evaluator<'a> {
    ctx: Context<'static>,
    vars: BTreeSet<String>,
    locals: BTreeSet<String>,
    /// Extra names bound by enclosing `dynamic` blocks (their iterators).
    bound: Vec<String>,
    file: &'a str,
    lines: &'a LineIndex<'a>,
}

impl<'a> Evaluator<'a> {
    /// An evaluator with the function library and no variables or locals yet.
    pub(crate) fn new(file: &'a str, lines: &'a LineIndex<'a>) -> Self {
        let mut ctx = Context::new();
        funcs::declare_all(&mut ctx);
        ctx.declare_var("var", hcl::Value::Object(hcl::Map::new()));
        ctx.declare_var("local", hcl::Value::Object(hcl::Map::new()));
        Evaluator {
            ctx,
            vars: BTreeSet::new(),
            locals: BTreeSet::new(),
            bound: Vec::new(),
            file,
            lines,
        }
    }

    /// Makes `var.<name>` available for every variable in `values`.
    pub(crate) fn set_vars(&mut self, values: hcl::Map<String, hcl::Value>) {
        self.vars = values.keys().cloned().collect();
        self.ctx.declare_var("var", hcl::Value::Object(values));
    }

    /// Makes `local.<name>` available for every local in `values`.
    pub(crate) fn set_locals(&mut self, values: hcl::Map<String, hcl::Value>) {
        self.locals = values.keys().cloned().collect();
        self.ctx.declare_var("local", hcl::Value::Object(values));
    }

    /// A copy of this evaluator with `name` bound to `value` (a `dynamic` block iterator).
    pub(crate) fn with_bound(&self, name: &str, value: hcl::Value) -> Evaluator<'a> {
        let mut ev = self.clone();
        ev.ctx.declare_var(name, value);
        ev.bound.push(name.to_string());
        ev
    }

    /// The file name errors are reported against.
    pub(crate) fn file(&self) -> &'a str {
        self.file
    }

    /// The position of a byte offset in this file.
    pub(crate) fn pos(&self, offset: usize) -> Pos {
        self.lines.pos(offset)
    }

    /// A location from an optional byte range.
    pub(crate) fn at(&self, span: Option<std::ops::Range<usize>>) -> Location {
        Location::new(self.file, span.map(|r| self.lines.pos(r.start)))
    }

    /// Evaluates `expr` to HCL's value model.
    pub(crate) fn eval_hcl(&self, expr: &Expression) -> Result<hcl::Value> {
        // The rewrite may replace the outermost node, so take the position first.
        let span = expr.span();
        let mut expr = expr.clone();
        rewrite::keep_foreign_as_text(&mut expr, self.lines.src(), &self.bound);
        self.check_refs(&expr)?;
        let hexpr: hcl::Expression = expr.into();
        hexpr.evaluate(&self.ctx).map_err(|e| JobspecError::Eval {
            at: self.at(span),
            message: eval_message(&e.to_string()),
        })
    }

    /// Evaluates `expr` to JSON.
    pub(crate) fn eval(&self, expr: &Expression) -> Result<serde_json::Value> {
        let value = self.eval_hcl(expr)?;
        serde_json::to_value(&value).map_err(|e| JobspecError::Eval {
            at: self.at(expr.span()),
            message: one_line(&e.to_string()),
        })
    }

    /// Refuses references the parser cannot resolve: undeclared `var.x`, unknown `local.x`,
    /// runtime roots outside strings, unknown functions.
    fn check_refs(&self, expr: &Expression) -> Result<()> {
        let refs = Refs::of(expr, &self.bound);
        for root in &refs.roots {
            let known = match (root.name.as_str(), &root.attr) {
                ("var", Some(attr)) => self.vars.contains(attr),
                ("local", Some(attr)) => self.locals.contains(attr),
                ("var" | "local", None) => true,
                _ => false,
            };
            if !known {
                let name = match (root.name.as_str(), &root.attr) {
                    ("var", Some(attr)) => attr.clone(),
                    ("local", Some(attr)) => format!("local.{attr}"),
                    _ => root.name.clone(),
                };
                return Err(JobspecError::UndefinedVariable {
                    at: self.at(root.span.clone()),
                    name,
                });
            }
        }
        if let Some(f) = refs.funcs.iter().find(|f| !funcs::is_known(&f.name)) {
            return Err(JobspecError::UnsupportedFunction {
                at: self.at(f.span.clone()),
                name: f.name.clone(),
            });
        }
        Ok(())
    }
}

/// hcl-rs's message without its "in expression `...`" tail (the position says where) and
/// without the names of the internal operator functions.
fn eval_message(raw: &str) -> String {
    let mut text = one_line(raw);
    if let Some(i) = text.find(" in expression `") {
        text.truncate(i);
    }
    if let Some(rest) = text.strip_prefix("error calling function `__")
        && let Some((_, detail)) = rest.split_once("`: ")
    {
        return detail.to_string();
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;
    use hcl_edit::structure::Body;
    use serde_json::json;

    /// Evaluates attribute `x` of `src` with `var.name = "web"`, `var.n = 3`, `local.env = "prod"`.
    fn eval(src: &str) -> Result<serde_json::Value> {
        let lines = LineIndex::new(src);
        let mut ev = Evaluator::new("t.hcl", &lines);
        let mut vars = hcl::Map::new();
        vars.insert("name".to_string(), hcl::Value::from("web"));
        vars.insert("n".to_string(), hcl::Value::from(3));
        ev.set_vars(vars);
        let mut locals = hcl::Map::new();
        locals.insert("env".to_string(), hcl::Value::from("prod"));
        ev.set_locals(locals);
        let body: Body =
            src.parse()
                .map_err(|e: hcl_edit::parser::Error| JobspecError::Syntax {
                    at: Location::new("t.hcl", None),
                    message: e.message().to_string(),
                })?;
        let attr = body
            .get_attribute("x")
            .ok_or_else(|| JobspecError::Invalid {
                at: Location::new("t.hcl", None),
                message: "no x".into(),
            })?;
        ev.eval(&attr.value)
    }

    #[test]
    fn evaluates_vars_locals_and_functions() {
        assert_eq!(eval("x = var.n").ok(), Some(json!(3)));
        assert_eq!(
            eval("x = \"${var.name}-${local.env}\"").ok(),
            Some(json!("web-prod"))
        );
        assert_eq!(eval("x = \"${var.n}\"").ok(), Some(json!(3)));
        assert_eq!(eval("x = upper(var.name)").ok(), Some(json!("WEB")));
        assert_eq!(
            eval("x = var.n > 2 ? \"big\" : \"small\"").ok(),
            Some(json!("big"))
        );
        assert_eq!(
            eval("x = [for i in range(var.n) : \"${var.name}-${i}\"]").ok(),
            Some(json!(["web-0", "web-1", "web-2"]))
        );
        assert_eq!(
            eval("x = {a = 1, b = [true, null]}").ok(),
            Some(json!({"a": 1, "b": [true, null]}))
        );
    }

    #[test]
    fn keeps_runtime_interpolations() {
        assert_eq!(
            eval("x = \"${attr.kernel.name}\"").ok(),
            Some(json!("${attr.kernel.name}"))
        );
        assert_eq!(
            eval("x = \"${var.name}-${NOMAD_ALLOC_INDEX}\"").ok(),
            Some(json!("web-${NOMAD_ALLOC_INDEX}"))
        );
        assert_eq!(
            eval("x = [\"${meta.rack}\", \"${node.unique.name}\", \"${env[\"HOME\"]}\"]").ok(),
            Some(json!([
                "${meta.rack}",
                "${node.unique.name}",
                "${env[\"HOME\"]}"
            ]))
        );
        assert_eq!(
            eval("x = <<EOT\nhost=${attr.unique.hostname} app=${var.name}\nEOT\n").ok(),
            Some(json!("host=${attr.unique.hostname} app=web\n"))
        );
        assert_eq!(
            eval("x = \"$${var.name}\"").ok(),
            Some(json!("${var.name}"))
        );
    }

    #[test]
    fn reports_unresolvable_references_with_position() {
        let e = eval("\n  x = \"a-${var.nope}\"")
            .err()
            .map(|e| e.to_string());
        assert_eq!(
            e.as_deref(),
            Some("t.hcl:2:12: Unknown variable; there is no variable named \"nope\"")
        );
        let e = eval("x = local.nope").err().map(|e| e.to_string());
        assert_eq!(
            e.as_deref(),
            Some("t.hcl:1:5: Unknown variable; there is no variable named \"local.nope\"")
        );
        let e = eval("x = attr.kernel.name").err().map(|e| e.to_string());
        assert_eq!(
            e.as_deref(),
            Some("t.hcl:1:5: Unknown variable; there is no variable named \"attr\"")
        );
        let e = eval("x = uuidv4()").err().map(|e| e.to_string());
        assert_eq!(
            e.as_deref(),
            Some("t.hcl:1:5: Call to unknown function; there is no function named \"uuidv4\"")
        );
        let e = eval("x = 1 + \"a\"").err();
        assert!(matches!(e, Some(JobspecError::Eval { .. })), "{e:?}");
        let e = eval("x = [1, var.n / 0]").err().map(|e| e.to_string());
        assert_eq!(
            e.as_deref(),
            Some("t.hcl:1:5: Invalid expression; division by zero")
        );
    }
}
