//! Number conversions and arithmetic helpers, JSON and base64 encodings, and file reads.

use super::{arg_f64, arg_i64, arg_str, num};
use hcl::Value;
use hcl::eval::FuncArgs;

pub(super) fn tonumber(args: FuncArgs) -> Result<Value, String> {
    match args.first() {
        Some(Value::Number(n)) => Ok(Value::Number(*n)),
        Some(Value::Null) => Ok(Value::Null),
        Some(Value::String(s)) => s
            .trim()
            .parse::<f64>()
            .map_err(|_| format!("cannot convert \"{s}\" to a number"))
            .and_then(num),
        _ => Err("tonumber needs a number or a string".into()),
    }
}

pub(super) fn tobool(args: FuncArgs) -> Result<Value, String> {
    match args.first() {
        Some(Value::Bool(b)) => Ok(Value::Bool(*b)),
        Some(Value::Null) => Ok(Value::Null),
        Some(Value::String(s)) if s == "true" => Ok(Value::Bool(true)),
        Some(Value::String(s)) if s == "false" => Ok(Value::Bool(false)),
        _ => Err("tobool needs a bool or the string \"true\" or \"false\"".into()),
    }
}

pub(super) fn min(args: FuncArgs) -> Result<Value, String> {
    fold(&args, f64::min)
}

pub(super) fn max(args: FuncArgs) -> Result<Value, String> {
    fold(&args, f64::max)
}

fn fold(args: &FuncArgs, f: fn(f64, f64) -> f64) -> Result<Value, String> {
    let mut acc = arg_f64(args, 0)?;
    for i in 1..args.len() {
        acc = f(acc, arg_f64(args, i)?);
    }
    num(acc)
}

pub(super) fn abs(args: FuncArgs) -> Result<Value, String> {
    num(arg_f64(&args, 0)?.abs())
}

pub(super) fn ceil(args: FuncArgs) -> Result<Value, String> {
    num(arg_f64(&args, 0)?.ceil())
}

pub(super) fn floor(args: FuncArgs) -> Result<Value, String> {
    num(arg_f64(&args, 0)?.floor())
}

pub(super) fn pow(args: FuncArgs) -> Result<Value, String> {
    num(arg_f64(&args, 0)?.powf(arg_f64(&args, 1)?))
}

pub(super) fn signum(args: FuncArgs) -> Result<Value, String> {
    let n = arg_f64(&args, 0)?;
    num(if n > 0.0 {
        1.0
    } else if n < 0.0 {
        -1.0
    } else {
        0.0
    })
}

pub(super) fn parseint(args: FuncArgs) -> Result<Value, String> {
    let s = arg_str(&args, 0)?;
    let base = u32::try_from(arg_i64(&args, 1)?).map_err(|_| "invalid base")?;
    if !(2..=36).contains(&base) {
        return Err("base must be between 2 and 36".into());
    }
    i64::from_str_radix(s, base)
        .map(Value::from)
        .map_err(|_| format!("cannot parse \"{s}\" as a base {base} integer"))
}

pub(super) fn jsonencode(args: FuncArgs) -> Result<Value, String> {
    let v = args.first().ok_or("jsonencode needs one argument")?;
    serde_json::to_string(v)
        .map(Value::from)
        .map_err(|e| e.to_string())
}

pub(super) fn jsondecode(args: FuncArgs) -> Result<Value, String> {
    serde_json::from_str::<Value>(arg_str(&args, 0)?).map_err(|e| format!("invalid JSON: {e}"))
}

const B64: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

pub(super) fn base64encode(args: FuncArgs) -> Result<Value, String> {
    let bytes = arg_str(&args, 0)?.as_bytes();
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let b = [
            chunk[0],
            chunk.get(1).copied().unwrap_or(0),
            chunk.get(2).copied().unwrap_or(0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(char::from(B64[((n >> (18 - 6 * i)) & 63) as usize]));
            } else {
                out.push('=');
            }
        }
    }
    Ok(out.into())
}

pub(super) fn base64decode(args: FuncArgs) -> Result<Value, String> {
    let s = arg_str(&args, 0)?.trim_end_matches('=');
    let mut bits: u32 = 0;
    let mut nbits = 0;
    let mut out = Vec::with_capacity(s.len() * 3 / 4);
    for c in s.bytes() {
        let v = B64
            .iter()
            .position(|&b| b == c)
            .ok_or("the string is not valid base64")?;
        bits = (bits << 6) | v as u32;
        nbits += 6;
        if nbits >= 8 {
            nbits -= 8;
            out.push((bits >> nbits) as u8);
            bits &= (1 << nbits) - 1;
        }
    }
    String::from_utf8(out)
        .map(Value::from)
        .map_err(|_| "the decoded bytes are not UTF-8".to_string())
}

/// Reads a file (relative paths are relative to the current directory, as in Nomad).
pub(super) fn file(args: FuncArgs) -> Result<Value, String> {
    let path = arg_str(&args, 0)?;
    std::fs::read_to_string(path)
        .map(Value::from)
        .map_err(|e| format!("cannot read file \"{path}\": {e}"))
}

pub(super) fn fileexists(args: FuncArgs) -> Result<Value, String> {
    Ok(std::path::Path::new(arg_str(&args, 0)?).is_file().into())
}

#[cfg(test)]
mod tests {
    use super::super::tests::eval;
    use hcl::Value;

    #[test]
    fn numbers() {
        assert_eq!(eval("tonumber(\"42\")"), Ok(Value::from(42)));
        assert!(eval("tonumber(\"x\")").is_err());
        assert_eq!(eval("tobool(\"true\")"), Ok(Value::Bool(true)));
        assert_eq!(eval("min(3, 1, 2)"), Ok(Value::from(1)));
        assert_eq!(eval("max(3, 1.5)"), Ok(Value::from(3)));
        assert_eq!(eval("abs(-2)"), Ok(Value::from(2)));
        assert_eq!(eval("ceil(1.2)"), Ok(Value::from(2)));
        assert_eq!(eval("floor(1.8)"), Ok(Value::from(1)));
        assert_eq!(eval("pow(2, 10)"), Ok(Value::from(1024)));
        assert_eq!(eval("signum(-7)"), Ok(Value::from(-1)));
        assert_eq!(eval("parseint(\"ff\", 16)"), Ok(Value::from(255)));
    }

    #[test]
    fn encodings() {
        assert_eq!(
            eval("jsonencode({a = [1]})"),
            Ok(Value::from("{\"a\":[1]}"))
        );
        assert_eq!(
            eval("jsondecode(\"[true]\")"),
            Ok(Value::Array(vec![true.into()]))
        );
        for (plain, enc) in [
            ("", ""),
            ("f", "Zg=="),
            ("fo", "Zm8="),
            ("foo", "Zm9v"),
            ("nomad!", "bm9tYWQh"),
        ] {
            assert_eq!(
                eval(&format!("base64encode(\"{plain}\")")),
                Ok(Value::from(enc))
            );
            assert_eq!(
                eval(&format!("base64decode(\"{enc}\")")),
                Ok(Value::from(plain))
            );
        }
        assert!(eval("base64decode(\"***\")").is_err());
    }

    #[test]
    fn files() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("f.txt");
        std::fs::write(&path, "content").expect("write temp file");
        let p = path.display().to_string();
        assert_eq!(eval(&format!("file(\"{p}\")")), Ok(Value::from("content")));
        assert_eq!(eval(&format!("fileexists(\"{p}\")")), Ok(Value::Bool(true)));
        assert!(eval("file(\"/nonexistent/nomad/file\")").is_err());
    }
}
