//! Tests of defaults, `-dev` and validation.

use super::*;
use crate::config::{Flags, build};

fn dev_flags() -> Flags {
    Flags {
        dev: true,
        ..Default::default()
    }
}

#[test]
fn dev_defaults_match_nomad() -> Result<()> {
    let c = build(&dev_flags())?;
    assert!(c.dev && c.server.enabled && c.client.enabled);
    assert_eq!(c.region, "global");
    assert_eq!(c.datacenter, "dc1");
    assert_eq!(
        c.bind.http,
        "127.0.0.1:4646".parse().map_err(|_| invalid("x"))?
    );
    assert_eq!(c.advertise.rpc.port(), 4647);
    assert_eq!(c.log_level, "DEBUG");
    assert_eq!(c.server.bootstrap_expect, 1);
    assert!(c.raw_exec_enabled());
    assert!(c.data_dir.is_none());
    Ok(())
}

#[test]
fn flags_override_dev_defaults() -> Result<()> {
    let c = build(&Flags {
        region: Some("west".into()),
        dc: Some("dc9".into()),
        log_level: Some("warn".into()),
        node: Some("n1".into()),
        ..dev_flags()
    })?;
    assert_eq!((c.region.as_str(), c.datacenter.as_str()), ("west", "dc9"));
    assert_eq!(c.log_level, "WARN");
    assert_eq!(c.name, "n1");
    Ok(())
}

#[test]
fn agent_needs_a_mode() {
    let err = build(&Flags::default()).err().map(|e| e.to_string());
    assert_eq!(
        err.as_deref(),
        Some("Must specify either server, client or dev mode for the agent.")
    );
}

#[test]
fn non_dev_agent_needs_an_absolute_data_dir() {
    let server = Flags {
        server: true,
        ..Default::default()
    };
    let err = build(&server).err().map(|e| e.to_string());
    assert_eq!(err.as_deref(), Some("Must specify data directory"));
    let relative = Flags {
        data_dir: Some("rel/dir".into()),
        ..server
    };
    assert!(build(&relative).is_err());
}

#[test]
fn rejects_bad_log_level_and_bind() {
    let bad_level = Flags {
        log_level: Some("LOUD".into()),
        ..dev_flags()
    };
    assert!(
        matches!(build(&bad_level), Err(ConfigError::Invalid(m)) if m.contains("Invalid log level"))
    );
    let bad_bind = Flags {
        bind: Some("not-an-ip".into()),
        ..dev_flags()
    };
    assert!(build(&bad_bind).is_err());
}

#[test]
fn config_file_ports_and_unknown_keys() -> std::result::Result<(), Box<dyn std::error::Error>> {
    let dir = tempfile::tempdir()?;
    let file = dir.path().join("agent.hcl");
    std::fs::write(
        &file,
        "ports {\n  http = 0\n  rpc = 7000\n}\ntelemetry {\n  x = 1\n}\nclient {\n  enabled = true\n  options = {\n    \"driver.raw_exec.enable\" = \"1\"\n  }\n}\n",
    )?;
    let c = build(&Flags {
        config: vec![file.clone()],
        ..dev_flags()
    })?;
    assert_eq!(c.bind.http.port(), 0);
    assert_eq!(c.bind.rpc.port(), 7000);
    assert_eq!(c.files, vec![file]);
    assert_eq!(c.warnings.len(), 1);
    assert!(c.raw_exec_enabled());
    Ok(())
}

#[test]
fn unspecified_bind_advertises_a_concrete_ip() -> Result<()> {
    let c = build(&Flags {
        bind: Some("0.0.0.0".into()),
        ..dev_flags()
    })?;
    assert!(c.bind.http.ip().is_unspecified());
    assert!(!c.advertise.http.ip().is_unspecified());
    Ok(())
}
