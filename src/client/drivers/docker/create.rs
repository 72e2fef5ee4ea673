//! Turns a task (`TaskSpec` + decoded `DockerTaskConfig`) into Docker's container
//! create request: command line, env with the container-side task dirs, the
//! allocation dirs mounted at `/alloc`, `/local`, `/secrets`, published ports, cpu
//! shares and memory limits, volumes and mounts, and the labels that identify the
//! container as this allocation's task. Pure: no I/O, so it is unit-tested alone.

use std::collections::{BTreeMap, HashMap};
use std::path::Path;

use bollard::models::{
    ContainerCreateBody, HostConfig, Mount, MountBindOptions, MountBindOptionsPropagationEnum,
    MountTmpfsOptions, MountType, MountVolumeOptions, MountVolumeOptionsDriverConfig, PortBinding,
};

use super::config::{DockerTaskConfig, MountConfig};
use super::{LABEL_ALLOC_ID, LABEL_JOB_NAME, LABEL_TASK_GROUP, LABEL_TASK_NAME};
use crate::client::drivers::TaskSpec;
use crate::client::env::clean_env_key;
use crate::client::error::{ClientError, Result};

/// Where the shared allocation dir, the task's `local` and `secrets` dirs appear
/// inside the container (Nomad's paths).
const CONTAINER_DIRS: [(&str, &str); 3] = [
    ("NOMAD_ALLOC_DIR", "/alloc"),
    ("NOMAD_TASK_DIR", "/local"),
    ("NOMAD_SECRETS_DIR", "/secrets"),
];

/// Docker refuses cpu shares below 2.
const MIN_CPU_SHARES: i64 = 2;

/// The container name Nomad uses: `<task>-<alloc_id>`.
pub fn container_name(spec: &TaskSpec) -> String {
    format!("{}-{}", spec.task_name, spec.alloc_id)
}

/// One published port: container port, host IP and host port.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PublishedPort {
    /// Port label (`db`).
    pub label: String,
    /// Port inside the container.
    pub container_port: u16,
    /// Host address bound.
    pub host_ip: String,
    /// Port on the host.
    pub host_port: u16,
}

/// Resolves the `ports` labels against the task env the client built from the
/// allocation's networks (`NOMAD_PORT_<l>` is the `to` port, `NOMAD_HOST_PORT_<l>`
/// the host port the scheduler chose).
pub fn published_ports(
    labels: &[String],
    env: &BTreeMap<String, String>,
) -> Result<Vec<PublishedPort>> {
    labels
        .iter()
        .map(|label| {
            let key = clean_env_key(label);
            let port = |name: String| -> Result<u16> {
                env.get(&name)
                    .and_then(|v| v.parse::<u16>().ok())
                    .filter(|p| *p > 0)
                    .ok_or_else(|| {
                        ClientError::TaskConfig(format!(
                            "Port {label:?} not found, check network block"
                        ))
                    })
            };
            let host_port = port(format!("NOMAD_HOST_PORT_{key}"))?;
            let container_port = port(format!("NOMAD_PORT_{key}")).unwrap_or(host_port);
            let host_ip = env
                .get(&format!("NOMAD_HOST_IP_{key}"))
                .cloned()
                .unwrap_or_default();
            Ok(PublishedPort {
                label: label.clone(),
                container_port,
                host_ip,
                host_port,
            })
        })
        .collect()
}

/// Memory and cpu limits from the task env (`NOMAD_MEMORY_LIMIT` etc.).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Limits {
    /// Hard limit, bytes (0 = none).
    pub memory: i64,
    /// Soft limit (reservation), bytes, when the hard limit is higher.
    pub memory_reservation: i64,
    /// Relative cpu weight (the task's MHz).
    pub cpu_shares: i64,
}

/// `memory` is the hard limit unless `memory_max` (or `memory_hard_limit`) raises it,
/// in which case `memory` becomes the reservation, as Nomad does.
pub fn limits(env: &BTreeMap<String, String>, memory_hard_limit_mb: i64) -> Limits {
    let num = |k: &str| env.get(k).and_then(|v| v.parse::<i64>().ok()).unwrap_or(0);
    let soft = num("NOMAD_MEMORY_LIMIT").max(0);
    let max = num("NOMAD_MEMORY_MAX_LIMIT").max(memory_hard_limit_mb);
    let (hard_mb, reserve_mb) = if max > soft { (max, soft) } else { (soft, 0) };
    let cpu = num("NOMAD_CPU_LIMIT");
    Limits {
        memory: hard_mb * 1024 * 1024,
        memory_reservation: reserve_mb * 1024 * 1024,
        cpu_shares: if cpu > 0 { cpu.max(MIN_CPU_SHARES) } else { 0 },
    }
}

