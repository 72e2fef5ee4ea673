//! The docker task's `config {}` block: the keys this driver understands (Nomad's
//! names), decoded from the interpolated JSON map. Unknown keys are refused so a
//! typo fails the task instead of being silently ignored.

use std::collections::BTreeMap;

use serde::Deserialize;
use serde::de::{self, Deserializer};
use serde_json::Value;

use crate::client::error::{ClientError, Result};

/// A docker task's driver config.
#[derive(Debug, Default, Clone, PartialEq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct DockerTaskConfig {
    /// Image reference, e.g. `redis:7`.
    pub image: String,
    /// Command run in the container (replaces the image's `CMD`).
    #[serde(deserialize_with = "opt_scalar")]
    pub command: Option<String>,
    /// Arguments to `command` (or the image's command when `command` is unset).
    #[serde(deserialize_with = "scalar_list")]
    pub args: Vec<String>,
    /// Replaces the image's `ENTRYPOINT`.
    #[serde(deserialize_with = "opt_scalar_list")]
    pub entrypoint: Option<Vec<String>>,
    /// Labels of the group's `network { port "..." }` to publish.
    #[serde(deserialize_with = "scalar_list")]
    pub ports: Vec<String>,
    /// Extra container labels (an attribute map or a `labels {}` block).
    #[serde(deserialize_with = "string_map")]
    pub labels: BTreeMap<String, String>,
    /// `host_path:container_path[:ro]` binds; relative host paths are under the task dir.
    #[serde(deserialize_with = "scalar_list")]
    pub volumes: Vec<String>,
    /// `mount {}` blocks.
    #[serde(deserialize_with = "one_or_many")]
    pub mount: Vec<MountConfig>,
    /// Docker network mode (`bridge`, `host`, `none`, `container:<id>`, a network name).
    pub network_mode: String,
    /// Working directory inside the container.
    pub work_dir: String,
    /// Container host name.
    pub hostname: String,
    /// Pull the image even when it is present locally.
    pub force_pull: bool,
    /// Nomad's "pull without credentials when none can be found" (its own `job init`
    /// example sets it). This driver has no registry credential lookup, so every pull is
    /// already anonymous: the flag is accepted and changes nothing.
    pub auth_soft_fail: bool,
    /// Hard memory limit, MB (superseded by the task's `memory_max`).
    pub memory_hard_limit: i64,
}

/// One `mount {}` block.
#[derive(Debug, Default, Clone, PartialEq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct MountConfig {
    /// `bind`, `volume` (default) or `tmpfs`.
    #[serde(rename = "type")]
    pub kind: String,
    /// Path in the container.
    pub target: String,
    /// Host path (bind) or volume name (volume).
    pub source: String,
    /// Mount read-only.
    pub readonly: bool,
    /// `bind_options { propagation }`.
    #[serde(deserialize_with = "one_or_none")]
    pub bind_options: Option<BindOptions>,
    /// `volume_options { no_copy, labels, driver_config }`.
    #[serde(deserialize_with = "one_or_none")]
    pub volume_options: Option<VolumeOptions>,
    /// `tmpfs_options { size, mode }`.
    #[serde(deserialize_with = "one_or_none")]
    pub tmpfs_options: Option<TmpfsOptions>,
}

/// `bind_options {}`.
#[derive(Debug, Default, Clone, PartialEq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct BindOptions {
    /// `private`, `rprivate`, `shared`, `rshared`, `slave`, `rslave`.
    pub propagation: String,
}

/// `volume_options {}`.
#[derive(Debug, Default, Clone, PartialEq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct VolumeOptions {
    /// Don't copy the image's content into a new volume.
    pub no_copy: bool,
    /// Labels of the volume.
    #[serde(deserialize_with = "string_map")]
    pub labels: BTreeMap<String, String>,
    /// `driver_config { name options }`.
    #[serde(deserialize_with = "one_or_none")]
    pub driver_config: Option<VolumeDriverConfig>,
}

/// `driver_config {}` of a volume mount.
#[derive(Debug, Default, Clone, PartialEq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct VolumeDriverConfig {
    /// Volume driver name.
    pub name: String,
    /// Driver options.
    #[serde(deserialize_with = "string_map")]
    pub options: BTreeMap<String, String>,
}

