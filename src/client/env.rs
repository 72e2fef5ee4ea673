//! The task environment: Nomad's `NOMAD_*` variables for one task of one
//! allocation, the task's own `env` block (interpolated), and the variable map
//! that `${...}` interpolation reads (env plus `attr.*`, `meta.*`, `node.*`).

use std::collections::BTreeMap;
use std::path::Path;

use nomad_region::structs::{Allocation, Node, Task};

/// The environment and interpolation variables of one task.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct TaskEnv {
    /// Environment variables the task gets.
    pub env: BTreeMap<String, String>,
    /// What `${...}` may reference: `env` plus node attributes, meta and identity.
    pub vars: BTreeMap<String, String>,
}

/// Replaces characters not valid in an env var name with `_` (Nomad does the same
/// for meta keys and port labels).
pub fn clean_env_key(key: &str) -> String {
    key.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '_' {
                c
            } else {
                '_'
            }
        })
        .collect()
}

/// A port of the allocation as tasks see it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TaskPort {
    /// Label.
    pub label: String,
    /// Host IP.
    pub ip: String,
    /// Host port.
    pub value: i32,
    /// Port the task should listen on when mapped (0 = the host port).
    pub to: i32,
}

/// Every port given to the allocation (group network) or to the task (task-level
/// network, deprecated), first occurrence of a label wins.
pub fn alloc_ports(alloc: &Allocation, task: &str, default_ip: &str) -> Vec<TaskPort> {
    let mut out: Vec<TaskPort> = Vec::new();
    let mut push = |p: TaskPort| {
        if !out.iter().any(|o| o.label == p.label) {
            out.push(p);
        }
    };
    let Some(res) = alloc.allocated_resources.as_ref() else {
        return out;
    };
    let ip_or = |ip: &str| {
        if ip.is_empty() {
            default_ip.to_string()
        } else {
            ip.to_string()
        }
    };
    for m in &res.shared.ports {
        push(TaskPort {
            label: m.label.clone(),
            ip: ip_or(&m.host_ip),
            value: m.value,
            to: m.to,
        });
    }
    let task_nets = res
        .tasks
        .get(task)
        .map(|t| t.networks.as_slice())
        .unwrap_or_default();
    for net in res.shared.networks.iter().chain(task_nets) {
        for p in net.ports() {
            push(TaskPort {
                label: p.label.clone(),
                ip: ip_or(&net.ip),
                value: p.value,
                to: p.to,
            });
        }
    }
    out
}

