//! Fingerprinting: what this machine is and has, as the `Node` the client
//! registers (attributes with Nomad's names, resources, drivers). Also the node's
//! persistent identity (`<data_dir>/client/client-id`).

mod cpu;
mod host;

use std::collections::BTreeMap;
use std::sync::Arc;

use nomad_region::structs::{
    NETWORK_MODE_HOST, NODE_SCHEDULING_ELIGIBLE, NODE_STATUS_INIT, NetworkResource, Node,
    NodeCpuResources, NodeDiskResources, NodeMemoryResources, NodeReservedCpuResources,
    NodeReservedDiskResources, NodeReservedMemoryResources, NodeReservedNetworkResources,
    NodeReservedResources, NodeResources,
};

pub use cpu::CpuInfo;

use super::config::ClientConfig;
use super::drivers::Driver;
use super::error::{ClientError, Result};

/// The version reported as `nomad.version`.
pub const NOMAD_VERSION: &str = env!("CARGO_PKG_VERSION");

/// The node's ID and secret: the configured ID, or the saved one, or new ones
/// (saved so that a restarted client is the same node).
pub fn node_identity(config: &ClientConfig) -> Result<(String, String)> {
    let dir = config.state_dir();
    let read = |name: &str| {
        std::fs::read_to_string(dir.join(name))
            .ok()
            .map(|s| s.trim().to_string())
            .filter(|s| !s.is_empty())
    };
    let id = config
        .node_id
        .clone()
        .or_else(|| read("client-id"))
        .unwrap_or_else(|| uuid::Uuid::new_v4().to_string());
    let secret = read("secret-id").unwrap_or_else(|| uuid::Uuid::new_v4().to_string());
    std::fs::create_dir_all(&dir).map_err(|e| ClientError::io("create state dir", &dir, e))?;
    for (name, value) in [("client-id", &id), ("secret-id", &secret)] {
        let p = dir.join(name);
        std::fs::write(&p, value).map_err(|e| ClientError::io("write", &p, e))?;
    }
    Ok((id, secret))
}

