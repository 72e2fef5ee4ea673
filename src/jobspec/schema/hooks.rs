//! The shapes a plain table cannot express: constraint/affinity shorthands and default operator,
//! ports split into reserved and dynamic, task identities, task scaling policy types.
//! Temporary keys written by the tables start with `__` and are always removed here.

use super::Keep;
use serde_json::{Map, Value};

/// Default operator, and the shorthand attributes that set the operator themselves.
pub(crate) fn constraint(obj: &mut Map<String, Value>) -> Result<Keep, String> {
    if let Some(v) = obj.remove("__distinct_hosts") {
        if v != Value::Bool(true) {
            // `distinct_hosts = false` asks for nothing: Nomad drops the constraint.
            return Ok(Keep::No);
        }
        obj.insert("Operand".into(), "distinct_hosts".into());
    }
    if let Some(v) = obj.remove("__distinct_property") {
        obj.insert("Operand".into(), "distinct_property".into());
        obj.insert("LTarget".into(), v);
    }
    operator_shorthands(obj);
    Ok(Keep::Yes)
}

/// Same default operator and value shorthands as constraints.
pub(crate) fn affinity(obj: &mut Map<String, Value>) -> Result<Keep, String> {
    operator_shorthands(obj);
    Ok(Keep::Yes)
}

/// `version = "> 1.2"` means operator `version` with that value; operator defaults to `=`.
fn operator_shorthands(obj: &mut Map<String, Value>) {
    let shorthands: Vec<String> = obj
        .keys()
        .filter(|k| k.starts_with("__op:"))
        .cloned()
        .collect();
    for key in shorthands {
        if let Some(v) = obj.remove(&key) {
            let op = key.trim_start_matches("__op:");
            obj.insert("Operand".into(), op.into());
            obj.insert("RTarget".into(), v);
        }
    }
    obj.entry("Operand").or_insert_with(|| "=".into());
}

/// Ports with a `static` value are reserved; the others are dynamic.
pub(crate) fn network(obj: &mut Map<String, Value>) -> Result<Keep, String> {
    let Some(Value::Array(ports)) = obj.remove("__ports") else {
        return Ok(Keep::Yes);
    };
    let (reserved, dynamic): (Vec<Value>, Vec<Value>) = ports
        .into_iter()
        .partition(|p| p.get("Value").is_some_and(|v| !v.is_null()));
    if !reserved.is_empty() {
        obj.insert("ReservedPorts".into(), Value::Array(reserved));
    }
    if !dynamic.is_empty() {
        obj.insert("DynamicPorts".into(), Value::Array(dynamic));
    }
    Ok(Keep::Yes)
}

/// An `identity` without a name (or named `default`) is the task's default `Identity`; named
/// ones go to `Identities`.
pub(crate) fn task(obj: &mut Map<String, Value>) -> Result<Keep, String> {
    let Some(Value::Array(ids)) = obj.remove("__identities") else {
        return Ok(Keep::Yes);
    };
    let mut named = Vec::new();
    for id in ids {
        let name = id.get("Name").and_then(Value::as_str).unwrap_or("default");
        if name == "default" {
            if obj.contains_key("Identity") {
                return Err("a task may have only one identity without a name".to_string());
            }
            obj.insert("Identity".into(), id);
        } else {
            named.push(id);
        }
    }
    if !named.is_empty() {
        obj.insert("Identities".into(), Value::Array(named));
    }
    Ok(Keep::Yes)
}

/// `scaling "cpu"` / `scaling "mem"` are vertical policies of type `vertical_cpu`/`vertical_mem`.
pub(crate) fn task_scaling(obj: &mut Map<String, Value>) -> Result<Keep, String> {
    let label = obj.remove("__label");
    let kind = match label.as_ref().and_then(Value::as_str) {
        Some("cpu") => "vertical_cpu",
        Some("mem") => "vertical_mem",
        other => {
            return Err(format!(
                "task scaling blocks must be named \"cpu\" or \"mem\", not {}",
                other.map_or_else(|| "nothing".to_string(), |s| format!("\"{s}\""))
            ));
        }
    };
    obj.insert("Type".into(), kind.into());
    Ok(Keep::Yes)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn obj(v: Value) -> Map<String, Value> {
        match v {
            Value::Object(m) => m,
            _ => Map::new(),
        }
    }

    #[test]
    fn constraint_defaults_operator_and_maps_shorthands() {
        let mut c = obj(json!({"LTarget": "${attr.kernel.name}", "RTarget": "linux"}));
        assert_eq!(constraint(&mut c), Ok(Keep::Yes));
        assert_eq!(
            Value::Object(c),
            json!({"LTarget": "${attr.kernel.name}", "RTarget": "linux", "Operand": "="})
        );

        let mut c = obj(json!({"__distinct_hosts": true}));
        assert_eq!(constraint(&mut c), Ok(Keep::Yes));
        assert_eq!(Value::Object(c), json!({"Operand": "distinct_hosts"}));

        let mut c = obj(json!({"__distinct_hosts": false}));
        assert_eq!(constraint(&mut c), Ok(Keep::No));

        let mut c = obj(json!({"__distinct_property": "${meta.rack}", "RTarget": "2"}));
        constraint(&mut c).ok();
        assert_eq!(
            Value::Object(c),
            json!({"Operand": "distinct_property", "LTarget": "${meta.rack}", "RTarget": "2"})
        );

        let mut c = obj(json!({"LTarget": "${attr.os.version}", "__op:version": ">= 22.04"}));
        constraint(&mut c).ok();
        assert_eq!(
            Value::Object(c),
            json!({"LTarget": "${attr.os.version}", "Operand": "version", "RTarget": ">= 22.04"})
        );
    }

    #[test]
    fn ports_split_by_static() {
        let mut n = obj(json!({"Mode": "bridge", "__ports": [
            {"Label": "http", "To": 8080},
            {"Label": "db", "Value": 6379}
        ]}));
        network(&mut n).ok();
        assert_eq!(
            Value::Object(n),
            json!({
                "Mode": "bridge",
                "ReservedPorts": [{"Label": "db", "Value": 6379}],
                "DynamicPorts": [{"Label": "http", "To": 8080}]
            })
        );
    }

    #[test]
    fn identities_split_default_and_named() {
        let mut t = obj(json!({"__identities": [
            {"Env": true},
            {"Name": "vault_default", "Audience": ["vault.io"]}
        ]}));
        task(&mut t).ok();
        assert_eq!(
            Value::Object(t),
            json!({
                "Identity": {"Env": true},
                "Identities": [{"Name": "vault_default", "Audience": ["vault.io"]}]
            })
        );
        let mut t = obj(json!({"__identities": [{}, {"Name": "default"}]}));
        assert!(task(&mut t).is_err());
    }

    #[test]
    fn task_scaling_types() {
        let mut s = obj(json!({"__label": "cpu", "Min": 100}));
        task_scaling(&mut s).ok();
        assert_eq!(
            Value::Object(s),
            json!({"Type": "vertical_cpu", "Min": 100})
        );
        let mut s = obj(json!({"__label": "disk"}));
        assert!(task_scaling(&mut s).is_err());
    }
}