/// Builds a task's environment.
pub fn build(node: &Node, alloc: &Allocation, task: &Task, alloc_dir: &Path) -> TaskEnv {
    let mut env = BTreeMap::new();
    let mut set = |k: &str, v: String| {
        env.insert(k.to_string(), v);
    };
    let dir = |p: &Path| p.to_string_lossy().into_owned();
    set("NOMAD_ALLOC_DIR", dir(&alloc_dir.join("alloc")));
    set(
        "NOMAD_TASK_DIR",
        dir(&alloc_dir.join(&task.name).join("local")),
    );
    set(
        "NOMAD_SECRETS_DIR",
        dir(&alloc_dir.join(&task.name).join("secrets")),
    );
    set("NOMAD_ALLOC_ID", alloc.id.clone());
    set("NOMAD_SHORT_ALLOC_ID", alloc.id.chars().take(8).collect());
    set("NOMAD_ALLOC_NAME", alloc.name.clone());
    if let Some(i) = alloc.index() {
        set("NOMAD_ALLOC_INDEX", i.to_string());
    }
    set("NOMAD_TASK_NAME", task.name.clone());
    set("NOMAD_GROUP_NAME", alloc.task_group.clone());
    set("NOMAD_DC", node.datacenter.clone());
    set(
        "NOMAD_REGION",
        node.attributes
            .get("nomad.region")
            .cloned()
            .unwrap_or_default(),
    );
    set("NOMAD_NAMESPACE", alloc.namespace.clone());
    let job = alloc.job.as_deref();
    set(
        "NOMAD_JOB_ID",
        job.map_or_else(|| alloc.job_id.clone(), |j| j.id.clone()),
    );
    set(
        "NOMAD_JOB_NAME",
        job.map_or_else(
            || alloc.job_id.clone(),
            |j| {
                if j.name.is_empty() {
                    j.id.clone()
                } else {
                    j.name.clone()
                }
            },
        ),
    );
    if let Some(parent) = job.map(|j| &j.parent_id).filter(|p| !p.is_empty()) {
        set("NOMAD_JOB_PARENT_ID", parent.clone());
    }
    if let Some(region) = job.map(|j| &j.region).filter(|r| !r.is_empty()) {
        set("NOMAD_REGION", region.clone());
    }
    if let Some(r) = alloc
        .allocated_resources
        .as_ref()
        .and_then(|r| r.tasks.get(&task.name))
    {
        set("NOMAD_CPU_LIMIT", r.cpu.cpu_shares.to_string());
        set("NOMAD_MEMORY_LIMIT", r.memory.memory_mb.to_string());
        if r.memory.memory_max_mb > 0 {
            set("NOMAD_MEMORY_MAX_LIMIT", r.memory.memory_max_mb.to_string());
        }
        if !r.cpu.reserved_cores.is_empty() {
            let cores: Vec<String> = r.cpu.reserved_cores.iter().map(u32::to_string).collect();
            set("NOMAD_CPU_CORES", cores.join(","));
        }
    } else if let Some(r) = task.resources.as_ref() {
        set("NOMAD_CPU_LIMIT", r.cpu_mhz().to_string());
        set("NOMAD_MEMORY_LIMIT", r.memory().to_string());
    }
    // Meta merged job -> group -> task; both the key as written and upper-cased.
    let mut meta = BTreeMap::new();
    if let Some(j) = job {
        meta.extend(j.meta.clone());
        if let Some(g) = j.lookup_task_group(&alloc.task_group) {
            meta.extend(g.meta.clone());
        }
    }
    meta.extend(task.meta.clone());
    for (k, v) in &meta {
        let key = clean_env_key(k);
        set(&format!("NOMAD_META_{key}"), v.clone());
        set(
            &format!("NOMAD_META_{}", key.to_ascii_uppercase()),
            v.clone(),
        );
    }
    for p in alloc_ports(alloc, &task.name, &node_ip(node)) {
        let label = clean_env_key(&p.label);
        let task_port = if p.to > 0 { p.to } else { p.value };
        set(&format!("NOMAD_IP_{label}"), p.ip.clone());
        set(&format!("NOMAD_PORT_{label}"), task_port.to_string());
        set(
            &format!("NOMAD_ADDR_{label}"),
            format!("{}:{task_port}", p.ip),
        );
        set(&format!("NOMAD_HOST_IP_{label}"), p.ip.clone());
        set(&format!("NOMAD_HOST_PORT_{label}"), p.value.to_string());
        set(
            &format!("NOMAD_HOST_ADDR_{label}"),
            format!("{}:{}", p.ip, p.value),
        );
        set(&format!("NOMAD_ALLOC_PORT_{label}"), task_port.to_string());
    }

    let mut vars = node_vars(node);
    vars.extend(env.clone());
    // The task's env block may reference NOMAD_* and node values, and earlier vars.
    for (k, v) in &task.env {
        let value = super::interpolate::interpolate(v, &vars);
        vars.insert(k.clone(), value.clone());
        env.insert(k.clone(), value);
    }
    TaskEnv { env, vars }
}

/// The node's advertised IP (`unique.network.ip-address`), or loopback.
pub fn node_ip(node: &Node) -> String {
    node.attributes
        .get("unique.network.ip-address")
        .cloned()
        .unwrap_or_else(|| "127.0.0.1".to_string())
}

/// `attr.*`, `meta.*` and `node.*` variables of a node.
pub fn node_vars(node: &Node) -> BTreeMap<String, String> {
    let mut vars = BTreeMap::new();
    for (k, v) in &node.attributes {
        vars.insert(format!("attr.{k}"), v.clone());
    }
    for (k, v) in &node.meta {
        vars.insert(format!("meta.{k}"), v.clone());
    }
    vars.insert("node.unique.id".into(), node.id.clone());
    vars.insert("node.unique.name".into(), node.name.clone());
    vars.insert("node.datacenter".into(), node.datacenter.clone());
    vars.insert("node.class".into(), node.node_class.clone());
    vars.insert("node.pool".into(), node.node_pool.clone());
    vars.insert(
        "node.region".into(),
        node.attributes
            .get("nomad.region")
            .cloned()
            .unwrap_or_default(),
    );
    vars
}

#[cfg(test)]
mod tests {
    use super::*;
    use nomad_region::structs::{
        AllocatedPortMapping, AllocatedResources, AllocatedTaskResources, Job, NetworkResource,
        Port, TaskGroup,
    };

