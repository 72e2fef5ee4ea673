//! List and map functions: `length`, `concat`, `lookup`, `merge`, `range`, `flatten`, ...

use super::{arg_f64, arg_i64, arg_list, arg_str, num, to_str};
use hcl::eval::FuncArgs;
use hcl::{Map, Value};

pub(super) fn length(args: FuncArgs) -> Result<Value, String> {
    match args.first() {
        Some(Value::String(s)) => Ok(Value::from(s.chars().count())),
        Some(Value::Array(a)) => Ok(Value::from(a.len())),
        Some(Value::Object(o)) => Ok(Value::from(o.len())),
        _ => Err("length needs a string, list or map".into()),
    }
}

pub(super) fn concat(args: FuncArgs) -> Result<Value, String> {
    let mut out = Vec::new();
    for v in args.iter() {
        out.extend(v.as_array().cloned().unwrap_or_default());
    }
    Ok(Value::Array(out))
}

pub(super) fn contains(args: FuncArgs) -> Result<Value, String> {
    let needle = args.get(1).ok_or("contains needs two arguments")?;
    Ok(arg_list(&args, 0)?.contains(needle).into())
}

/// Object keys in lexical order, as HCL's maps are ordered.
pub(super) fn keys(args: FuncArgs) -> Result<Value, String> {
    let mut k: Vec<String> = object(&args, 0)?.keys().cloned().collect();
    k.sort();
    Ok(Value::Array(k.into_iter().map(Value::from).collect()))
}

/// Object values in the lexical order of their keys.
pub(super) fn values(args: FuncArgs) -> Result<Value, String> {
    let obj = object(&args, 0)?;
    let mut k: Vec<&String> = obj.keys().collect();
    k.sort();
    Ok(Value::Array(
        k.into_iter().filter_map(|k| obj.get(k).cloned()).collect(),
    ))
}

pub(super) fn lookup(args: FuncArgs) -> Result<Value, String> {
    let obj = object(&args, 0)?;
    let key = arg_str(&args, 1)?;
    match (obj.get(key), args.get(2)) {
        (Some(v), _) => Ok(v.clone()),
        (None, Some(default)) => Ok(default.clone()),
        (None, None) => Err(format!("the given map has no key \"{key}\"")),
    }
}

/// The element at an index, wrapping around like HCL's `element`.
pub(super) fn element(args: FuncArgs) -> Result<Value, String> {
    let list = arg_list(&args, 0)?;
    let i = arg_i64(&args, 1)?;
    if list.is_empty() {
        return Err("cannot use element function with an empty list".into());
    }
    if i < 0 {
        return Err("cannot use element function with a negative index".into());
    }
    Ok(list[(i as usize) % list.len()].clone())
}

pub(super) fn index(args: FuncArgs) -> Result<Value, String> {
    let needle = args.get(1).ok_or("index needs two arguments")?;
    arg_list(&args, 0)?
        .iter()
        .position(|v| v == needle)
        .map(Value::from)
        .ok_or_else(|| "item not found".to_string())
}

/// Drops repeated elements, keeping the first of each.
pub(super) fn distinct(args: FuncArgs) -> Result<Value, String> {
    let mut out: Vec<Value> = Vec::new();
    for v in arg_list(&args, 0)? {
        if !out.contains(v) {
            out.push(v.clone());
        }
    }
    Ok(Value::Array(out))
}

pub(super) fn flatten(args: FuncArgs) -> Result<Value, String> {
    fn add(out: &mut Vec<Value>, v: &Value) {
        match v {
            Value::Array(items) => items.iter().for_each(|i| add(out, i)),
            other => out.push(other.clone()),
        }
    }
    let mut out = Vec::new();
    arg_list(&args, 0)?.iter().for_each(|v| add(&mut out, v));
    Ok(Value::Array(out))
}

pub(super) fn reverse(args: FuncArgs) -> Result<Value, String> {
    Ok(Value::Array(
        arg_list(&args, 0)?.iter().rev().cloned().collect(),
    ))
}

pub(super) fn slice(args: FuncArgs) -> Result<Value, String> {
    let list = arg_list(&args, 0)?;
    let (start, end) = (arg_i64(&args, 1)?, arg_i64(&args, 2)?);
    if start < 0 || end < start || end as usize > list.len() {
        return Err(format!(
            "invalid slice indices {start}..{end} for a list of {}",
            list.len()
        ));
    }
    Ok(Value::Array(list[start as usize..end as usize].to_vec()))
}

pub(super) fn sort(args: FuncArgs) -> Result<Value, String> {
    let mut items = arg_list(&args, 0)?
        .iter()
        .map(to_str)
        .collect::<Result<Vec<_>, _>>()?;
    items.sort();
    Ok(Value::Array(items.into_iter().map(Value::from).collect()))
}

/// `range(end)`, `range(start, end)`, `range(start, end, step)`.
pub(super) fn range(args: FuncArgs) -> Result<Value, String> {
    let (start, end, step) = match args.len() {
        1 => (0.0, arg_f64(&args, 0)?, 1.0),
        2 => (arg_f64(&args, 0)?, arg_f64(&args, 1)?, 1.0),
        3 => (arg_f64(&args, 0)?, arg_f64(&args, 1)?, arg_f64(&args, 2)?),
        _ => return Err("range takes one to three numbers".into()),
    };
    if step == 0.0 || (end > start && step < 0.0) || (end < start && step > 0.0) {
        return Err("range step must move from start towards end".into());
    }
    let mut out = Vec::new();
    let mut v = start;
    while (step > 0.0 && v < end) || (step < 0.0 && v > end) {
        if out.len() >= 1024 {
            return Err("range would produce more than 1024 elements".into());
        }
        out.push(num(v)?);
        v += step;
    }
    Ok(Value::Array(out))
}

