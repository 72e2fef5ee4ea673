//! String functions: case, trimming, splitting and joining, `substr`, `indent`, `format`.

use super::{arg_i64, arg_list, arg_str, to_str};
use hcl::Value;
use hcl::eval::FuncArgs;

/// Upper bound for widths, precisions and indents, so a typo cannot allocate gigabytes.
const MAX_PAD: usize = 1024;

pub(super) fn upper(args: FuncArgs) -> Result<Value, String> {
    Ok(arg_str(&args, 0)?.to_uppercase().into())
}

pub(super) fn lower(args: FuncArgs) -> Result<Value, String> {
    Ok(arg_str(&args, 0)?.to_lowercase().into())
}

/// Upper-cases the first letter of every word.
pub(super) fn title(args: FuncArgs) -> Result<Value, String> {
    let mut out = String::new();
    let mut at_start = true;
    for c in arg_str(&args, 0)?.chars() {
        if at_start && c.is_alphabetic() {
            out.extend(c.to_uppercase());
        } else {
            out.push(c);
        }
        at_start = !c.is_alphanumeric();
    }
    Ok(out.into())
}

pub(super) fn trimspace(args: FuncArgs) -> Result<Value, String> {
    Ok(arg_str(&args, 0)?.trim().into())
}

/// Removes any of the characters in the second argument from both ends.
pub(super) fn trim(args: FuncArgs) -> Result<Value, String> {
    let cut: Vec<char> = arg_str(&args, 1)?.chars().collect();
    Ok(arg_str(&args, 0)?.trim_matches(|c| cut.contains(&c)).into())
}

pub(super) fn trimprefix(args: FuncArgs) -> Result<Value, String> {
    let s = arg_str(&args, 0)?;
    Ok(s.strip_prefix(arg_str(&args, 1)?).unwrap_or(s).into())
}

pub(super) fn trimsuffix(args: FuncArgs) -> Result<Value, String> {
    let s = arg_str(&args, 0)?;
    Ok(s.strip_suffix(arg_str(&args, 1)?).unwrap_or(s).into())
}

/// Removes trailing newlines.
pub(super) fn chomp(args: FuncArgs) -> Result<Value, String> {
    Ok(arg_str(&args, 0)?.trim_end_matches(['\n', '\r']).into())
}

/// Plain substring replacement (regular expressions are not supported).
pub(super) fn replace(args: FuncArgs) -> Result<Value, String> {
    let (s, from, to) = (arg_str(&args, 0)?, arg_str(&args, 1)?, arg_str(&args, 2)?);
    if from.len() > 1 && from.starts_with('/') && from.ends_with('/') {
        return Err("regular expressions in replace() are not supported".into());
    }
    Ok(s.replace(from, to).into())
}

pub(super) fn split(args: FuncArgs) -> Result<Value, String> {
    let (sep, s) = (arg_str(&args, 0)?, arg_str(&args, 1)?);
    if s.is_empty() {
        return Ok(Value::Array(vec![Value::from("")]));
    }
    Ok(Value::Array(s.split(sep).map(Value::from).collect()))
}

pub(super) fn join(args: FuncArgs) -> Result<Value, String> {
    let sep = arg_str(&args, 0)?;
    let parts = arg_list(&args, 1)?
        .iter()
        .map(to_str)
        .collect::<Result<Vec<_>, _>>()?;
    Ok(parts.join(sep).into())
}

/// Characters from `offset` (negative counts from the end), `length` of them (-1: the rest).
pub(super) fn substr(args: FuncArgs) -> Result<Value, String> {
    let chars: Vec<char> = arg_str(&args, 0)?.chars().collect();
    let len = chars.len() as i64;
    let mut offset = arg_i64(&args, 1)?;
    if offset < 0 {
        offset += len;
    }
    let offset = offset.clamp(0, len);
    let length = arg_i64(&args, 2)?;
    let end = if length < 0 {
        len
    } else {
        offset.saturating_add(length).min(len)
    };
    Ok(chars[offset as usize..end.max(offset) as usize]
        .iter()
        .collect::<String>()
        .into())
}

pub(super) fn strrev(args: FuncArgs) -> Result<Value, String> {
    Ok(arg_str(&args, 0)?.chars().rev().collect::<String>().into())
}

pub(super) fn startswith(args: FuncArgs) -> Result<Value, String> {
    Ok(arg_str(&args, 0)?.starts_with(arg_str(&args, 1)?).into())
}

pub(super) fn endswith(args: FuncArgs) -> Result<Value, String> {
    Ok(arg_str(&args, 0)?.ends_with(arg_str(&args, 1)?).into())
}

pub(super) fn strcontains(args: FuncArgs) -> Result<Value, String> {
    Ok(arg_str(&args, 0)?.contains(arg_str(&args, 1)?).into())
}

/// Indents every line but the first by `n` spaces.
pub(super) fn indent(args: FuncArgs) -> Result<Value, String> {
    let n = usize::try_from(arg_i64(&args, 0)?).map_err(|_| "indent must not be negative")?;
    if n > MAX_PAD {
        return Err(format!("indent must be at most {MAX_PAD}"));
    }
    let pad = " ".repeat(n);
    let s = arg_str(&args, 1)?;
    Ok(s.replace('\n', &format!("\n{pad}")).into())
}

pub(super) fn tostring(args: FuncArgs) -> Result<Value, String> {
    match args.first() {
        Some(Value::Null) => Ok(Value::Null),
        Some(v) => to_str(v).map(Value::from),
        None => Err("tostring needs one argument".into()),
    }
}

