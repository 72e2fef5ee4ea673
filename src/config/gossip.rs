//! The mesh's part of the agent configuration, checked: `server_join { ... }`, `server.encrypt`,
//! `server.gossip_profile` (ours, not Nomad's) and the `tls { ... }` block. [`super::AgentConfig`] calls
//! these while validating; nothing else reads the raw blocks.

use std::path::PathBuf;
use std::time::Duration;

use super::file::{ServerJoin, TlsBlock};
use super::{ConfigError, Result};

/// Nomad's `server_join.retry_interval` default.
pub const DEFAULT_RETRY_INTERVAL: Duration = Duration::from_secs(30);

/// The SWIM timing the mesh runs with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GossipProfile {
    /// Nomad's server gossip timing (5 s probes): the default.
    Wan,
    /// 1 s probes, failure detected within a few seconds: `-dev`'s default.
    Lan,
    /// 100 ms probes, 1 s suspicion: tests on one loopback host only.
    Fast,
}

impl GossipProfile {
    /// Parses `server.gossip_profile`; unset means LAN under `-dev`, WAN otherwise.
    pub fn parse(value: Option<&str>, dev: bool) -> Result<GossipProfile> {
        match value.map(str::to_ascii_lowercase).as_deref() {
            None | Some("") if dev => Ok(GossipProfile::Lan),
            None | Some("") | Some("wan") => Ok(GossipProfile::Wan),
            Some("lan") => Ok(GossipProfile::Lan),
            Some("fast") => Ok(GossipProfile::Fast),
            Some(other) => Err(ConfigError::Invalid(format!(
                "Invalid server.gossip_profile {other:?}: must be \"wan\", \"lan\" or \"fast\""
            ))),
        }
    }
}

/// `server_join`, checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JoinSettings {
    /// Joined once at start; the agent fails to start if none answers (`-join`).
    pub start_join: Vec<String>,
    /// Joined in the background until one answers (`-retry-join`).
    pub retry_join: Vec<String>,
    pub retry_interval: Duration,
    /// 0: retry forever.
    pub retry_max: u32,
}

/// Checks `server_join`.
pub fn join_settings(block: Option<ServerJoin>) -> Result<JoinSettings> {
    let block = block.unwrap_or_default();
    let retry_interval = match block.retry_interval.as_deref().filter(|s| !s.is_empty()) {
        None => DEFAULT_RETRY_INTERVAL,
        Some(s) => {
            let nanos = nomad_region::duration::parse_duration(s)
                .map_err(|e| ConfigError::Invalid(format!("server_join.retry_interval: {e}")))?;
            let nanos = u64::try_from(nanos).unwrap_or(0);
            if nanos == 0 {
                return Err(ConfigError::Invalid(
                    "server_join.retry_interval must be positive".into(),
                ));
            }
            Duration::from_nanos(nanos)
        }
    };
    let clean = |v: Option<Vec<String>>| -> Vec<String> {
        v.unwrap_or_default()
            .into_iter()
            .map(|a| a.trim().to_owned())
            .filter(|a| !a.is_empty())
            .collect()
    };
    Ok(JoinSettings {
        start_join: clean(block.start_join),
        retry_join: clean(block.retry_join),
        retry_interval,
        retry_max: block.retry_max.unwrap_or(0),
    })
}

/// Checks `server.encrypt`: a base64 key of 16, 24 or 32 bytes.
pub fn encrypt(value: Option<String>) -> Result<Option<String>> {
    let Some(key) = value.map(|k| k.trim().to_owned()).filter(|k| !k.is_empty()) else {
        return Ok(None);
    };
    nomad_gossip::GossipKey::parse(&key)
        .map_err(|e| ConfigError::Invalid(format!("Invalid server.encrypt key: {e}")))?;
    Ok(Some(key))
}

/// The `tls` block as far as the mesh uses it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TlsSettings {
    pub ca_file: PathBuf,
    pub cert_file: PathBuf,
    pub key_file: PathBuf,
    /// Peers must present a certificate for `server.<region>.nomad`.
    pub verify_server_hostname: bool,
}

