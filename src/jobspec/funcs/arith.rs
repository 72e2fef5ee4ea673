//! Checked arithmetic for the operators `+ - * / %` and unary `-`. hcl-rs's own number
//! operations panic on division by zero and integer overflow, so the evaluator rewrites every
//! arithmetic operator into a call to one of these (`__div(a, b)`), which return errors instead.

use super::{arg_f64, num};
use hcl::Value;
use hcl::eval::FuncArgs;

/// The internal function standing for a binary operator, if it is arithmetic.
pub(crate) fn binary_name(op: hcl_edit::expr::BinaryOperator) -> Option<&'static str> {
    use hcl_edit::expr::BinaryOperator as B;
    Some(match op {
        B::Plus => "__add",
        B::Minus => "__sub",
        B::Mul => "__mul",
        B::Div => "__div",
        B::Mod => "__mod",
        _ => return None,
    })
}

/// The internal function standing for unary minus.
pub(crate) const NEG: &str = "__neg";

/// Both operands as integers, when they are.
fn ints(args: &FuncArgs) -> Option<(i64, i64)> {
    Some((args.first()?.as_i64()?, args.get(1)?.as_i64()?))
}

/// Integer result when it fits, else the float result.
fn int_or_float(int: Option<i64>, float: f64) -> Result<Value, String> {
    match int {
        Some(i) => Ok(Value::from(i)),
        None => num(float),
    }
}

pub(super) fn add(args: FuncArgs) -> Result<Value, String> {
    let int = ints(&args).and_then(|(a, b)| a.checked_add(b));
    int_or_float(int, arg_f64(&args, 0)? + arg_f64(&args, 1)?)
}

pub(super) fn sub(args: FuncArgs) -> Result<Value, String> {
    let int = ints(&args).and_then(|(a, b)| a.checked_sub(b));
    int_or_float(int, arg_f64(&args, 0)? - arg_f64(&args, 1)?)
}

pub(super) fn mul(args: FuncArgs) -> Result<Value, String> {
    let int = ints(&args).and_then(|(a, b)| a.checked_mul(b));
    int_or_float(int, arg_f64(&args, 0)? * arg_f64(&args, 1)?)
}

pub(super) fn div(args: FuncArgs) -> Result<Value, String> {
    let b = arg_f64(&args, 1)?;
    if b == 0.0 {
        return Err("division by zero".into());
    }
    // An exact integer quotient stays an integer; 7 / 2 is 3.5 as in HCL.
    let int = ints(&args).and_then(|(a, b)| {
        a.checked_rem(b)
            .filter(|r| *r == 0)
            .and_then(|_| a.checked_div(b))
    });
    int_or_float(int, arg_f64(&args, 0)? / b)
}

pub(super) fn rem(args: FuncArgs) -> Result<Value, String> {
    let b = arg_f64(&args, 1)?;
    if b == 0.0 {
        return Err("modulo by zero".into());
    }
    let int = ints(&args).and_then(|(a, b)| a.checked_rem(b));
    int_or_float(int, arg_f64(&args, 0)? % b)
}

pub(super) fn neg(args: FuncArgs) -> Result<Value, String> {
    let int = args
        .first()
        .and_then(Value::as_i64)
        .and_then(i64::checked_neg);
    int_or_float(int, -arg_f64(&args, 0)?)
}

#[cfg(test)]
mod tests {
    use super::super::tests::eval;
    use hcl::Value;

    #[test]
    fn checked_operations() {
        assert_eq!(eval("__add(2, 3)"), Ok(Value::from(5)));
        assert_eq!(eval("__sub(2, 3.5)"), Ok(Value::from(-1.5)));
        assert_eq!(eval("__mul(4, 5)"), Ok(Value::from(20)));
        assert_eq!(eval("__div(8, 2)"), Ok(Value::from(4)));
        assert_eq!(eval("__div(7, 2)"), Ok(Value::from(3.5)));
        assert_eq!(eval("__mod(10, 3)"), Ok(Value::from(1)));
        assert_eq!(eval("__neg(5)"), Ok(Value::from(-5)));
        assert!(eval("__div(1, 0)").is_err());
        assert!(eval("__mod(1, 0)").is_err());
        // Integer overflow falls back to a float instead of panicking.
        assert_eq!(
            eval("__mul(9223372036854775807, 3)").map(|v| v.as_f64().is_some()),
            Ok(true)
        );
        assert!(eval("__add(\"a\", 1)").is_err());
    }
}