    fn fixture() -> (Node, Allocation, Task) {
        let node = Node {
            id: "node-1".into(),
            name: "n1".into(),
            datacenter: "dc1".into(),
            attributes: BTreeMap::from([
                ("kernel.name".to_string(), "linux".to_string()),
                ("nomad.region".to_string(), "global".to_string()),
            ]),
            meta: BTreeMap::from([("rack".to_string(), "r7".to_string())]),
            ..Default::default()
        };
        let task = Task {
            name: "web".into(),
            meta: BTreeMap::from([("tier".to_string(), "front".to_string())]),
            env: BTreeMap::from([
                ("LISTEN".to_string(), "${NOMAD_ADDR_http}".to_string()),
                (
                    "WHERE".to_string(),
                    "${attr.kernel.name}/${meta.rack}/${node.unique.id}".to_string(),
                ),
            ]),
            ..Default::default()
        };
        let job = Job {
            id: "example".into(),
            name: "example".into(),
            region: "global".into(),
            meta: BTreeMap::from([("owner".to_string(), "ops".to_string())]),
            task_groups: vec![TaskGroup {
                name: "cache".into(),
                ..Default::default()
            }],
            ..Default::default()
        };
        let mut res = AllocatedResources::default();
        let mut tr = AllocatedTaskResources::default();
        tr.cpu.cpu_shares = 100;
        tr.memory.memory_mb = 256;
        res.tasks.insert("web".into(), tr);
        res.shared.ports.push(AllocatedPortMapping {
            label: "http".into(),
            value: 23456,
            to: 0,
            host_ip: "127.0.0.1".into(),
        });
        res.shared.networks.push(NetworkResource {
            ip: "127.0.0.1".into(),
            reserved_ports: vec![Port {
                label: "db".into(),
                value: 6379,
                to: 0,
                ..Default::default()
            }],
            dynamic_ports: vec![Port {
                label: "http".into(),
                value: 1,
                ..Default::default()
            }],
            ..Default::default()
        });
        let alloc = Allocation {
            id: "0123456789abcdef".into(),
            name: "example.cache[2]".into(),
            namespace: "default".into(),
            job_id: "example".into(),
            task_group: "cache".into(),
            job: Some(std::sync::Arc::new(job)),
            allocated_resources: Some(std::sync::Arc::new(res)),
            ..Default::default()
        };
        (node, alloc, task)
    }

    #[test]
    fn nomad_variables() {
        let (node, alloc, task) = fixture();
        let e = build(&node, &alloc, &task, Path::new("/data/alloc/0123"));
        let g = |k: &str| e.env.get(k).map(String::as_str);
        assert_eq!(g("NOMAD_ALLOC_DIR"), Some("/data/alloc/0123/alloc"));
        assert_eq!(g("NOMAD_TASK_DIR"), Some("/data/alloc/0123/web/local"));
        assert_eq!(g("NOMAD_SHORT_ALLOC_ID"), Some("01234567"));
        assert_eq!(g("NOMAD_ALLOC_INDEX"), Some("2"));
        assert_eq!(g("NOMAD_JOB_NAME"), Some("example"));
        assert_eq!(g("NOMAD_GROUP_NAME"), Some("cache"));
        assert_eq!(g("NOMAD_REGION"), Some("global"));
        assert_eq!(g("NOMAD_MEMORY_LIMIT"), Some("256"));
        assert_eq!(g("NOMAD_META_owner"), Some("ops"));
        assert_eq!(g("NOMAD_META_TIER"), Some("front"));
        assert_eq!(
            g("NOMAD_PORT_http"),
            Some("23456"),
            "shared port mapping wins over the network copy"
        );
        assert_eq!(g("NOMAD_ADDR_db"), Some("127.0.0.1:6379"));
        assert_eq!(g("LISTEN"), Some("127.0.0.1:23456"));
        assert_eq!(g("WHERE"), Some("linux/r7/node-1"));
        assert_eq!(
            e.vars.get("attr.kernel.name").map(String::as_str),
            Some("linux")
        );
    }

    #[test]
    fn mapped_port_uses_to() {
        let (node, mut alloc, task) = fixture();
        if let Some(r) = alloc
            .allocated_resources
            .as_mut()
            .map(std::sync::Arc::make_mut)
        {
            r.shared.ports[0].to = 8080;
        }
        let e = build(&node, &alloc, &task, Path::new("/x"));
        assert_eq!(e.env["NOMAD_PORT_http"], "8080");
        assert_eq!(e.env["NOMAD_HOST_PORT_http"], "23456");
        assert_eq!(clean_env_key("a.b-c"), "a_b_c");
    }
}
