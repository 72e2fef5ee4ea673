//! Finding what an expression refers to: root variables (`var`, `local`, `attr`, `NOMAD_...`)
//! and function calls, with `for` iterator names in scope. This decides what the parser may
//! evaluate and what must stay as text for the client to interpolate.

use hcl_edit::Span;
use hcl_edit::expr::{Expression, ObjectKey, TraversalOperator};
use hcl_edit::template::{Directive, Element, Template};
use std::ops::Range;

/// Roots the parser evaluates itself; every other root is the scheduler's or client's.
pub(crate) const OWN_ROOTS: [&str; 2] = ["var", "local"];

/// A reference to a root variable, e.g. `var.region` (root `var`, attr `region`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct RootRef {
    pub name: String,
    /// The first attribute or literal index after the root, when there is one.
    pub attr: Option<String>,
    pub span: Option<Range<usize>>,
}

/// A function call by name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct FuncRef {
    pub name: String,
    pub span: Option<Range<usize>>,
}

/// Everything an expression refers to.
#[derive(Debug, Default)]
pub(crate) struct Refs {
    pub roots: Vec<RootRef>,
    pub funcs: Vec<FuncRef>,
}

impl Refs {
    /// All references in `expr`, with `scope` names (iterators) already bound.
    pub(crate) fn of(expr: &Expression, scope: &[String]) -> Refs {
        let mut refs = Refs::default();
        let mut scope = scope.to_vec();
        refs.expr(expr, &mut scope);
        refs
    }

    /// All references in a template directive.
    pub(crate) fn of_directive(dir: &Directive, scope: &[String]) -> Refs {
        let mut refs = Refs::default();
        let mut scope = scope.to_vec();
        refs.directive(dir, &mut scope);
        refs
    }

    /// Whether anything refers to a root the parser does not own.
    pub(crate) fn has_foreign(&self) -> bool {
        self.roots
            .iter()
            .any(|r| !OWN_ROOTS.contains(&r.name.as_str()))
    }

    fn root(&mut self, name: &str, attr: Option<String>, span: Option<Range<usize>>) {
        self.roots.push(RootRef {
            name: name.to_string(),
            attr,
            span,
        });
    }

    fn expr(&mut self, expr: &Expression, scope: &mut Vec<String>) {
        match expr {
            Expression::Null(_)
            | Expression::Bool(_)
            | Expression::Number(_)
            | Expression::String(_) => {}
            Expression::Array(arr) => arr.iter().for_each(|e| self.expr(e, scope)),
            Expression::Object(obj) => {
                for (key, value) in obj.iter() {
                    if let ObjectKey::Expression(k) = key {
                        self.expr(k, scope);
                    }
                    self.expr(value.expr(), scope);
                }
            }
            Expression::StringTemplate(t) => self.template(t, scope),
            Expression::HeredocTemplate(h) => self.template(&h.template, scope),
            Expression::Parenthesis(p) => self.expr(p.inner(), scope),
            Expression::Variable(v) => {
                if !scope.iter().any(|s| s == v.as_str()) {
                    self.root(v.as_str(), None, v.span());
                }
            }
            Expression::Traversal(t) => {
                match &t.expr {
                    Expression::Variable(v) if !scope.iter().any(|s| s == v.as_str()) => {
                        let attr = t.operators.first().and_then(|op| match op.value() {
                            TraversalOperator::GetAttr(a) => Some(a.as_str().to_string()),
                            TraversalOperator::Index(Expression::String(s)) => {
                                Some(s.value().clone())
                            }
                            _ => None,
                        });
                        self.root(v.as_str(), attr, t.span().or_else(|| v.span()));
                    }
                    other => self.expr(other, scope),
                }
                for op in &t.operators {
                    if let TraversalOperator::Index(e) = op.value() {
                        self.expr(e, scope);
                    }
                }
            }
            Expression::FuncCall(call) => {
                let name = if call.name.is_namespaced() {
                    let mut parts: Vec<&str> =
                        call.name.namespace.iter().map(|n| n.as_str()).collect();
                    parts.push(call.name.name.as_str());
                    parts.join("::")
                } else {
                    call.name.name.as_str().to_string()
                };
                self.funcs.push(FuncRef {
                    name,
                    span: call.span(),
                });
                call.args.iter().for_each(|a| self.expr(a, scope));
            }
            Expression::Conditional(c) => {
                self.expr(&c.cond_expr, scope);
                self.expr(&c.true_expr, scope);
                self.expr(&c.false_expr, scope);
            }
            Expression::UnaryOp(op) => self.expr(&op.expr, scope),
            Expression::BinaryOp(op) => {
                self.expr(&op.lhs_expr, scope);
                self.expr(&op.rhs_expr, scope);
            }
            Expression::ForExpr(f) => {
                self.expr(&f.intro.collection_expr, scope);
                let before = scope.len();
                if let Some(k) = &f.intro.key_var {
                    scope.push(k.as_str().to_string());
                }
                scope.push(f.intro.value_var.as_str().to_string());
                if let Some(k) = &f.key_expr {
                    self.expr(k, scope);
                }
                self.expr(&f.value_expr, scope);
                if let Some(c) = &f.cond {
                    self.expr(&c.expr, scope);
                }
                scope.truncate(before);
            }
        }
    }