/// `tmpfs_options {}`.
#[derive(Debug, Default, Clone, PartialEq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct TmpfsOptions {
    /// Size in bytes.
    pub size: i64,
    /// File mode (octal as written, e.g. 1777).
    pub mode: i64,
}

impl DockerTaskConfig {
    /// Decodes and checks a task's `config {}`.
    pub fn parse(config: &BTreeMap<String, Value>) -> Result<Self> {
        let map: serde_json::Map<String, Value> =
            config.iter().map(|(k, v)| (k.clone(), v.clone())).collect();
        let cfg: Self = serde_json::from_value(Value::Object(map))
            .map_err(|e| ClientError::TaskConfig(e.to_string()))?;
        if cfg.image.trim().is_empty() {
            return Err(ClientError::TaskConfig(
                "missing required field \"image\"".into(),
            ));
        }
        for m in &cfg.mount {
            if m.target.is_empty() {
                return Err(ClientError::TaskConfig(
                    "mount: missing required field \"target\"".into(),
                ));
            }
            if !matches!(m.kind.as_str(), "" | "bind" | "volume" | "tmpfs") {
                return Err(ClientError::TaskConfig(format!(
                    "mount: unsupported type {:?} (bind, volume or tmpfs)",
                    m.kind
                )));
            }
        }
        Ok(cfg)
    }
}

