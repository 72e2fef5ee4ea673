//! Preparing an expression for evaluation:
//! * keeping runtime interpolations as text: in every template, an interpolation or directive
//!   that refers to anything but `var`/`local` (e.g. `${attr.x}`, `${NOMAD_ALLOC_ID}`,
//!   `${meta.rack}`) becomes a literal holding its source text, so evaluating the rest leaves
//!   it exactly as written for the scheduler and client;
//! * checked arithmetic: `a / b` becomes `__div(a, b)` (and so on), because hcl-rs's own
//!   operators panic on division by zero and overflow.

use super::super::funcs::arith;
use super::refs::Refs;
use hcl_edit::expr::{Expression, FuncArgs, FuncCall, UnaryOperator};
use hcl_edit::template::{Element, Template};
use hcl_edit::{Ident, Span};
use hcl_edit::{Spanned, template::Directive};

/// Rewrites `expr` in place; `src` is the text it was parsed from (for the literal text) and
/// `bound` the names already bound around it (`dynamic` block iterators).
pub(crate) fn keep_foreign_as_text(expr: &mut Expression, src: &str, bound: &[String]) {
    let mut scope = bound.to_vec();
    walk(expr, src, &mut scope);
}

fn walk(expr: &mut Expression, src: &str, scope: &mut Vec<String>) {
    match expr {
        Expression::Null(_)
        | Expression::Bool(_)
        | Expression::Number(_)
        | Expression::String(_)
        | Expression::Variable(_) => {}
        Expression::Array(arr) => arr.iter_mut().for_each(|e| walk(e, src, scope)),
        Expression::Object(obj) => {
            for (_, value) in obj.iter_mut() {
                walk(value.expr_mut(), src, scope);
            }
        }
        Expression::StringTemplate(t) => template(t, src, scope),
        Expression::HeredocTemplate(h) => template(&mut h.template, src, scope),
        Expression::Parenthesis(p) => walk(p.inner_mut(), src, scope),
        Expression::Traversal(t) => {
            walk(&mut t.expr, src, scope);
            for op in t.operators.iter_mut() {
                if let hcl_edit::expr::TraversalOperator::Index(e) = op.value_mut() {
                    walk(e, src, scope);
                }
            }
        }
        Expression::FuncCall(call) => call.args.iter_mut().for_each(|a| walk(a, src, scope)),
        Expression::Conditional(c) => {
            walk(&mut c.cond_expr, src, scope);
            walk(&mut c.true_expr, src, scope);
            walk(&mut c.false_expr, src, scope);
        }
        Expression::UnaryOp(op) => {
            walk(&mut op.expr, src, scope);
            if *op.operator.value() == UnaryOperator::Neg {
                let operand = std::mem::replace(&mut op.expr, Expression::null());
                *expr = call(arith::NEG, vec![operand]);
            }
        }
        Expression::BinaryOp(op) => {
            walk(&mut op.lhs_expr, src, scope);
            walk(&mut op.rhs_expr, src, scope);
            if let Some(name) = arith::binary_name(*op.operator.value()) {
                let lhs = std::mem::replace(&mut op.lhs_expr, Expression::null());
                let rhs = std::mem::replace(&mut op.rhs_expr, Expression::null());
                *expr = call(name, vec![lhs, rhs]);
            }
        }
        Expression::ForExpr(f) => {
            walk(&mut f.intro.collection_expr, src, scope);
            let before = scope.len();
            if let Some(k) = &f.intro.key_var {
                scope.push(k.as_str().to_string());
            }
            scope.push(f.intro.value_var.as_str().to_string());
            if let Some(k) = &mut f.key_expr {
                walk(k, src, scope);
            }
            walk(&mut f.value_expr, src, scope);
            if let Some(c) = &mut f.cond {
                walk(&mut c.expr, src, scope);
            }
            scope.truncate(before);
        }
    }
}

/// A call of one of the internal arithmetic functions.
fn call(name: &'static str, args: Vec<Expression>) -> Expression {
    Expression::FuncCall(Box::new(FuncCall::new(
        Ident::new_unchecked(name),
        FuncArgs::from(args),
    )))
}

fn template(t: &mut Template, src: &str, scope: &mut Vec<String>) {
    for element in t.iter_mut() {
        let foreign = match &*element {
            Element::Literal(_) => false,
            Element::Interpolation(i) => Refs::of(&i.expr, scope).has_foreign(),
            Element::Directive(d) => Refs::of_directive(d, scope).has_foreign(),
        };
        if foreign {
            if let Some(text) = element.span().and_then(|r| src.get(r)) {
                *element = Element::Literal(Spanned::new(text.to_string()));
            }
            continue;
        }
        match element {
            Element::Literal(_) => {}
            Element::Interpolation(i) => walk(&mut i.expr, src, scope),
            Element::Directive(d) => directive(d, src, scope),
        }
    }
}

fn directive(d: &mut Directive, src: &str, scope: &mut Vec<String>) {
    match d {
        Directive::If(d) => {
            walk(&mut d.if_expr.cond_expr, src, scope);
            template(&mut d.if_expr.template, src, scope);
            if let Some(e) = &mut d.else_expr {
                template(&mut e.template, src, scope);
            }
        }
        Directive::For(d) => {
            let f = &mut d.for_expr;
            walk(&mut f.collection_expr, src, scope);
            let before = scope.len();
            if let Some(k) = &f.key_var {
                scope.push(k.as_str().to_string());
            }
            scope.push(f.value_var.as_str().to_string());
            template(&mut f.template, src, scope);
            scope.truncate(before);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use hcl_edit::structure::Body;

    /// Parses `x = <src>` as a body (so spans are offsets into the body text) and rewrites.
    fn rewritten(value: &str) -> String {
        let text = format!("x = {value}\n");
        let body: Body = text.parse().expect("test body parses");
        let mut expr = body
            .get_attribute("x")
            .map(|a| a.value.clone())
            .expect("attribute x");
        keep_foreign_as_text(&mut expr, &text, &[]);
        // Multi-line output (arrays) is joined so expectations stay on one line.
        hcl::Expression::from(expr)
            .to_string()
            .lines()
            .map(str::trim)
            .collect::<Vec<_>>()
            .join("")
    }

    #[test]
    fn foreign_interpolations_become_escaped_literals() {
        assert_eq!(
            rewritten("\"${var.a}-${attr.kernel.name}\""),
            "\"${var.a}-$${attr.kernel.name}\""
        );
        assert_eq!(
            rewritten("\"${NOMAD_TASK_DIR}/conf\""),
            "\"$${NOMAD_TASK_DIR}/conf\""
        );
        assert_eq!(rewritten("\"${local.x}\""), "\"${local.x}\"");
    }

    #[test]
    fn arithmetic_becomes_checked_calls() {
        assert_eq!(
            rewritten("var.a * 2 + -var.b"),
            "__add(__mul(var.a, 2), __neg(var.b))"
        );
        assert_eq!(rewritten("\"${var.a / 2}\""), "\"${ __div(var.a, 2) }\"");
        assert_eq!(rewritten("var.a > 2 && !var.b"), "var.a > 2 && !var.b");
    }

    #[test]
    fn nested_templates_are_rewritten_too() {
        assert_eq!(
            rewritten("[\"${meta.rack}\", upper(\"${var.a}\")]"),
            "[\"$${meta.rack}\",upper(\"${var.a}\")]"
        );
    }
}