    fn template(&mut self, template: &Template, scope: &mut Vec<String>) {
        for element in template.iter() {
            match element {
                Element::Literal(_) => {}
                Element::Interpolation(i) => self.expr(&i.expr, scope),
                Element::Directive(d) => self.directive(d, scope),
            }
        }
    }

    fn directive(&mut self, dir: &Directive, scope: &mut Vec<String>) {
        match dir {
            Directive::If(d) => {
                self.expr(&d.if_expr.cond_expr, scope);
                self.template(&d.if_expr.template, scope);
                if let Some(e) = &d.else_expr {
                    self.template(&e.template, scope);
                }
            }
            Directive::For(d) => {
                let f = &d.for_expr;
                self.expr(&f.collection_expr, scope);
                let before = scope.len();
                if let Some(k) = &f.key_var {
                    scope.push(k.as_str().to_string());
                }
                scope.push(f.value_var.as_str().to_string());
                self.template(&f.template, scope);
                scope.truncate(before);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn refs(src: &str) -> Refs {
        let expr: Expression = src.parse().expect("test expression parses");
        Refs::of(&expr, &[])
    }

    fn roots(src: &str) -> Vec<(String, Option<String>)> {
        refs(src)
            .roots
            .into_iter()
            .map(|r| (r.name, r.attr))
            .collect()
    }

    #[test]
    fn finds_roots_and_first_attribute() {
        assert_eq!(
            roots("var.a == local.b[\"c\"] ? attr.kernel.name : NOMAD_ALLOC_ID"),
            vec![
                ("var".into(), Some("a".into())),
                ("local".into(), Some("b".into())),
                ("attr".into(), Some("kernel".into())),
                ("NOMAD_ALLOC_ID".into(), None),
            ]
        );
        assert_eq!(
            roots("\"x-${var.n}-${meta.rack}\""),
            vec![
                ("var".into(), Some("n".into())),
                ("meta".into(), Some("rack".into())),
            ]
        );
    }

    #[test]
    fn for_iterators_are_in_scope() {
        assert_eq!(
            roots("[for k, v in var.m : \"${k}=${v}\" if v != node.x]"),
            vec![
                ("var".into(), Some("m".into())),
                ("node".into(), Some("x".into())),
            ]
        );
        assert_eq!(
            roots("\"%{ for x in var.l }${x}%{ endfor }\""),
            vec![("var".into(), Some("l".into()))]
        );
    }

    #[test]
    fn finds_functions_and_foreign_roots() {
        let r = refs("upper(join(\",\", var.l))");
        let names: Vec<&str> = r.funcs.iter().map(|f| f.name.as_str()).collect();
        assert_eq!(names, vec!["upper", "join"]);
        assert!(!r.has_foreign());
        assert!(refs("env[\"HOME\"]").has_foreign());
        assert!(refs("\"${NOMAD_TASK_DIR}/x\"").has_foreign());
    }
}