/// Fingerprints the host and the drivers into a `Node` (status `initializing`).
pub fn build_node(
    config: &ClientConfig,
    id: &str,
    secret: &str,
    drivers: &[Arc<dyn Driver>],
) -> (Node, CpuInfo) {
    let u = host::uname();
    let (os_name, os_version) = host::os_release();
    let mut cpu = cpu::detect();
    if let Some(total) = config.cpu_total_compute.filter(|t| *t > 0) {
        cpu.mhz = total as f64 / cpu.cores.max(1) as f64;
    }
    let mem_bytes = config
        .memory_total_mb
        .filter(|m| *m > 0)
        .map_or_else(host::total_memory, |m| m as u64 * 1024 * 1024);
    let alloc_root = config.alloc_root();
    let (disk_total, disk_free) = host::disk_space(&alloc_root);

    let mut a = BTreeMap::new();
    let mut attr = |k: &str, v: String| {
        a.insert(k.to_string(), v);
    };
    attr("kernel.name", u.sysname.clone());
    attr("kernel.version", u.release.clone());
    attr("kernel.arch", u.machine.clone());
    attr("os.name", os_name);
    attr("os.version", os_version);
    attr("cpu.arch", host::go_arch(&u.machine));
    attr("cpu.numcores", cpu.cores.to_string());
    attr("cpu.frequency", format!("{:.0}", cpu.mhz));
    attr("cpu.totalcompute", cpu.total_compute().to_string());
    attr(
        "cpu.reservablecores",
        format!("0-{}", cpu.cores.saturating_sub(1)),
    );
    if !cpu.model.is_empty() {
        attr("cpu.modelname", cpu.model.clone());
    }
    attr("memory.totalbytes", mem_bytes.to_string());
    attr("unique.hostname", u.nodename.clone());
    attr(
        "unique.storage.volume",
        alloc_root.to_string_lossy().into_owned(),
    );
    attr("unique.storage.bytestotal", disk_total.to_string());
    attr("unique.storage.bytesfree", disk_free.to_string());
    attr("unique.network.ip-address", config.network_ip.clone());
    attr("nomad.version", NOMAD_VERSION.to_string());
    attr("nomad.revision", String::new());
    attr("nomad.advertise.address", config.http_addr.clone());
    attr("nomad.region", config.region.clone());

    let mut infos = BTreeMap::new();
    for d in drivers {
        let info = d.fingerprint();
        if info.detected && info.healthy {
            a.insert(format!("driver.{}", d.name()), "1".to_string());
            a.extend(
                info.attributes
                    .iter()
                    .filter(|(k, _)| k.as_str() != format!("driver.{}", d.name()))
                    .map(|(k, v)| (k.clone(), v.clone())),
            );
        }
        infos.insert(d.name().to_string(), info);
    }

    let name = if config.node_name.is_empty() {
        u.nodename.clone()
    } else {
        config.node_name.clone()
    };
    let resources = NodeResources {
        cpu: NodeCpuResources {
            cpu_shares: cpu.total_compute(),
            total_cpu_cores: cpu.cores,
            reservable_cpu_cores: (0..cpu.cores).collect(),
        },
        memory: NodeMemoryResources {
            memory_mb: (mem_bytes / 1024 / 1024) as i64,
        },
        disk: NodeDiskResources {
            disk_mb: (disk_free / 1024 / 1024) as i64,
        },
        networks: vec![NetworkResource {
            mode: NETWORK_MODE_HOST.into(),
            device: config.network_interface.clone(),
            cidr: format!("{}/32", config.network_ip),
            ip: config.network_ip.clone(),
            ..Default::default()
        }],
        devices: Vec::new(),
        min_dynamic_port: config.min_dynamic_port,
        max_dynamic_port: config.max_dynamic_port,
    };
    let reserved = NodeReservedResources {
        cpu: NodeReservedCpuResources {
            cpu_shares: config.reserved_cpu,
        },
        memory: NodeReservedMemoryResources {
            memory_mb: config.reserved_memory_mb,
        },
        disk: NodeReservedDiskResources {
            disk_mb: config.reserved_disk_mb,
        },
        networks: NodeReservedNetworkResources {
            reserved_host_ports: config.reserved_ports.clone(),
        },
    };
    let node = Node {
        id: id.to_string(),
        secret_id: secret.to_string(),
        datacenter: config.datacenter.clone(),
        name,
        http_addr: config.http_addr.clone(),
        attributes: a,
        node_resources: Some(resources),
        reserved_resources: Some(reserved),
        meta: config.meta.clone(),
        node_class: config.node_class.clone(),
        node_pool: config.node_pool.clone(),
        scheduling_eligibility: NODE_SCHEDULING_ELIGIBLE.into(),
        status: NODE_STATUS_INIT.into(),
        drivers: infos,
        ..Default::default()
    };
    (node, cpu)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::client::drivers::{MockDriver, RawExecDriver};

    #[test]
    fn node_has_nomads_attributes_and_drivers() {
        let tmp = tempfile::tempdir().unwrap();
        let mut cfg = ClientConfig::dev(tmp.path());
        cfg.node_name = "n1".into();
        cfg.meta.insert("rack".into(), "r1".into());
        cfg.cpu_total_compute = Some(4000);
        let drivers: Vec<Arc<dyn Driver>> =
            vec![Arc::new(RawExecDriver::new(true)), Arc::new(MockDriver)];
        let (node, cpu) = build_node(&cfg, "id-1", "secret", &drivers);
        for k in [
            "kernel.name",
            "os.name",
            "cpu.arch",
            "cpu.numcores",
            "memory.totalbytes",
            "unique.hostname",
            "unique.storage.bytesfree",
        ] {
            assert!(node.attributes.contains_key(k), "missing {k}");
        }
        assert_eq!(node.attributes["driver.raw_exec"], "1");
        assert_eq!(node.attributes["driver.mock_driver"], "1");
        assert!(node.drivers["raw_exec"].healthy);
        assert_eq!(node.name, "n1");
        assert_eq!(node.meta["rack"], "r1");
        let r = node.node_resources.unwrap();
        assert!(
            (r.cpu.cpu_shares - 4000).abs() <= cpu.cores as i64,
            "override of total compute"
        );
        assert!(r.memory.memory_mb > 0);
        assert_eq!(r.networks[0].ip, "127.0.0.1");

        let off: Vec<Arc<dyn Driver>> = vec![Arc::new(RawExecDriver::new(false))];
        let (node, _) = build_node(&ClientConfig::new(tmp.path()), "id-1", "s", &off);
        assert!(!node.attributes.contains_key("driver.raw_exec"));
        assert!(!node.drivers["raw_exec"].detected);
    }

    #[test]
    fn identity_persists() {
        let tmp = tempfile::tempdir().unwrap();
        let cfg = ClientConfig::new(tmp.path());
        let (id, secret) = node_identity(&cfg).unwrap();
        assert_eq!(node_identity(&cfg).unwrap(), (id.clone(), secret));
        let mut fixed = cfg.clone();
        fixed.node_id = Some("fixed".into());
        assert_eq!(node_identity(&fixed).unwrap().0, "fixed");
        assert_ne!(id, "fixed");
    }
}
