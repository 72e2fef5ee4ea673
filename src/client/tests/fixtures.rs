//! Jobs, allocations and clients for the behaviour tests.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use nomad_region::structs::{
    AllocatedPortMapping, AllocatedResources, AllocatedTaskResources, Allocation, Job,
    RestartPolicy, Task, TaskGroup, TaskState,
};
use tokio_util::sync::CancellationToken;

use super::fake_rpc::{FakeServer, State};
use crate::client::{Client, ClientConfig, ClientHandle};

pub struct Harness {
    pub server: Arc<FakeServer>,
    pub client: ClientHandle,
    pub _dir: tempfile::TempDir,
}

pub fn start_client(ttl: Duration) -> Harness {
    let dir = tempfile::tempdir().unwrap();
    let mut config = ClientConfig::dev(dir.path());
    config.mock_driver_enabled = true;
    config.meta.insert("rack".into(), "r1".into());
    config.retry_interval = Duration::from_millis(20);
    let server = Arc::new(FakeServer::new(ttl));
    let client = Client::start(config, server.clone(), CancellationToken::new()).unwrap();
    Harness {
        server,
        client,
        _dir: dir,
    }
}

pub fn sh_task(name: &str, script: &str) -> Task {
    Task {
        name: name.into(),
        driver: "raw_exec".into(),
        config: BTreeMap::from([
            ("command".to_string(), serde_json::json!("/bin/sh")),
            ("args".to_string(), serde_json::json!(["-c", script])),
        ]),
        kill_timeout: Some(2_000_000_000),
        ..Default::default()
    }
}

pub fn mock_task(name: &str, config: serde_json::Value) -> Task {
    Task {
        name: name.into(),
        driver: "mock_driver".into(),
        config: serde_json::from_value(config).unwrap(),
        ..Default::default()
    }
}

pub fn fast_restarts(attempts: i32) -> RestartPolicy {
    RestartPolicy {
        attempts: Some(attempts),
        interval: Some(600_000_000_000),
        delay: Some(10_000_000),
        mode: Some("fail".into()),
        render_templates: None,
    }
}

pub fn alloc(
    id: &str,
    node_id: &str,
    job_type: &str,
    tasks: Vec<Task>,
    restart: Option<RestartPolicy>,
) -> Allocation {
    let group = TaskGroup {
        name: "g".into(),
        count: Some(1),
        tasks: tasks.clone(),
        restart_policy: restart,
        ..Default::default()
    };
    let job = Job {
        id: "example".into(),
        name: "example".into(),
        job_type: job_type.into(),
        region: "global".into(),
        task_groups: vec![group],
        ..Default::default()
    };
    let mut res = AllocatedResources::default();
    for t in &tasks {
        let mut tr = AllocatedTaskResources::default();
        tr.cpu.cpu_shares = 100;
        tr.memory.memory_mb = 64;
        res.tasks.insert(t.name.clone(), tr);
    }
    res.shared.ports.push(AllocatedPortMapping {
        label: "http".into(),
        value: 24680,
        to: 0,
        host_ip: "127.0.0.1".into(),
    });
    Allocation {
        id: id.into(),
        namespace: "default".into(),
        name: "example.g[0]".into(),
        node_id: node_id.into(),
        job_id: "example".into(),
        task_group: "g".into(),
        job: Some(std::sync::Arc::new(job)),
        allocated_resources: Some(std::sync::Arc::new(res)),
        desired_status: "run".into(),
        client_status: "pending".into(),
        ..Default::default()
    }
}

pub fn status_is(id: &str, status: &str) -> impl Fn(&State) -> bool {
    let (id, status) = (id.to_string(), status.to_string());
    move |s| s.allocs.get(&id).is_some_and(|a| a.client_status == status)
}

pub fn event_types(state: &TaskState) -> Vec<&str> {
    state.events.iter().map(|e| e.event_type.as_str()).collect()
}