/// The task env as the container sees it: task dirs at their container paths.
fn container_env(env: &BTreeMap<String, String>) -> Vec<String> {
    env.iter()
        .map(|(k, v)| {
            let v = CONTAINER_DIRS
                .iter()
                .find(|(name, _)| name == k)
                .map_or(v.as_str(), |(_, inside)| inside);
            format!("{k}={v}")
        })
        .collect()
}

/// Binds of the allocation's dirs (host paths from the env) and the task's `volumes`.
fn binds(cfg: &DockerTaskConfig, spec: &TaskSpec) -> Result<Vec<String>> {
    let mut out: Vec<String> = CONTAINER_DIRS
        .iter()
        .filter_map(|(name, inside)| {
            let host = spec.env.get(*name).filter(|h| !h.is_empty())?;
            Some(format!("{host}:{inside}"))
        })
        .collect();
    for v in &cfg.volumes {
        let mut parts = v.splitn(3, ':');
        let (Some(host), Some(inside)) = (parts.next(), parts.next()) else {
            return Err(ClientError::TaskConfig(format!(
                "invalid volume {v:?}: expected host_path:container_path[:mode]"
            )));
        };
        if host.is_empty() || inside.is_empty() {
            return Err(ClientError::TaskConfig(format!("invalid volume {v:?}")));
        }
        let host = host_path(&spec.task_dir, host);
        match parts.next() {
            Some(mode) => out.push(format!("{host}:{inside}:{mode}")),
            None => out.push(format!("{host}:{inside}")),
        }
    }
    Ok(out)
}

/// A relative host path is relative to the task directory.
fn host_path(task_dir: &Path, p: &str) -> String {
    if Path::new(p).is_absolute() {
        p.to_string()
    } else {
        task_dir.join(p).to_string_lossy().into_owned()
    }
}

fn mount(m: &MountConfig, task_dir: &Path) -> Result<Mount> {
    let kind = match m.kind.as_str() {
        "bind" => MountType::BIND,
        "tmpfs" => MountType::TMPFS,
        _ => MountType::VOLUME,
    };
    let source = match kind {
        MountType::BIND => Some(host_path(task_dir, &m.source)),
        MountType::TMPFS => None,
        _ => Some(m.source.clone()).filter(|s| !s.is_empty()),
    };
    let bind_options = match &m.bind_options {
        Some(b) if !b.propagation.is_empty() => Some(MountBindOptions {
            propagation: Some(propagation(&b.propagation)?),
            ..Default::default()
        }),
        _ => None,
    };
    let volume_options = m.volume_options.as_ref().map(|v| MountVolumeOptions {
        no_copy: Some(v.no_copy),
        labels: Some(v.labels.clone().into_iter().collect())
            .filter(|l: &HashMap<_, _>| !l.is_empty()),
        driver_config: v
            .driver_config
            .as_ref()
            .map(|d| MountVolumeOptionsDriverConfig {
                name: Some(d.name.clone()).filter(|n| !n.is_empty()),
                options: Some(d.options.clone().into_iter().collect()),
            }),
        ..Default::default()
    });
    let tmpfs_options = m.tmpfs_options.as_ref().map(|t| MountTmpfsOptions {
        size_bytes: Some(t.size).filter(|s| *s > 0),
        mode: Some(t.mode).filter(|s| *s > 0),
        ..Default::default()
    });
    Ok(Mount {
        target: Some(m.target.clone()),
        source,
        typ: Some(kind),
        read_only: Some(m.readonly),
        bind_options,
        volume_options,
        tmpfs_options,
        ..Default::default()
    })
}

fn propagation(p: &str) -> Result<MountBindOptionsPropagationEnum> {
    use MountBindOptionsPropagationEnum as P;
    Ok(match p {
        "private" => P::PRIVATE,
        "rprivate" => P::RPRIVATE,
        "shared" => P::SHARED,
        "rshared" => P::RSHARED,
        "slave" => P::SLAVE,
        "rslave" => P::RSLAVE,
        other => {
            return Err(ClientError::TaskConfig(format!(
                "mount: unknown bind propagation {other:?}"
            )));
        }
    })
}

