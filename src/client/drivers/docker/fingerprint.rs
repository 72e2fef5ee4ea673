//! Reaching the Docker Engine and fingerprinting it: the endpoint (`DOCKER_HOST`
//! or the default unix socket), a client whose API version is negotiated down to
//! the engine's, and the `DriverInfo` published for `driver.docker`. An absent or
//! unreachable engine is "undetected", never an error: the client keeps working.

use std::collections::BTreeMap;
use std::time::Duration;

use bollard::{API_DEFAULT_VERSION, ClientVersion, Docker};
use nomad_region::structs::DriverInfo;

use crate::client::drivers::now_rfc3339;

/// The engine's default socket.
pub const DEFAULT_ENDPOINT: &str = "unix:///var/run/docker.sock";
/// Per-request timeout (to the response headers; streams run longer).
const REQUEST_TIMEOUT_SECS: u64 = 120;
/// How long a fingerprint may take before the engine counts as absent.
const PROBE_TIMEOUT: Duration = Duration::from_secs(5);
/// Health description when the engine cannot be reached (Nomad's wording).
pub const UNDETECTED: &str = "Failed to connect to docker daemon";

/// The endpoint to use: `DOCKER_HOST` when set, else the default socket.
pub fn endpoint_from_env() -> String {
    std::env::var("DOCKER_HOST")
        .ok()
        .filter(|h| !h.trim().is_empty())
        .unwrap_or_else(|| DEFAULT_ENDPOINT.to_string())
}

/// A client for `endpoint` speaking API `version`. Building it does no I/O; it
/// fails only when a unix socket path does not exist (bollard checks that eagerly).
pub fn connect(endpoint: &str, version: &ClientVersion) -> Result<Docker, bollard::errors::Error> {
    if let Some(rest) = endpoint
        .strip_prefix("tcp://")
        .or_else(|| endpoint.strip_prefix("http://"))
    {
        Docker::connect_with_http(&format!("http://{rest}"), REQUEST_TIMEOUT_SECS, version)
    } else {
        Docker::connect_with_unix(endpoint, REQUEST_TIMEOUT_SECS, version)
    }
}

/// What a successful probe learned.
#[derive(Debug, Clone)]
pub struct Probe {
    /// API version both sides speak.
    pub api_version: ClientVersion,
    /// Engine version, e.g. `20.10.24`.
    pub engine_version: String,
}

/// Connects, negotiates the API version and reads the engine version.
pub async fn probe(endpoint: &str) -> Result<Probe, String> {
    let fut = async {
        let docker = connect(endpoint, API_DEFAULT_VERSION).map_err(|e| e.to_string())?;
        let docker = docker
            .negotiate_version()
            .await
            .map_err(|e| e.to_string())?;
        let version = docker.version().await.map_err(|e| e.to_string())?;
        Ok(Probe {
            api_version: docker.client_version(),
            engine_version: version.version.unwrap_or_default(),
        })
    };
    tokio::time::timeout(PROBE_TIMEOUT, fut)
        .await
        .unwrap_or_else(|_| Err("timed out".to_string()))
}

/// `probe` from synchronous code (the client builds its drivers synchronously):
/// runs on a private thread and runtime so it works inside or outside tokio.
pub fn probe_blocking(endpoint: &str) -> Result<Probe, String> {
    let endpoint = endpoint.to_string();
    let worker = std::thread::Builder::new()
        .name("docker-fingerprint".into())
        .spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .map_err(|e| e.to_string())?;
            rt.block_on(probe(&endpoint))
        })
        .map_err(|e| e.to_string())?;
    worker
        .join()
        .unwrap_or_else(|_| Err("fingerprint thread panicked".to_string()))
}

/// The `DriverInfo` for a probe result.
pub fn driver_info(probe: &Result<Probe, String>) -> DriverInfo {
    match probe {
        Ok(p) => DriverInfo {
            attributes: BTreeMap::from([
                ("driver.docker".to_string(), "1".to_string()),
                (
                    "driver.docker.version".to_string(),
                    p.engine_version.clone(),
                ),
            ]),
            detected: true,
            healthy: true,
            health_description: "Healthy".into(),
            update_time: Some(now_rfc3339()),
        },
        Err(_) => DriverInfo {
            attributes: BTreeMap::new(),
            detected: false,
            healthy: false,
            health_description: UNDETECTED.into(),
            update_time: Some(now_rfc3339()),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn absent_socket_is_undetected_not_an_error() {
        let tmp = tempfile::tempdir().unwrap();
        let sock = tmp.path().join("docker.sock");
        let endpoint = format!("unix://{}", sock.display());
        let probe = probe_blocking(&endpoint);
        assert!(probe.is_err());
        let info = driver_info(&probe);
        assert!(!info.detected && !info.healthy);
        assert_eq!(info.health_description, UNDETECTED);
        assert!(info.attributes.is_empty());
    }

    #[tokio::test]
    async fn unreachable_tcp_engine_is_undetected() {
        // Nothing listens on port 1; works from inside a runtime too.
        let probe = probe("tcp://127.0.0.1:1").await;
        assert!(probe.is_err());
        let probe = probe_blocking("tcp://127.0.0.1:1");
        assert!(!driver_info(&probe).detected);
    }

    #[test]
    fn detected_engine_publishes_version() {
        let info = driver_info(&Ok(Probe {
            api_version: ClientVersion {
                major_version: 1,
                minor_version: 41,
            },
            engine_version: "20.10.24".into(),
        }));
        assert!(info.detected && info.healthy);
        assert_eq!(info.attributes["driver.docker"], "1");
        assert_eq!(info.attributes["driver.docker.version"], "20.10.24");
    }
}