/// Drops empty strings and nulls.
pub(super) fn compact(args: FuncArgs) -> Result<Value, String> {
    Ok(Value::Array(
        arg_list(&args, 0)?
            .iter()
            .filter(|v| !v.is_null() && v.as_str() != Some(""))
            .cloned()
            .collect(),
    ))
}

/// The first argument that is neither null nor an empty string.
pub(super) fn coalesce(args: FuncArgs) -> Result<Value, String> {
    args.iter()
        .find(|v| !v.is_null() && v.as_str() != Some(""))
        .cloned()
        .ok_or_else(|| "no non-null, non-empty-string arguments".to_string())
}

/// The first non-empty list.
pub(super) fn coalescelist(args: FuncArgs) -> Result<Value, String> {
    args.iter()
        .find(|v| v.as_array().is_some_and(|a| !a.is_empty()))
        .cloned()
        .ok_or_else(|| "no non-empty list arguments".to_string())
}

/// Merges objects left to right; later keys win; nulls are skipped.
pub(super) fn merge(args: FuncArgs) -> Result<Value, String> {
    let mut out = Map::new();
    for v in args.iter() {
        match v {
            Value::Null => {}
            Value::Object(o) => out.extend(o.iter().map(|(k, v)| (k.clone(), v.clone()))),
            _ => return Err("merge arguments must be maps or objects".into()),
        }
    }
    Ok(Value::Object(out))
}

pub(super) fn zipmap(args: FuncArgs) -> Result<Value, String> {
    let (keys, values) = (arg_list(&args, 0)?, arg_list(&args, 1)?);
    if keys.len() != values.len() {
        return Err("zipmap needs as many values as keys".into());
    }
    let mut out = Map::new();
    for (k, v) in keys.iter().zip(values) {
        out.insert(to_str(k)?, v.clone());
    }
    Ok(Value::Object(out))
}

pub(super) fn tolist(args: FuncArgs) -> Result<Value, String> {
    Ok(Value::Array(arg_list(&args, 0)?.clone()))
}

pub(super) fn tomap(args: FuncArgs) -> Result<Value, String> {
    Ok(Value::Object(object(&args, 0)?.clone()))
}

pub(super) fn sum(args: FuncArgs) -> Result<Value, String> {
    let list = arg_list(&args, 0)?;
    if list.is_empty() {
        return Err("cannot sum an empty list".into());
    }
    let mut total = 0.0;
    for v in list {
        total += v.as_f64().ok_or("sum needs a list of numbers")?;
    }
    num(total)
}

fn object(args: &FuncArgs, i: usize) -> Result<&Map<String, Value>, String> {
    args.get(i)
        .and_then(Value::as_object)
        .ok_or_else(|| format!("argument {} must be a map", i + 1))
}

#[cfg(test)]
mod tests {
    use super::super::tests::eval;
    use hcl::Value;

    fn list(items: &[&str]) -> Result<Value, String> {
        Ok(Value::Array(
            items.iter().map(|s| Value::from(*s)).collect(),
        ))
    }

    #[test]
    fn list_functions() {
        assert_eq!(eval("length(var.l)"), Ok(Value::from(3)));
        assert_eq!(eval("length(\"héllo\")"), Ok(Value::from(5)));
        assert_eq!(eval("distinct(var.l)"), list(&["b", "a"]));
        assert_eq!(eval("sort(var.l)"), list(&["a", "b", "b"]));
        assert_eq!(eval("reverse([\"x\", \"y\"])"), list(&["y", "x"]));
        assert_eq!(eval("concat([\"x\"], var.l)"), list(&["x", "b", "a", "b"]));
        assert_eq!(eval("flatten([[\"x\"], [[\"y\"]]])"), list(&["x", "y"]));
        assert_eq!(eval("slice(var.l, 1, 3)"), list(&["a", "b"]));
        assert!(eval("slice(var.l, 2, 9)").is_err());
        assert_eq!(eval("element(var.l, 4)"), Ok(Value::from("a")));
        assert_eq!(eval("index(var.l, \"a\")"), Ok(Value::from(1)));
        assert_eq!(eval("contains(var.l, \"a\")"), Ok(Value::Bool(true)));
        assert_eq!(eval("compact([\"a\", \"\", null])"), list(&["a"]));
        assert_eq!(
            eval("range(3)"),
            Ok(Value::Array(vec![0.into(), 1.into(), 2.into()]))
        );
        assert_eq!(
            eval("range(10, 4, -3)"),
            Ok(Value::Array(vec![10.into(), 7.into()]))
        );
        assert!(eval("range(1, 5, -1)").is_err());
        assert_eq!(eval("sum([1, 2.5])"), Ok(Value::from(3.5)));
        assert_eq!(eval("coalesce(\"\", null, \"z\")"), Ok(Value::from("z")));
    }

    #[test]
    fn map_functions() {
        assert_eq!(eval("keys({b = 1, a = 2})"), list(&["a", "b"]));
        assert_eq!(
            eval("values({b = 1, a = 2})"),
            Ok(Value::Array(vec![2.into(), 1.into()]))
        );
        assert_eq!(eval("lookup({a = \"x\"}, \"a\")"), Ok(Value::from("x")));
        assert_eq!(
            eval("lookup({a = \"x\"}, \"b\", \"d\")"),
            Ok(Value::from("d"))
        );
        assert!(eval("lookup({a = \"x\"}, \"b\")").is_err());
        assert_eq!(
            eval("merge({a = 1, b = 2}, {b = 3})"),
            eval("{a = 1, b = 3}")
        );
        assert_eq!(eval("zipmap([\"a\"], [1])"), eval("{a = 1}"));
    }
}