/// A JSON scalar as a string (interpolation may leave numbers and booleans).
fn scalar_to_string(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

fn opt_scalar<'de, D: Deserializer<'de>>(d: D) -> std::result::Result<Option<String>, D::Error> {
    match Value::deserialize(d)? {
        Value::Null => Ok(None),
        v => scalar_to_string(&v)
            .map(Some)
            .ok_or_else(|| de::Error::custom("expected a string")),
    }
}

fn scalar_list<'de, D: Deserializer<'de>>(d: D) -> std::result::Result<Vec<String>, D::Error> {
    Ok(opt_scalar_list(d)?.unwrap_or_default())
}

fn opt_scalar_list<'de, D: Deserializer<'de>>(
    d: D,
) -> std::result::Result<Option<Vec<String>>, D::Error> {
    match Value::deserialize(d)? {
        Value::Null => Ok(None),
        Value::Array(items) => items
            .iter()
            .map(|v| {
                scalar_to_string(v).ok_or_else(|| de::Error::custom("expected a list of strings"))
            })
            .collect::<std::result::Result<Vec<_>, _>>()
            .map(Some),
        _ => Err(de::Error::custom("expected a list of strings")),
    }
}

/// A string map written as an attribute (`{..}`) or as block(s) (`[{..}, ..]`).
fn string_map<'de, D: Deserializer<'de>>(
    d: D,
) -> std::result::Result<BTreeMap<String, String>, D::Error> {
    let mut out = BTreeMap::new();
    let mut add = |m: &serde_json::Map<String, Value>| -> std::result::Result<(), D::Error> {
        for (k, v) in m {
            let s = scalar_to_string(v)
                .ok_or_else(|| de::Error::custom(format!("{k}: expected a string")))?;
            out.insert(k.clone(), s);
        }
        Ok(())
    };
    match Value::deserialize(d)? {
        Value::Null => {}
        Value::Object(m) => add(&m)?,
        Value::Array(items) => {
            for item in items {
                match item {
                    Value::Object(m) => add(&m)?,
                    _ => return Err(de::Error::custom("expected a map of strings")),
                }
            }
        }
        _ => return Err(de::Error::custom("expected a map of strings")),
    }
    Ok(out)
}

/// A block that may appear once (`{..}`) or several times (`[{..}, ..]`).
fn one_or_many<'de, D, T>(d: D) -> std::result::Result<Vec<T>, D::Error>
where
    D: Deserializer<'de>,
    T: serde::de::DeserializeOwned,
{
    let items = match Value::deserialize(d)? {
        Value::Null => return Ok(Vec::new()),
        Value::Array(items) => items,
        v => vec![v],
    };
    items
        .into_iter()
        .map(|v| serde_json::from_value(v).map_err(de::Error::custom))
        .collect()
}

/// A block written at most once (decoders may still hand it over as a one-item list).
fn one_or_none<'de, D, T>(d: D) -> std::result::Result<Option<T>, D::Error>
where
    D: Deserializer<'de>,
    T: serde::de::DeserializeOwned,
{
    let mut items: Vec<T> = one_or_many(d)?;
    if items.len() > 1 {
        return Err(de::Error::custom("block may appear only once"));
    }
    Ok(items.pop())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn parse(v: Value) -> Result<DockerTaskConfig> {
        let map = match v {
            Value::Object(m) => m.into_iter().collect(),
            _ => BTreeMap::new(),
        };
        DockerTaskConfig::parse(&map)
    }

    #[test]
    fn decodes_every_supported_key() {
        let cfg = parse(json!({
            "image": "redis:7",
            "command": "redis-server",
            "args": ["--port", 6379, true],
            "entrypoint": ["/bin/sh", "-c"],
            "ports": ["db"],
            "labels": [{"team": "a"}, {"tier": 2}],
            "volumes": ["local/data:/data:ro"],
            "mount": [
                {"type": "bind", "source": "a", "target": "/a", "readonly": true,
                 "bind_options": [{"propagation": "rshared"}]},
                {"type": "tmpfs", "target": "/tmp", "tmpfs_options": {"size": 1024, "mode": 1777}}
            ],
            "network_mode": "host",
            "work_dir": "/data",
            "hostname": "cache",
            "force_pull": false,
            "auth_soft_fail": true,
            "memory_hard_limit": 512
        }))
        .unwrap();
        assert_eq!(cfg.image, "redis:7");
        assert_eq!(cfg.command.as_deref(), Some("redis-server"));
        assert_eq!(cfg.args, ["--port", "6379", "true"]);
        assert_eq!(
            cfg.entrypoint.as_deref(),
            Some(&["/bin/sh".to_string(), "-c".into()][..])
        );
        assert_eq!(cfg.ports, ["db"]);
        assert_eq!(cfg.labels.get("team").map(String::as_str), Some("a"));
        assert_eq!(cfg.labels.get("tier").map(String::as_str), Some("2"));
        assert_eq!(cfg.volumes, ["local/data:/data:ro"]);
        assert_eq!(cfg.mount.len(), 2);
        assert_eq!(
            cfg.mount[0]
                .bind_options
                .as_ref()
                .map(|b| b.propagation.as_str()),
            Some("rshared")
        );
        assert!(cfg.mount[0].readonly);
        assert_eq!(
            cfg.mount[1].tmpfs_options.as_ref().map(|t| t.size),
            Some(1024)
        );
        assert_eq!(
            (
                cfg.network_mode.as_str(),
                cfg.work_dir.as_str(),
                cfg.hostname.as_str()
            ),
            ("host", "/data", "cache")
        );
        assert_eq!(cfg.memory_hard_limit, 512);
        assert!(cfg.auth_soft_fail);
    }

    #[test]
    fn single_mount_block_and_label_map() {
        let cfg = parse(json!({
            "image": "x",
            "mount": {"target": "/v", "source": "vol"},
            "labels": {"a": "b"}
        }))
        .unwrap();
        assert_eq!(cfg.mount.len(), 1);
        assert_eq!(cfg.mount[0].kind, "");
        assert_eq!(cfg.labels.len(), 1);
    }

    #[test]
    fn refuses_bad_config() {
        let err = |v| match parse(v) {
            Err(ClientError::TaskConfig(m)) => m,
            other => panic!("expected a config error, got {other:?}"),
        };
        assert!(err(json!({"command": "x"})).contains("image"));
        assert!(err(json!({"image": "x", "imagee": "y"})).contains("imagee"));
        assert!(err(json!({"image": "x", "args": "not a list"})).contains("list"));
        assert!(err(json!({"image": "x", "mount": [{"source": "a"}]})).contains("target"));
        assert!(
            err(json!({"image": "x", "mount": [{"type": "nfs", "target": "/a"}]})).contains("nfs")
        );
        assert!(err(json!({"image": "x", "labels": {"a": {"b": 1}}})).contains("a"));
    }
}
