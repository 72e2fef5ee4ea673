//! The agent's place in the server mesh: turns the checked config into `MeshSettings` (member name
//! `<node>.<region>`, Nomad's serf tags, timing, TLS, gossip key), starts the member on the serf address,
//! joins `start_join` before the agent counts as started, keeps retrying `retry_join` in the background,
//! and leaves or stops the member at shutdown.
//!
//! ```text
//!   start: bind serf -> join start_join (fail the agent if none answers) -> spawn retry_join loop
//!   stop:  [leave, when leave_on_* says so] -> cancel retry loop -> MeshHandle::shutdown
//! ```
//!
//! A `retry_join` that exhausts `retry_max` cancels [`AgentMesh::gave_up`]; the agent then exits 1 as
//! Nomad's does.

use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

use nomad_gossip::{MemberMeta, Mesh, MeshConfig, MeshHandle, MeshSettings, TlsConfig};
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

use super::settings::VERSION;
use crate::config::{AgentConfig, GossipProfile};

/// Nomad's serf port, used when a join address has none.
pub const DEFAULT_SERF_PORT: u16 = 4648;

/// How long a graceful leave may take before the agent stops anyway.
const LEAVE_TIMEOUT: Duration = Duration::from_secs(10);

/// The running mesh member and the tasks the agent owns around it.
pub struct AgentMesh {
    handle: MeshHandle,
    /// Stops the retry-join loop (the member itself stops with `MeshHandle::shutdown`).
    cancel: CancellationToken,
    retry: Option<JoinHandle<()>>,
    gave_up: CancellationToken,
}

/// What this server tells the mesh about itself; `http` is the address the HTTP listener got.
pub fn member_meta(c: &AgentConfig, http: SocketAddr) -> MemberMeta {
    let mut meta = MemberMeta::new(&c.name, &c.region, &c.datacenter, c.advertise.rpc, http);
    meta.build = VERSION.to_owned();
    meta.raft_voter = !c.server.non_voting_server;
    meta.bootstrap_expect = c.server.bootstrap_expect;
    // Nomad's protocol tags: serf delegate version 1, Raft protocol 3.
    meta.tags.insert("vsn".into(), "1".into());
    meta.tags.insert("raft_vsn".into(), "3".into());
    if c.server.bootstrap_expect == 1 {
        meta.tags.insert("bootstrap".into(), "1".into());
    }
    meta
}

/// The mesh settings for this agent.
pub fn mesh_settings(c: &AgentConfig, http: SocketAddr) -> MeshSettings {
    let mut s = MeshSettings::new(member_meta(c, http), c.bind.serf);
    // Binding a specific IP: advertise what the socket got (port 0 picks a free one).
    s.advertise = (c.advertise.serf != c.bind.serf).then_some(c.advertise.serf);
    s.core = match c.server.gossip_profile {
        GossipProfile::Wan => MeshConfig::wan(),
        GossipProfile::Lan => MeshConfig::lan(),
        GossipProfile::Fast => MeshConfig::fast(),
    };
    s.encrypt = c.server.encrypt.clone();
    s.tls = c.tls.as_ref().map(|t| TlsConfig {
        ca_file: t.ca_file.clone(),
        cert_file: t.cert_file.clone(),
        key_file: t.key_file.clone(),
        verify_server_hostname: t.verify_server_hostname,
    });
    s
}

/// Resolves a join address as Nomad takes them: `ip`, `ip:port`, `[v6]:port`, `host` or `host:port`; the
/// port defaults to 4648.
pub async fn resolve(addr: &str) -> Result<Vec<SocketAddr>, String> {
    let addr = addr.trim();
    if let Ok(a) = addr.parse::<SocketAddr>() {
        return Ok(vec![a]);
    }
    let bare = addr.trim_start_matches('[').trim_end_matches(']');
    if let Ok(ip) = bare.parse::<IpAddr>() {
        return Ok(vec![SocketAddr::new(ip, DEFAULT_SERF_PORT)]);
    }
    let target = match addr.rsplit_once(':') {
        Some((_, port)) if port.parse::<u16>().is_ok() => addr.to_owned(),
        Some(_) => return Err(format!("invalid address {addr:?}")),
        None if addr.is_empty() => return Err("empty address".into()),
        None => format!("{addr}:{DEFAULT_SERF_PORT}"),
    };
    let found: Vec<SocketAddr> = tokio::net::lookup_host(&target)
        .await
        .map_err(|e| format!("cannot resolve {addr:?}: {e}"))?
        .collect();
    if found.is_empty() {
        return Err(format!("cannot resolve {addr:?}: no addresses"));
    }
    Ok(found)
}

/// Joins through every address; the number of addresses that answered, or why none did.
pub async fn join(mesh: &MeshHandle, addrs: &[String]) -> Result<usize, String> {
    let mut targets = Vec::new();
    let mut errors = Vec::new();
    for a in addrs {
        match resolve(a).await {
            // One answer per address given, as Nomad counts them.
            Ok(found) => targets.extend(found.into_iter().next()),
            Err(e) => errors.push(e),
        }
    }
    if targets.is_empty() {
        return Err(if errors.is_empty() {
            "no address to join".to_owned()
        } else {
            errors.join("; ")
        });
    }
    mesh.join(&targets).await.map_err(|e| e.to_string())
}