/// The labels that tie a container to its allocation and task, plus the task's own.
pub fn labels(cfg: &DockerTaskConfig, spec: &TaskSpec) -> HashMap<String, String> {
    let mut out: HashMap<String, String> = cfg.labels.clone().into_iter().collect();
    out.insert(LABEL_ALLOC_ID.into(), spec.alloc_id.clone());
    out.insert(LABEL_TASK_NAME.into(), spec.task_name.clone());
    if let Some(j) = spec.env.get("NOMAD_JOB_NAME") {
        out.insert(LABEL_JOB_NAME.into(), j.clone());
    }
    if let Some(g) = spec.env.get("NOMAD_GROUP_NAME") {
        out.insert(LABEL_TASK_GROUP.into(), g.clone());
    }
    out
}

/// The whole create request.
pub fn create_body(cfg: &DockerTaskConfig, spec: &TaskSpec) -> Result<ContainerCreateBody> {
    let ports = published_ports(&cfg.ports, &spec.env)?;
    let limits = limits(&spec.env, cfg.memory_hard_limit);
    let host_network = cfg.network_mode == "host";
    let mut exposed = Vec::new();
    let mut bindings: HashMap<String, Option<Vec<PortBinding>>> = HashMap::new();
    for p in &ports {
        // Nomad publishes each port for both protocols.
        for proto in ["tcp", "udp"] {
            let key = format!("{}/{proto}", p.container_port);
            exposed.push(key.clone());
            bindings.insert(
                key,
                Some(vec![PortBinding {
                    host_ip: Some(p.host_ip.clone()).filter(|ip| !ip.is_empty()),
                    host_port: Some(p.host_port.to_string()),
                }]),
            );
        }
    }
    let cmd = match &cfg.command {
        Some(c) if !c.is_empty() => Some(
            std::iter::once(c.clone())
                .chain(cfg.args.iter().cloned())
                .collect(),
        ),
        _ if !cfg.args.is_empty() => Some(cfg.args.clone()),
        _ => None,
    };
    let mounts = cfg
        .mount
        .iter()
        .map(|m| mount(m, &spec.task_dir))
        .collect::<Result<Vec<_>>>()?;
    let host_config = HostConfig {
        binds: Some(binds(cfg, spec)?),
        mounts: Some(mounts).filter(|m| !m.is_empty()),
        port_bindings: Some(bindings).filter(|b| !b.is_empty() && !host_network),
        network_mode: Some(cfg.network_mode.clone()).filter(|n| !n.is_empty()),
        memory: Some(limits.memory).filter(|m| *m > 0),
        // Equal to memory: no swap beyond the limit, as Nomad does.
        memory_swap: Some(limits.memory).filter(|m| *m > 0),
        memory_reservation: Some(limits.memory_reservation).filter(|m| *m > 0),
        cpu_shares: Some(limits.cpu_shares).filter(|c| *c > 0),
        ..Default::default()
    };
    Ok(ContainerCreateBody {
        image: Some(cfg.image.clone()),
        cmd,
        entrypoint: cfg.entrypoint.clone(),
        env: Some(container_env(&spec.env)),
        working_dir: Some(cfg.work_dir.clone()).filter(|w| !w.is_empty()),
        hostname: Some(cfg.hostname.clone()).filter(|h| !h.is_empty()),
        user: Some(spec.user.clone()).filter(|u| !u.is_empty()),
        labels: Some(labels(cfg, spec)),
        exposed_ports: Some(exposed).filter(|e| !e.is_empty() && !host_network),
        host_config: Some(host_config),
        ..Default::default()
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn spec(config: serde_json::Value, env: &[(&str, &str)]) -> (DockerTaskConfig, TaskSpec) {
        let map: BTreeMap<String, serde_json::Value> = match config {
            serde_json::Value::Object(m) => m.into_iter().collect(),
            _ => BTreeMap::new(),
        };
        let cfg = DockerTaskConfig::parse(&map).unwrap();
        let spec = TaskSpec {
            alloc_id: "a1b2".into(),
            task_name: "redis".into(),
            config: map,
            env: env
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
            task_dir: "/data/alloc/a1b2/redis".into(),
            stdout: None,
            stderr: None,
            user: String::new(),
            mhz_per_core: 1000.0,
        };
        (cfg, spec)
    }

    #[test]
    fn ports_come_from_the_allocations_env() {
        let (cfg, s) = spec(
            json!({"image": "redis:7", "ports": ["db"]}),
            &[
                ("NOMAD_PORT_db", "6379"),
                ("NOMAD_HOST_PORT_db", "23456"),
                ("NOMAD_HOST_IP_db", "127.0.0.1"),
            ],
        );
        let body = create_body(&cfg, &s).unwrap();
        let hc = body.host_config.unwrap();
        let b = hc.port_bindings.unwrap();
        let tcp = b["6379/tcp"].as_ref().unwrap();
        assert_eq!(tcp[0].host_port.as_deref(), Some("23456"));
        assert_eq!(tcp[0].host_ip.as_deref(), Some("127.0.0.1"));
        assert!(b.contains_key("6379/udp"));
        let mut exposed = body.exposed_ports.unwrap();
        exposed.sort();
        assert_eq!(exposed, ["6379/tcp", "6379/udp"]);
        let (cfg, s) = spec(json!({"image": "redis:7", "ports": ["web"]}), &[]);
        match create_body(&cfg, &s) {
            Err(ClientError::TaskConfig(m)) => assert!(m.contains("\"web\" not found")),
            other => panic!("expected a port error, got {other:?}"),
        }
    }

    #[test]
    fn command_env_dirs_labels_limits() {
        let (cfg, s) = spec(
            json!({
                "image": "busybox", "command": "sh", "args": ["-c", "echo hi"],
                "labels": {"team": "cache"}, "volumes": ["data:/data:ro", "/etc/x:/x"],
                "work_dir": "/data", "hostname": "h1"
            }),
            &[
                ("NOMAD_ALLOC_DIR", "/data/alloc/a1b2/alloc"),
                ("NOMAD_TASK_DIR", "/data/alloc/a1b2/redis/local"),
                ("NOMAD_JOB_NAME", "example"),
                ("NOMAD_MEMORY_LIMIT", "256"),
                ("NOMAD_MEMORY_MAX_LIMIT", "512"),
                ("NOMAD_CPU_LIMIT", "500"),
            ],
        );
        let body = create_body(&cfg, &s).unwrap();
        assert_eq!(body.cmd.unwrap(), ["sh", "-c", "echo hi"]);
        let env = body.env.unwrap();
        assert!(env.contains(&"NOMAD_ALLOC_DIR=/alloc".to_string()));
        assert!(env.contains(&"NOMAD_TASK_DIR=/local".to_string()));
        let labels = body.labels.unwrap();
        assert_eq!(labels[LABEL_ALLOC_ID], "a1b2");
        assert_eq!(labels[LABEL_TASK_NAME], "redis");
        assert_eq!(labels[LABEL_JOB_NAME], "example");
        assert_eq!(labels["team"], "cache");
        let hc = body.host_config.unwrap();
        assert_eq!(
            hc.binds.unwrap(),
            [
                "/data/alloc/a1b2/alloc:/alloc",
                "/data/alloc/a1b2/redis/local:/local",
                "/data/alloc/a1b2/redis/data:/data:ro",
                "/etc/x:/x"
            ]
        );
        assert_eq!(hc.memory, Some(512 << 20));
        assert_eq!(hc.memory_swap, Some(512 << 20));
        assert_eq!(hc.memory_reservation, Some(256 << 20));
        assert_eq!(hc.cpu_shares, Some(500));
        assert_eq!(body.working_dir.as_deref(), Some("/data"));
        assert_eq!(body.hostname.as_deref(), Some("h1"));
        assert_eq!(container_name(&s), "redis-a1b2");
    }

    #[test]
    fn limits_without_max_and_host_network() {
        let env: BTreeMap<String, String> =
            [("NOMAD_MEMORY_LIMIT".to_string(), "64".to_string())].into();
        assert_eq!(
            limits(&env, 0),
            Limits {
                memory: 64 << 20,
                memory_reservation: 0,
                cpu_shares: 0
            }
        );
        assert_eq!(limits(&env, 128).memory_reservation, 64 << 20);
        let (cfg, s) = spec(
            json!({"image": "x", "network_mode": "host", "ports": ["db"], "args": ["a"],
                   "mount": [{"type": "bind", "source": "d", "target": "/d"},
                             {"type": "tmpfs", "target": "/t", "tmpfs_options": {"size": 10}}]}),
            &[("NOMAD_HOST_PORT_db", "8080")],
        );
        let body = create_body(&cfg, &s).unwrap();
        assert_eq!(body.cmd.unwrap(), ["a"]);
        assert!(body.exposed_ports.is_none());
        let hc = body.host_config.unwrap();
        assert!(hc.port_bindings.is_none());
        assert_eq!(hc.network_mode.as_deref(), Some("host"));
        let mounts = hc.mounts.unwrap();
        assert_eq!(
            mounts[0].source.as_deref(),
            Some("/data/alloc/a1b2/redis/d")
        );
        assert_eq!(mounts[1].typ, Some(MountType::TMPFS));
        assert_eq!(
            mounts[1].tmpfs_options.as_ref().and_then(|t| t.size_bytes),
            Some(10)
        );
    }
}
