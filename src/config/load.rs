//! Reading `-config` paths: a file is parsed as HCL (or JSON when it ends in `.json`); a directory loads
//! every `*.hcl` and `*.json` file directly inside it in lexical order. Later files override earlier ones.

use std::path::{Path, PathBuf};

use super::file::FileConfig;
use super::{ConfigError, Result};

/// Loads and merges the given paths in order; returns the merged file config and every file read.
pub fn load(paths: &[PathBuf]) -> Result<(FileConfig, Vec<PathBuf>)> {
    let mut merged = FileConfig::default();
    let mut loaded = Vec::new();
    for path in paths {
        for file in expand(path)? {
            let parsed = load_file(&file)?;
            merged = merged.merge(parsed);
            loaded.push(file);
        }
    }
    Ok((merged, loaded))
}

/// One file, or the config files of one directory.
fn expand(path: &Path) -> Result<Vec<PathBuf>> {
    let meta = std::fs::metadata(path).map_err(|source| ConfigError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    if !meta.is_dir() {
        return Ok(vec![path.to_path_buf()]);
    }
    let entries = std::fs::read_dir(path).map_err(|source| ConfigError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    let mut files: Vec<PathBuf> = entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.is_file() && is_config_file(p))
        .collect();
    files.sort();
    Ok(files)
}

fn is_config_file(path: &Path) -> bool {
    matches!(
        path.extension().and_then(|e| e.to_str()),
        Some("hcl" | "json")
    )
}

/// Parses one file by its extension.
pub fn load_file(path: &Path) -> Result<FileConfig> {
    let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    let is_json = path.extension().and_then(|e| e.to_str()) == Some("json");
    parse(&text, is_json).map_err(|message| ConfigError::Parse {
        path: path.to_path_buf(),
        message,
    })
}

/// Parses config text; the error is the parser's message.
pub fn parse(text: &str, is_json: bool) -> std::result::Result<FileConfig, String> {
    if is_json {
        serde_json::from_str(text).map_err(|e| e.to_string())
    } else {
        hcl::from_str(text).map_err(|e| e.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SAMPLE: &str = r#"
name       = "node-a"
region     = "west"
datacenter = "dc2"
data_dir   = "/tmp/nomad"
bind_addr  = "127.0.0.1"
log_level  = "DEBUG"

ports {
  http = 5646
  rpc  = 5647
  serf = 5648
}

server {
  enabled          = true
  bootstrap_expect = 1
  num_schedulers   = 2
}

client {
  enabled = true
  servers = ["127.0.0.1:5647"]
  meta {
    rack = "r1"
  }
}

plugin "raw_exec" {
  config {
    enabled = true
  }
}

telemetry {
  collection_interval = "1s"
}
"#;

    #[test]
    fn parses_nomad_agent_hcl() -> std::result::Result<(), String> {
        let c = parse(SAMPLE, false)?;
        assert_eq!(c.name.as_deref(), Some("node-a"));
        assert_eq!(c.region.as_deref(), Some("west"));
        assert_eq!(c.ports.and_then(|p| p.http), Some(5646));
        let server = c.server.clone().unwrap_or_default();
        assert_eq!(server.enabled, Some(true));
        assert_eq!(server.num_schedulers, Some(2));
        let client = c.client.clone().unwrap_or_default();
        assert_eq!(client.servers, Some(vec!["127.0.0.1:5647".to_string()]));
        assert_eq!(
            client
                .meta
                .unwrap_or_default()
                .get("rack")
                .map(String::as_str),
            Some("r1")
        );
        let raw = c.plugin.get("raw_exec").cloned().unwrap_or_default();
        assert_eq!(
            raw.config.get("enabled"),
            Some(&serde_json::Value::Bool(true))
        );
        assert!(c.unknown.contains_key("telemetry"));
        Ok(())
    }

    #[test]
    fn parses_json_config() -> std::result::Result<(), String> {
        let c = parse(
            r#"{"region":"east","plugin":{"raw_exec":{"config":{"enabled":true}}}}"#,
            true,
        )?;
        assert_eq!(c.region.as_deref(), Some("east"));
        assert!(c.plugin.contains_key("raw_exec"));
        Ok(())
    }

    #[test]
    fn bad_hcl_is_an_error_with_position() {
        let err = parse("region = \n ports {", false)
            .err()
            .unwrap_or_default();
        assert!(err.contains("line"), "{err}");
    }

    #[test]
    fn directory_loads_hcl_and_json_in_order() -> std::result::Result<(), Box<dyn std::error::Error>>
    {
        let dir = tempfile::tempdir()?;
        std::fs::write(
            dir.path().join("a.hcl"),
            "region = \"a\"\ndatacenter = \"x\"\n",
        )?;
        std::fs::write(dir.path().join("b.json"), r#"{"region":"b"}"#)?;
        std::fs::write(dir.path().join("notes.txt"), "ignored")?;
        let (c, files) = load(&[dir.path().to_path_buf()])?;
        assert_eq!(files.len(), 2);
        assert_eq!(c.region.as_deref(), Some("b"));
        assert_eq!(c.datacenter.as_deref(), Some("x"));
        Ok(())
    }

    #[test]
    fn missing_file_is_an_io_error() {
        let err = load(&[PathBuf::from("/nonexistent/nomad.hcl")]);
        assert!(matches!(err, Err(ConfigError::Io { .. })));
    }
}
