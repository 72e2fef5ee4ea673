//! The capabilities an `exec` task keeps: Nomad's default set (also its default
//! `allow_caps`), less `config.cap_drop`, plus `config.cap_add` (which may only
//! name allowed ones). Names as Nomad and Docker write them: `net_raw`,
//! `CAP_NET_RAW`, or `all`.

use std::collections::BTreeMap;

use crate::client::error::{ClientError, Result};

/// Linux capability names by number.
const NAMES: [&str; 41] = [
    "chown",
    "dac_override",
    "dac_read_search",
    "fowner",
    "fsetid",
    "kill",
    "setgid",
    "setuid",
    "setpcap",
    "linux_immutable",
    "net_bind_service",
    "net_broadcast",
    "net_admin",
    "net_raw",
    "ipc_lock",
    "ipc_owner",
    "sys_module",
    "sys_rawio",
    "sys_chroot",
    "sys_ptrace",
    "sys_pacct",
    "sys_admin",
    "sys_boot",
    "sys_nice",
    "sys_resource",
    "sys_time",
    "sys_tty_config",
    "mknod",
    "lease",
    "audit_write",
    "audit_control",
    "setfcap",
    "mac_override",
    "mac_admin",
    "syslog",
    "wake_alarm",
    "block_suspend",
    "audit_read",
    "perfmon",
    "bpf",
    "checkpoint_restore",
];

/// Nomad's default capabilities for exec tasks.
const DEFAULT: &[&str] = &[
    "audit_write",
    "chown",
    "dac_override",
    "fowner",
    "fsetid",
    "kill",
    "mknod",
    "net_bind_service",
    "setfcap",
    "setgid",
    "setpcap",
    "setuid",
    "sys_chroot",
];

/// A set of capabilities, bit N = capability N.
pub type CapSet = u64;

fn bit(name: &str) -> Option<CapSet> {
    let lower = name.trim().to_ascii_lowercase();
    let bare = lower.strip_prefix("cap_").unwrap_or(&lower);
    NAMES.iter().position(|n| *n == bare).map(|i| 1 << i)
}

fn set_of(names: &[&str]) -> CapSet {
    names.iter().filter_map(|n| bit(n)).fold(0, |a, b| a | b)
}

fn list(config: &BTreeMap<String, serde_json::Value>, key: &str) -> Result<Vec<String>> {
    match config.get(key) {
        None | Some(serde_json::Value::Null) => Ok(Vec::new()),
        Some(serde_json::Value::Array(a)) => a
            .iter()
            .map(|v| match v {
                serde_json::Value::String(s) => Ok(s.clone()),
                other => Err(ClientError::TaskConfig(format!(
                    "{key} must be a list of capability names, got {other}"
                ))),
            })
            .collect(),
        Some(other) => Err(ClientError::TaskConfig(format!(
            "{key} must be a list of capability names, got {other}"
        ))),
    }
}

/// The set a task keeps, from its `cap_drop` and `cap_add`.
pub fn task_caps(config: &BTreeMap<String, serde_json::Value>) -> Result<CapSet> {
    let allowed = set_of(DEFAULT);
    let mut caps = allowed;
    let parse = |names: Vec<String>, key: &str| -> Result<CapSet> {
        let mut set = 0;
        for n in names {
            if n.eq_ignore_ascii_case("all") {
                set |= if key == "cap_drop" {
                    CapSet::MAX
                } else {
                    allowed
                };
                continue;
            }
            set |= bit(&n).ok_or_else(|| {
                ClientError::TaskConfig(format!("{key}: unknown capability {n:?}"))
            })?;
        }
        Ok(set)
    };
    caps &= !parse(list(config, "cap_drop")?, "cap_drop")?;
    let add = parse(list(config, "cap_add")?, "cap_add")?;
    if add & !allowed != 0 {
        let denied: Vec<&str> = (0..NAMES.len())
            .filter(|i| add & !allowed & (1 << i) != 0)
            .map(|i| NAMES[i])
            .collect();
        return Err(ClientError::TaskConfig(format!(
            "task is not allowed to use capabilities: {}",
            denied.join(", ")
        )));
    }
    Ok(caps | add)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cfg(pairs: serde_json::Value) -> BTreeMap<String, serde_json::Value> {
        serde_json::from_value(pairs).unwrap()
    }

    #[test]
    fn default_drop_and_add() {
        let def = task_caps(&cfg(serde_json::json!({}))).unwrap();
        assert_eq!(def.count_ones() as usize, DEFAULT.len());
        assert_eq!(def & bit("sys_admin").unwrap(), 0);
        let c = task_caps(&cfg(serde_json::json!({"cap_drop": ["CAP_CHOWN", "kill"]}))).unwrap();
        assert_eq!(c, def & !bit("chown").unwrap() & !bit("kill").unwrap());
        let only = task_caps(&cfg(
            serde_json::json!({"cap_drop": ["all"], "cap_add": ["net_bind_service"]}),
        ))
        .unwrap();
        assert_eq!(only, bit("net_bind_service").unwrap());
        let e = task_caps(&cfg(serde_json::json!({"cap_add": ["sys_admin"]}))).unwrap_err();
        assert!(
            e.to_string()
                .contains("not allowed to use capabilities: sys_admin"),
            "{e}"
        );
        let e = task_caps(&cfg(serde_json::json!({"cap_drop": ["flying"]}))).unwrap_err();
        assert!(
            e.to_string().contains("unknown capability \"flying\""),
            "{e}"
        );
        assert!(task_caps(&cfg(serde_json::json!({"cap_add": "chown"}))).is_err());
    }
}
