//! The HCL functions a job file may call (`upper(var.x)`, `join(",", var.dcs)`, `file("x")`):
//! a subset of the standard library Nomad's HCL2 offers, written against `hcl::Value`.
//! Arguments are checked by `hcl::eval` against each definition before the function runs.

pub(crate) mod arith;
mod collections;
mod encoding;
mod strings;

use hcl::Value;
use hcl::eval::{Context, FuncArgs, FuncDef, ParamType};

/// A function's name, parameters, optional variadic parameter, and body.
struct Def {
    name: &'static str,
    params: &'static [P],
    variadic: Option<P>,
    func: fn(FuncArgs) -> Result<Value, String>,
}

/// Parameter types as plain data so the table can be a `const`.
#[derive(Clone, Copy)]
enum P {
    Any,
    Str,
    Num,
    List,
    StrList,
    Obj,
}

impl P {
    fn to_param(self) -> ParamType {
        match self {
            P::Any => ParamType::Any,
            P::Str => ParamType::String,
            P::Num => ParamType::Number,
            P::List => ParamType::array_of(ParamType::Any),
            P::StrList => ParamType::array_of(ParamType::String),
            P::Obj => ParamType::object_of(ParamType::Any),
        }
    }
}

const fn d(
    name: &'static str,
    params: &'static [P],
    variadic: Option<P>,
    func: fn(FuncArgs) -> Result<Value, String>,
) -> Def {
    Def {
        name,
        params,
        variadic,
        func,
    }
}

const LIBRARY: &[Def] = &[
    // operators, rewritten into calls (see `arith`)
    d("__add", &[P::Num, P::Num], None, arith::add),
    d("__sub", &[P::Num, P::Num], None, arith::sub),
    d("__mul", &[P::Num, P::Num], None, arith::mul),
    d("__div", &[P::Num, P::Num], None, arith::div),
    d("__mod", &[P::Num, P::Num], None, arith::rem),
    d(arith::NEG, &[P::Num], None, arith::neg),
    // strings
    d("upper", &[P::Str], None, strings::upper),
    d("lower", &[P::Str], None, strings::lower),
    d("title", &[P::Str], None, strings::title),
    d("trimspace", &[P::Str], None, strings::trimspace),
    d("trim", &[P::Str, P::Str], None, strings::trim),
    d("trimprefix", &[P::Str, P::Str], None, strings::trimprefix),
    d("trimsuffix", &[P::Str, P::Str], None, strings::trimsuffix),
    d("chomp", &[P::Str], None, strings::chomp),
    d("replace", &[P::Str, P::Str, P::Str], None, strings::replace),
    d("split", &[P::Str, P::Str], None, strings::split),
    d("join", &[P::Str, P::List], None, strings::join),
    d("substr", &[P::Str, P::Num, P::Num], None, strings::substr),
    d("strrev", &[P::Str], None, strings::strrev),
    d("startswith", &[P::Str, P::Str], None, strings::startswith),
    d("endswith", &[P::Str, P::Str], None, strings::endswith),
    d("strcontains", &[P::Str, P::Str], None, strings::strcontains),
    d("indent", &[P::Num, P::Str], None, strings::indent),
    d("format", &[P::Str], Some(P::Any), strings::format),
    d("tostring", &[P::Any], None, strings::tostring),
    // collections
    d("length", &[P::Any], None, collections::length),
    d("concat", &[], Some(P::List), collections::concat),
    d("contains", &[P::List, P::Any], None, collections::contains),
    d("keys", &[P::Obj], None, collections::keys),
    d("values", &[P::Obj], None, collections::values),
    d(
        "lookup",
        &[P::Obj, P::Str],
        Some(P::Any),
        collections::lookup,
    ),
    d("element", &[P::List, P::Num], None, collections::element),
    d("index", &[P::List, P::Any], None, collections::index),
    d("distinct", &[P::List], None, collections::distinct),
    d("flatten", &[P::List], None, collections::flatten),
    d("reverse", &[P::List], None, collections::reverse),
    d(
        "slice",
        &[P::List, P::Num, P::Num],
        None,
        collections::slice,
    ),
    d("sort", &[P::StrList], None, collections::sort),
    d("range", &[P::Num], Some(P::Num), collections::range),
    d("compact", &[P::List], None, collections::compact),
    d("coalesce", &[], Some(P::Any), collections::coalesce),
    d(
        "coalescelist",
        &[],
        Some(P::List),
        collections::coalescelist,
    ),
    d("merge", &[], Some(P::Any), collections::merge),
    d("zipmap", &[P::StrList, P::List], None, collections::zipmap),
    d("tolist", &[P::List], None, collections::tolist),
    d("toset", &[P::List], None, collections::distinct),
    d("tomap", &[P::Obj], None, collections::tomap),
    d("sum", &[P::List], None, collections::sum),
    // numbers, encodings, files
    d("tonumber", &[P::Any], None, encoding::tonumber),
    d("tobool", &[P::Any], None, encoding::tobool),
    d("min", &[P::Num], Some(P::Num), encoding::min),
    d("max", &[P::Num], Some(P::Num), encoding::max),
    d("abs", &[P::Num], None, encoding::abs),
    d("ceil", &[P::Num], None, encoding::ceil),
    d("floor", &[P::Num], None, encoding::floor),
    d("pow", &[P::Num, P::Num], None, encoding::pow),
    d("signum", &[P::Num], None, encoding::signum),
    d("parseint", &[P::Str, P::Num], None, encoding::parseint),
    d("jsonencode", &[P::Any], None, encoding::jsonencode),
    d("jsondecode", &[P::Str], None, encoding::jsondecode),
    d("base64encode", &[P::Str], None, encoding::base64encode),
    d("base64decode", &[P::Str], None, encoding::base64decode),
    d("file", &[P::Str], None, encoding::file),
    d("fileexists", &[P::Str], None, encoding::fileexists),
];