impl AgentMesh {
    /// Starts the member and joins `start_join`. Must run inside the agent's tokio runtime.
    pub async fn start(c: &AgentConfig, http: SocketAddr) -> Result<AgentMesh, String> {
        let handle = Mesh::start(mesh_settings(c, http), CancellationToken::new())
            .map_err(|e| format!("Failed to start the mesh on {}: {e}", c.bind.serf))?;
        tracing::info!(serf = %c.advertise.serf, name = %handle.local_name(), "mesh member started");
        if !c.server.start_join.is_empty() {
            match join(&handle, &c.server.start_join).await {
                Ok(n) => tracing::info!(joined = n, "joined the mesh"),
                Err(e) => {
                    handle.shutdown().await;
                    return Err(format!("Failed to join {:?}: {e}", c.server.start_join));
                }
            }
        }
        let cancel = CancellationToken::new();
        let gave_up = CancellationToken::new();
        let retry = (!c.server.retry_join.is_empty()).then(|| {
            tokio::spawn(retry_join(
                handle.clone(),
                c.server.retry_join.clone(),
                c.server.retry_interval,
                c.server.retry_max,
                cancel.clone(),
                gave_up.clone(),
            ))
        });
        Ok(AgentMesh {
            handle,
            cancel,
            retry,
            gave_up,
        })
    }

    pub fn handle(&self) -> &MeshHandle {
        &self.handle
    }

    /// Resolves when `retry_join` ran out of attempts.
    pub async fn gave_up(&self) {
        self.gave_up.cancelled().await;
    }

    /// Leaves gracefully so the others show this server `left`, not `failed`.
    pub async fn leave(&self) {
        tracing::info!("leaving the mesh");
        match tokio::time::timeout(LEAVE_TIMEOUT, self.handle.leave()).await {
            Ok(Ok(())) => tracing::info!("left the mesh"),
            Ok(Err(e)) => tracing::warn!(error = %e, "graceful leave failed"),
            Err(_) => tracing::warn!("graceful leave did not finish in {LEAVE_TIMEOUT:?}"),
        }
    }

    /// Stops the retry loop and the member and waits for both.
    pub async fn shutdown(mut self) {
        self.cancel.cancel();
        if let Some(task) = self.retry.take() {
            let _ = task.await;
        }
        self.handle.shutdown().await;
    }
}

/// Nomad's retry joiner: try every `interval` until one address answers or `max` attempts (0: forever).
async fn retry_join(
    mesh: MeshHandle,
    addrs: Vec<String>,
    interval: Duration,
    max: u32,
    cancel: CancellationToken,
    gave_up: CancellationToken,
) {
    tracing::info!(servers = ?addrs, "starting retry join");
    let mut attempt: u32 = 0;
    loop {
        attempt = attempt.saturating_add(1);
        let outcome = tokio::select! {
            () = cancel.cancelled() => return,
            r = join(&mesh, &addrs) => r,
        };
        match outcome {
            Ok(n) => {
                tracing::info!(initial_servers = n, "retry join completed");
                return;
            }
            Err(e) if max > 0 && attempt >= max => {
                tracing::error!(error = %e, attempts = attempt, "max join retry exhausted, exiting");
                gave_up.cancel();
                return;
            }
            Err(e) => {
                tracing::warn!(error = %e, retry_in = ?interval, "join failed, retrying");
            }
        }
        tokio::select! {
            () = cancel.cancelled() => return,
            () = tokio::time::sleep(interval) => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn join_addresses_default_to_the_serf_port() {
        let one = resolve("10.0.0.1").await.unwrap();
        assert_eq!(one, vec!["10.0.0.1:4648".parse::<SocketAddr>().unwrap()]);
        let two = resolve("10.0.0.1:5648").await.unwrap();
        assert_eq!(two[0].port(), 5648);
        let v6 = resolve("[::1]").await.unwrap();
        assert_eq!(v6[0], "[::1]:4648".parse::<SocketAddr>().unwrap());
        let host = resolve("localhost:7000").await.unwrap();
        assert!(
            host.iter()
                .all(|a| a.port() == 7000 && a.ip().is_loopback())
        );
        assert!(resolve("").await.is_err());
        assert!(resolve("host:port").await.is_err());
    }

    #[test]
    fn advertised_serf_address_is_separate_from_rpc() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("agent.hcl");
        std::fs::write(
            &file,
            "bind_addr = \"127.0.0.1\"\nadvertise {\n  serf = \"203.0.113.7:7648\"\n  rpc = \"10.0.0.5\"\n}\n",
        )
        .unwrap();
        let flags = crate::config::Flags {
            dev: true,
            config: vec![file],
            ..Default::default()
        };
        let c = crate::config::build(&flags).unwrap();
        let s = mesh_settings(&c, "127.0.0.1:4646".parse().unwrap());
        // The mesh binds locally but tells the others the NAT address; RPC keeps its own.
        assert_eq!(s.bind, "127.0.0.1:4648".parse::<SocketAddr>().unwrap());
        assert_eq!(
            s.advertise,
            Some("203.0.113.7:7648".parse::<SocketAddr>().unwrap())
        );
        assert_eq!(
            s.meta.rpc_addr,
            "10.0.0.5:4647".parse::<SocketAddr>().unwrap()
        );
    }

    #[test]
    fn meta_carries_nomad_tags() {
        let flags = crate::config::Flags {
            dev: true,
            node: Some("n1".into()),
            ..Default::default()
        };
        let c = crate::config::build(&flags).unwrap();
        let meta = member_meta(&c, "127.0.0.1:4646".parse().unwrap());
        assert_eq!(meta.name, "n1.global");
        let tags = meta.nomad_tags();
        assert_eq!(tags["raft_vsn"], "3");
        assert_eq!(tags["bootstrap"], "1");
        assert_eq!(tags["port"], "4647");
        assert_eq!(tags["build"], VERSION);
        assert!(matches!(
            mesh_settings(&c, meta.http_addr).core.profile,
            nomad_gossip::Profile::Lan
        ));
    }
}
