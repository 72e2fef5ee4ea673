//! The startup banner, worded and aligned like Nomad's:
//!
//! ```text
//! ==> Nomad agent configuration:
//!
//!        Advertise Addrs: HTTP: 127.0.0.1:4646; RPC: 127.0.0.1:4647; Serf: 127.0.0.1:4648
//!             Bind Addrs: HTTP: [127.0.0.1:4646]; RPC: 127.0.0.1:4647; Serf: 127.0.0.1:4648
//!                 Client: true
//! ...
//! ==> Nomad agent started! Log data will stream in below:
//! ```

use std::net::SocketAddr;
use std::path::PathBuf;

use crate::config::AgentConfig;

/// Keys are right-aligned to this width.
const KEY_WIDTH: usize = 22;

/// The lines printed before the agent starts (which config files were read).
pub fn preamble(files: &[PathBuf]) -> String {
    let loaded = if files.is_empty() {
        "==> No configuration files loaded".to_string()
    } else {
        let names: Vec<String> = files.iter().map(|f| f.display().to_string()).collect();
        format!("==> Loaded configuration from {}", names.join(", "))
    };
    format!("{loaded}\n==> Starting Nomad agent...\n")
}

/// The configuration banner; `http` is the bound HTTP address, `node_id` the client's node, if any.
pub fn banner(c: &AgentConfig, http: SocketAddr, node_id: Option<&str>, version: &str) -> String {
    let adv_http = if http.ip().is_unspecified() {
        SocketAddr::new(c.advertise.http.ip(), http.port())
    } else {
        http
    };
    let mut rows: Vec<(&str, String)> = vec![
        (
            "Advertise Addrs",
            format!(
                "HTTP: {adv_http}; RPC: {}; Serf: {}",
                c.advertise.rpc, c.advertise.serf
            ),
        ),
        (
            "Bind Addrs",
            format!("HTTP: [{http}]; RPC: {}; Serf: {}", c.bind.rpc, c.bind.serf),
        ),
        ("Client", c.client.enabled.to_string()),
        ("Log Level", c.log_level.clone()),
        ("Region", format!("{} (DC: {})", c.region, c.datacenter)),
        ("Server", c.server.enabled.to_string()),
        ("Version", version.to_string()),
    ];
    if let Some(id) = node_id {
        rows.push(("Node Id", id.to_string()));
    }
    rows.sort_by(|a, b| a.0.cmp(b.0));
    let mut out = String::from("==> Nomad agent configuration:\n\n");
    for (k, v) in rows {
        out.push_str(&format!("{k:>KEY_WIDTH$}: {v}\n"));
    }
    out.push_str("\n==> Nomad agent started! Log data will stream in below:\n");
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::{Flags, build};

    #[test]
    fn banner_matches_nomad_layout() -> crate::config::Result<()> {
        let c = build(&Flags {
            dev: true,
            ..Default::default()
        })?;
        let http: SocketAddr = "127.0.0.1:4646".parse().unwrap_or(c.bind.http);
        let text = banner(&c, http, Some("abcd"), "0.1.0");
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines[0], "==> Nomad agent configuration:");
        assert_eq!(
            lines[2],
            "       Advertise Addrs: HTTP: 127.0.0.1:4646; RPC: 127.0.0.1:4647; Serf: 127.0.0.1:4648"
        );
        assert_eq!(
            lines[3],
            "            Bind Addrs: HTTP: [127.0.0.1:4646]; RPC: 127.0.0.1:4647; Serf: 127.0.0.1:4648"
        );
        assert!(lines.contains(&"                Client: true"));
        assert!(lines.contains(&"             Log Level: DEBUG"));
        assert!(lines.contains(&"               Node Id: abcd"));
        assert!(lines.contains(&"                Region: global (DC: dc1)"));
        assert!(lines.contains(&"                Server: true"));
        assert!(lines.contains(&"               Version: 0.1.0"));
        assert_eq!(
            lines.last().copied(),
            Some("==> Nomad agent started! Log data will stream in below:")
        );
        Ok(())
    }

    #[test]
    fn preamble_names_files() {
        assert!(preamble(&[]).starts_with("==> No configuration files loaded"));
        let p = preamble(&[PathBuf::from("/a.hcl"), PathBuf::from("/b.hcl")]);
        assert!(p.starts_with("==> Loaded configuration from /a.hcl, /b.hcl"));
    }
}