/// `format("%s-%03d", a, b)`: verbs `%s %d %f %v %q %t %%`, with optional width, zero padding
/// and (for `%f`) precision.
pub(super) fn format(args: FuncArgs) -> Result<Value, String> {
    let spec = arg_str(&args, 0)?;
    let mut values = args.iter().skip(1);
    let mut out = String::new();
    let mut chars = spec.chars().peekable();
    while let Some(c) = chars.next() {
        if c != '%' {
            out.push(c);
            continue;
        }
        let mut flags = String::new();
        while let Some(&c) = chars.peek() {
            if c.is_ascii_digit() || c == '.' || c == '-' {
                flags.push(c);
                chars.next();
            } else {
                break;
            }
        }
        let verb = chars
            .next()
            .ok_or("format string ends with an unfinished verb")?;
        if verb == '%' {
            out.push('%');
            continue;
        }
        let value = values
            .next()
            .ok_or_else(|| format!("not enough arguments for %{verb}"))?;
        let text = match verb {
            's' | 'v' => to_str(value)?,
            'q' => serde_json::to_string(&to_str(value)?).map_err(|e| e.to_string())?,
            't' => value.as_bool().ok_or("%t needs a bool")?.to_string(),
            'd' => {
                let n = value.as_f64().ok_or("%d needs a number")?;
                if n.fract() != 0.0 {
                    return Err("%d needs a whole number".into());
                }
                (n as i64).to_string()
            }
            'f' => {
                let n = value.as_f64().ok_or("%f needs a number")?;
                let prec = flags
                    .split_once('.')
                    .and_then(|(_, p)| p.parse::<usize>().ok())
                    .unwrap_or(6)
                    .min(MAX_PAD);
                format!("{n:.prec$}")
            }
            other => return Err(format!("unsupported format verb %{other}")),
        };
        out.push_str(&pad(&text, &flags));
    }
    Ok(out.into())
}

/// Applies `-` (left align), `0` (zero pad) and width flags.
fn pad(text: &str, flags: &str) -> String {
    let width_part = flags.split('.').next().unwrap_or("");
    let left = width_part.starts_with('-');
    let digits = width_part.trim_start_matches('-');
    let zero = digits.starts_with('0');
    // Too many digits to parse is as good as "too wide".
    let width = match digits.parse::<usize>() {
        Ok(w) => w.min(MAX_PAD),
        Err(_) if digits.is_empty() => 0,
        Err(_) => MAX_PAD,
    };
    let len = text.chars().count();
    if len >= width {
        return text.to_string();
    }
    let fill = width - len;
    if left {
        format!("{text}{}", " ".repeat(fill))
    } else if zero {
        match text.strip_prefix('-') {
            Some(rest) => format!("-{}{rest}", "0".repeat(fill)),
            None => format!("{}{text}", "0".repeat(fill)),
        }
    } else {
        format!("{}{text}", " ".repeat(fill))
    }
}

#[cfg(test)]
mod tests {
    use super::super::tests::eval;
    use super::MAX_PAD;
    use hcl::Value;

    fn s(v: &str) -> Result<Value, String> {
        Ok(Value::from(v))
    }

    #[test]
    fn case_and_trim() {
        assert_eq!(eval("lower(\"AbC\")"), s("abc"));
        assert_eq!(eval("title(\"hello big-world\")"), s("Hello Big-World"));
        assert_eq!(eval("trimspace(\"  x \\n\")"), s("x"));
        assert_eq!(eval("trim(\"?!x!?\", \"!?\")"), s("x"));
        assert_eq!(eval("trimprefix(\"web-1\", \"web-\")"), s("1"));
        assert_eq!(eval("trimsuffix(\"a.hcl\", \".hcl\")"), s("a"));
        assert_eq!(eval("chomp(\"x\\n\\n\")"), s("x"));
    }

    #[test]
    fn split_join_replace_substr() {
        assert_eq!(
            eval("split(\",\", \"a,b\")"),
            Ok(Value::Array(vec!["a".into(), "b".into()]))
        );
        assert_eq!(eval("join(\"-\", var.l)"), s("b-a-b"));
        assert_eq!(eval("join(\",\", [1, true])"), s("1,true"));
        assert_eq!(eval("replace(\"a.b.c\", \".\", \"/\")"), s("a/b/c"));
        assert!(eval("replace(\"a\", \"/a/\", \"b\")").is_err());
        assert_eq!(eval("substr(\"hello\", 1, 3)"), s("ell"));
        assert_eq!(eval("substr(\"hello\", -3, -1)"), s("llo"));
        assert_eq!(
            eval("substr(\"abc\", 9223372036854775807, 9223372036854775807)"),
            s("")
        );
        assert_eq!(eval("strrev(\"abc\")"), s("cba"));
        assert_eq!(eval("indent(2, \"a\\nb\")"), s("a\n  b"));
        assert_eq!(eval("startswith(\"nomad\", \"no\")"), Ok(Value::Bool(true)));
    }

    #[test]
    fn format_verbs() {
        assert_eq!(eval("format(\"%s-%03d\", \"web\", 7)"), s("web-007"));
        assert_eq!(eval("format(\"%.2f%%\", 12.345)"), s("12.35%"));
        assert_eq!(
            eval("format(\"%q %t %v\", \"a\", true, 3)"),
            s("\"a\" true 3")
        );
        assert_eq!(eval("format(\"[%-4s]\", \"ab\")"), s("[ab  ]"));
        let wide = eval("format(\"%99999999999999999999s\", \"x\")");
        assert_eq!(wide.map(|v| v.as_str().map(str::len)), Ok(Some(MAX_PAD)));
        assert!(eval("indent(100000000, \"a\\nb\")").is_err());
        assert!(eval("format(\"%s %s\", \"a\")").is_err());
        assert!(eval("format(\"%d\", 1.5)").is_err());
        assert_eq!(eval("tostring(5)"), s("5"));
    }
}
