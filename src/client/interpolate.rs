//! `${...}` interpolation in task config and env, as Nomad's client does it at run
//! time: `${NOMAD_*}` and the task's own env vars, `${attr.<name>}` (node
//! attributes), `${meta.<key>}` (node meta), `${node.unique.id}`, `${node.region}`,
//! `${node.datacenter}`, `${node.unique.name}`, `${node.class}`, `${node.pool}`.
//! Unknown references are left as written, as Nomad leaves them.

use std::collections::BTreeMap;

/// Replaces every `${key}` whose key is in `vars`.
pub fn interpolate(input: &str, vars: &BTreeMap<String, String>) -> String {
    let mut out = String::with_capacity(input.len());
    let mut rest = input;
    while let Some(start) = rest.find("${") {
        out.push_str(&rest[..start]);
        let after = &rest[start + 2..];
        match after.find('}') {
            Some(end) => {
                let key = after[..end].trim();
                match vars.get(key) {
                    Some(v) => out.push_str(v),
                    None => out.push_str(&rest[start..start + 2 + end + 1]),
                }
                rest = &after[end + 1..];
            }
            None => {
                out.push_str(&rest[start..]);
                rest = "";
            }
        }
    }
    out.push_str(rest);
    out
}

/// Interpolates every string inside a JSON value (driver config), keys included.
pub fn interpolate_value(
    value: &serde_json::Value,
    vars: &BTreeMap<String, String>,
) -> serde_json::Value {
    use serde_json::Value;
    match value {
        Value::String(s) => Value::String(interpolate(s, vars)),
        Value::Array(a) => Value::Array(a.iter().map(|v| interpolate_value(v, vars)).collect()),
        Value::Object(o) => Value::Object(
            o.iter()
                .map(|(k, v)| (interpolate(k, vars), interpolate_value(v, vars)))
                .collect(),
        ),
        other => other.clone(),
    }
}

/// Interpolates a driver `config {}` map.
pub fn interpolate_config(
    config: &BTreeMap<String, serde_json::Value>,
    vars: &BTreeMap<String, String>,
) -> BTreeMap<String, serde_json::Value> {
    config
        .iter()
        .map(|(k, v)| (k.clone(), interpolate_value(v, vars)))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vars() -> BTreeMap<String, String> {
        BTreeMap::from([
            ("NOMAD_PORT_http".to_string(), "8080".to_string()),
            ("attr.kernel.name".to_string(), "linux".to_string()),
            ("meta.rack".to_string(), "r1".to_string()),
        ])
    }

    #[test]
    fn replaces_known_and_keeps_unknown() {
        let v = vars();
        assert_eq!(interpolate("--port=${NOMAD_PORT_http}", &v), "--port=8080");
        assert_eq!(
            interpolate("${attr.kernel.name}-${meta.rack}", &v),
            "linux-r1"
        );
        assert_eq!(interpolate("${ meta.rack }", &v), "r1");
        assert_eq!(interpolate("${nope} and $HOME", &v), "${nope} and $HOME");
        assert_eq!(
            interpolate("open ${NOMAD_PORT_http", &v),
            "open ${NOMAD_PORT_http"
        );
        assert_eq!(interpolate("", &v), "");
    }

    #[test]
    fn walks_nested_config() {
        let cfg: BTreeMap<String, serde_json::Value> = serde_json::from_value(serde_json::json!({
            "command": "/bin/echo",
            "args": ["${NOMAD_PORT_http}", 3, {"k": "${meta.rack}"}]
        }))
        .unwrap();
        let out = interpolate_config(&cfg, &vars());
        assert_eq!(out["args"], serde_json::json!(["8080", 3, {"k": "r1"}]));
        assert_eq!(out["command"], "/bin/echo");
    }
}