/// Checks the `tls` block. The mesh uses it when `rpc = true`, or when `rpc` is unset and the three files
/// are given; `rpc = false` turns it off. HTTPS is not served yet, so `http = true` only warns.
pub fn tls(block: Option<TlsBlock>, warnings: &mut Vec<String>) -> Result<Option<TlsSettings>> {
    let Some(b) = block else { return Ok(None) };
    warnings.extend(
        b.unknown
            .keys()
            .map(|k| format!("ignoring unsupported config key \"tls.{k}\"")),
    );
    if b.http == Some(true) {
        warnings.push(
            "tls.http: HTTPS is not supported yet; the HTTP API is served without TLS".into(),
        );
    }
    let file = |v: &Option<String>| v.as_deref().filter(|s| !s.is_empty()).map(PathBuf::from);
    let (ca, cert, key) = (file(&b.ca_file), file(&b.cert_file), file(&b.key_file));
    let wanted = match b.rpc {
        Some(rpc) => rpc,
        None => ca.is_some() && cert.is_some() && key.is_some(),
    };
    if !wanted {
        return Ok(None);
    }
    match (ca, cert, key) {
        (Some(ca_file), Some(cert_file), Some(key_file)) => Ok(Some(TlsSettings {
            ca_file,
            cert_file,
            key_file,
            verify_server_hostname: b.verify_server_hostname.unwrap_or(false),
        })),
        _ => Err(ConfigError::Invalid(
            "tls: ca_file, cert_file and key_file are all required when rpc = true".into(),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn agent_hcl_reaches_the_checked_config() {
        let key = nomad_gossip::generate_gossip_key().unwrap();
        let text = format!(
            r#"
data_dir = "/tmp/n"
leave_on_terminate = true
server {{
  enabled = true
  encrypt = "{key}"
  gossip_profile = "lan"
  server_join {{
    retry_join = ["10.0.0.1", "10.0.0.2:4648"]
    retry_interval = "15s"
    retry_max = 3
  }}
}}
tls {{
  rpc = true
  ca_file = "/etc/nomad/ca.pem"
  cert_file = "/etc/nomad/server.pem"
  key_file = "/etc/nomad/server-key.pem"
  verify_server_hostname = true
}}
"#
        );
        let file = crate::config::load::parse(&text, false).unwrap();
        let c = crate::config::AgentConfig::from_file(false, file, Vec::new()).unwrap();
        assert!(c.leave_on_terminate && !c.leave_on_interrupt);
        assert_eq!(c.server.encrypt.as_deref(), Some(key.as_str()));
        assert_eq!(c.server.gossip_profile, GossipProfile::Lan);
        assert_eq!(c.server.retry_join, ["10.0.0.1", "10.0.0.2:4648"]);
        assert_eq!(c.server.retry_interval, Duration::from_secs(15));
        assert_eq!(c.server.retry_max, 3);
        let tls = c.tls.unwrap();
        assert_eq!(tls.ca_file, PathBuf::from("/etc/nomad/ca.pem"));
        assert!(tls.verify_server_hostname);
        assert!(c.warnings.is_empty(), "{:?}", c.warnings);
    }

    #[test]
    fn profile_defaults_follow_dev() {
        assert_eq!(
            GossipProfile::parse(None, true).ok(),
            Some(GossipProfile::Lan)
        );
        assert_eq!(
            GossipProfile::parse(None, false).ok(),
            Some(GossipProfile::Wan)
        );
        assert_eq!(
            GossipProfile::parse(Some("FAST"), false).ok(),
            Some(GossipProfile::Fast)
        );
        let err = GossipProfile::parse(Some("quick"), false)
            .err()
            .map(|e| e.to_string());
        assert!(err.unwrap_or_default().contains("gossip_profile"));
    }

    #[test]
    fn join_defaults_and_bad_interval() {
        let j = join_settings(None).ok();
        assert_eq!(
            j.as_ref().map(|j| j.retry_interval),
            Some(DEFAULT_RETRY_INTERVAL)
        );
        assert_eq!(j.map(|j| j.retry_max), Some(0));
        let bad = join_settings(Some(ServerJoin {
            retry_interval: Some("soon".into()),
            ..Default::default()
        }));
        assert!(bad.is_err());
        let fine = join_settings(Some(ServerJoin {
            retry_join: Some(vec![" 10.0.0.1 ".into(), String::new()]),
            retry_interval: Some("2s".into()),
            retry_max: Some(3),
            ..Default::default()
        }))
        .ok();
        assert_eq!(
            fine.as_ref().map(|j| j.retry_join.clone()),
            Some(vec!["10.0.0.1".to_owned()])
        );
        assert_eq!(fine.map(|j| j.retry_interval), Some(Duration::from_secs(2)));
    }

    #[test]
    fn encrypt_keys_are_checked() {
        assert_eq!(encrypt(None).ok(), Some(None));
        assert!(encrypt(Some("not base64!".into())).is_err());
        assert!(
            encrypt(Some("c2hvcnQ=".into())).is_err(),
            "5 bytes is too short"
        );
        let key = nomad_gossip::generate_gossip_key().unwrap_or_default();
        assert_eq!(encrypt(Some(key.clone())).ok(), Some(Some(key)));
    }

    #[test]
    fn tls_needs_all_three_files_when_rpc_is_on() {
        let mut w = Vec::new();
        let partial = TlsBlock {
            rpc: Some(true),
            ca_file: Some("/ca.pem".into()),
            ..Default::default()
        };
        assert!(tls(Some(partial), &mut w).is_err());
        let off = TlsBlock {
            rpc: Some(false),
            ca_file: Some("/ca.pem".into()),
            cert_file: Some("/c.pem".into()),
            key_file: Some("/k.pem".into()),
            ..Default::default()
        };
        assert_eq!(tls(Some(off.clone()), &mut w).ok(), Some(None));
        let on = TlsBlock {
            rpc: None,
            http: Some(true),
            verify_server_hostname: Some(true),
            ..off
        };
        let got = tls(Some(on), &mut w).ok().flatten();
        assert_eq!(got.map(|t| t.verify_server_hostname), Some(true));
        assert!(w.iter().any(|l| l.contains("tls.http")));
    }
}