/// Whether a function of this name is provided.
pub(crate) fn is_known(name: &str) -> bool {
    LIBRARY.iter().any(|def| def.name == name)
}

/// Declares every function in `ctx`.
pub(crate) fn declare_all(ctx: &mut Context<'_>) {
    for def in LIBRARY {
        let mut builder = FuncDef::builder().params(def.params.iter().map(|p| p.to_param()));
        if let Some(v) = def.variadic {
            builder = builder.variadic_param(v.to_param());
        }
        ctx.declare_func(def.name, builder.build(def.func));
    }
}

/// Converts a primitive to its string form, as HCL's string conversion does.
pub(crate) fn to_str(v: &Value) -> Result<String, String> {
    match v {
        Value::String(s) => Ok(s.clone()),
        Value::Number(n) => Ok(n.to_string()),
        Value::Bool(b) => Ok(b.to_string()),
        Value::Null => Err("a null value cannot be converted to a string".into()),
        Value::Array(_) => Err("a list cannot be converted to a string".into()),
        Value::Object(_) => Err("an object cannot be converted to a string".into()),
    }
}

/// The argument at `i` as a string (arguments were type-checked before the call).
pub(crate) fn arg_str(args: &FuncArgs, i: usize) -> Result<&str, String> {
    args.get(i)
        .and_then(Value::as_str)
        .ok_or_else(|| format!("argument {} must be a string", i + 1))
}

/// The argument at `i` as a float.
pub(crate) fn arg_f64(args: &FuncArgs, i: usize) -> Result<f64, String> {
    args.get(i)
        .and_then(Value::as_f64)
        .ok_or_else(|| format!("argument {} must be a number", i + 1))
}

/// The argument at `i` as a whole number.
pub(crate) fn arg_i64(args: &FuncArgs, i: usize) -> Result<i64, String> {
    let f = arg_f64(args, i)?;
    if f.fract() != 0.0 {
        return Err(format!("argument {} must be a whole number", i + 1));
    }
    Ok(f as i64)
}

/// The argument at `i` as a list.
pub(crate) fn arg_list(args: &FuncArgs, i: usize) -> Result<&Vec<Value>, String> {
    args.get(i)
        .and_then(Value::as_array)
        .ok_or_else(|| format!("argument {} must be a list", i + 1))
}

/// A number value from a float, keeping whole numbers integral.
pub(crate) fn num(f: f64) -> Result<Value, String> {
    if f.fract() == 0.0 && f.abs() < 9.0e15 {
        return Ok(Value::from(f as i64));
    }
    hcl::Number::from_f64(f)
        .map(Value::Number)
        .ok_or_else(|| "the result is not a finite number".to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use hcl::eval::Evaluate;

    /// Evaluates an HCL expression with the whole library and `var.l = ["b","a","b"]`.
    pub(crate) fn eval(src: &str) -> Result<Value, String> {
        let mut ctx = Context::new();
        declare_all(&mut ctx);
        let mut vars = hcl::Map::new();
        vars.insert(
            "l".to_string(),
            Value::Array(vec!["b".into(), "a".into(), "b".into()]),
        );
        ctx.declare_var("var", Value::Object(vars));
        let expr: hcl::Expression = src.parse().map_err(|e: hcl::Error| e.to_string())?;
        expr.evaluate(&ctx).map_err(|e| e.to_string())
    }

    #[test]
    fn every_function_is_known_and_declared() {
        for def in LIBRARY {
            assert!(is_known(def.name));
        }
        assert!(!is_known("uuidv4"));
        assert_eq!(eval("upper(\"x\")"), Ok(Value::from("X")));
    }

    #[test]
    fn argument_types_are_checked_before_the_call() {
        assert!(eval("upper([1])").is_err());
        assert!(eval("join(\",\")").is_err());
    }
}
