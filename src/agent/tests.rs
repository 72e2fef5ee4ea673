//! End-to-end tests of an in-process `-dev` agent over real HTTP on a free port: node registration, a
//! raw_exec job placed, run and logged, stopped; Nomad's error codes; blocking queries; clean shutdown.

use std::time::{Duration, Instant};

use serde_json::{Value, json};

use super::Agent;
use crate::config::{Flags, build};

type TestResult = std::result::Result<(), Box<dyn std::error::Error + Send + Sync>>;

struct Reply {
    status: u16,
    index: u64,
    body: String,
}

impl Reply {
    fn json(&self) -> Value {
        serde_json::from_str(&self.body).unwrap_or(Value::Null)
    }
}

/// One blocking HTTP call, run off the async runtime.
async fn call(
    method: &'static str,
    url: String,
    body: Option<String>,
) -> std::result::Result<Reply, String> {
    tokio::task::spawn_blocking(move || {
        let agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .build()
            .new_agent();
        let resp = match (method, body) {
            ("PUT", Some(b)) => agent.put(&url).send(b.as_str()),
            ("DELETE", _) => agent.delete(&url).call(),
            _ => agent.get(&url).call(),
        }
        .map_err(|e| e.to_string())?;
        let status = resp.status().as_u16();
        let index = resp
            .headers()
            .get("X-Nomad-Index")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse().ok())
            .unwrap_or(0);
        let body = resp
            .into_body()
            .read_to_string()
            .map_err(|e| e.to_string())?;
        Ok(Reply {
            status,
            index,
            body,
        })
    })
    .await
    .map_err(|e| e.to_string())?
}

/// Polls `f` until it yields a value (the test fails after a generous deadline, never on timing).
async fn eventually<T, F, Fut>(what: &str, mut f: F) -> std::result::Result<T, String>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Option<T>>,
{
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        if let Some(v) = f().await {
            return Ok(v);
        }
        if Instant::now() > deadline {
            return Err(format!("gave up waiting for {what}"));
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

async fn dev_agent() -> std::result::Result<Agent, Box<dyn std::error::Error + Send + Sync>> {
    let dir = tempfile::tempdir()?;
    let cfg = dir.path().join("ports.hcl");
    // Port 0 everywhere: tests run side by side.
    std::fs::write(&cfg, "ports {\n  http = 0\n  rpc = 0\n  serf = 0\n}\n")?;
    let config = build(&Flags {
        dev: true,
        config: vec![cfg],
        node: Some("test-node".into()),
        ..Default::default()
    })?;
    Ok(Agent::start(config).await?)
}

fn job(command: &str) -> String {
    json!({"Job": {
        "ID": "web", "Name": "web", "Type": "service", "Datacenters": ["dc1"],
        "TaskGroups": [{
            "Name": "web", "Count": 1,
            "Tasks": [{
                "Name": "server", "Driver": "raw_exec",
                "Config": {"command": "/bin/sh", "args": ["-c", command]},
                "Resources": {"CPU": 100, "MemoryMB": 32}
            }]
        }]
    }})
    .to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dev_agent_runs_a_raw_exec_job_end_to_end() -> TestResult {
    let agent = dev_agent().await?;
    let base = format!("http://{}", agent.http_addr());
    let data_dir = agent.data_dir().to_path_buf();
    assert!(data_dir.is_dir());

    // The node registers and the agent reports healthy.
    eventually("healthy agent", || {
        let url = format!("{base}/v1/agent/health");
        async move {
            call("GET", url, None)
                .await
                .ok()
                .filter(|r| r.status == 200)
        }
    })
    .await?;
    let nodes = call("GET", format!("{base}/v1/nodes"), None).await?;
    assert_eq!(nodes.status, 200);
    let nodes = nodes.json();
    assert_eq!(nodes.as_array().map(Vec::len), Some(1));
    assert_eq!(nodes[0]["Status"], "ready");
    assert_eq!(nodes[0]["Name"], "test-node");

    // Register a job.
    let reg = call(
        "PUT",
        format!("{base}/v1/jobs"),
        Some(job("echo hello-from-task; sleep 30")),
    )
    .await?;
    assert_eq!(reg.status, 200, "{}", reg.body);
    let reg_json = reg.json();
    assert!(reg_json["EvalID"].as_str().is_some_and(|s| !s.is_empty()));
    assert!(reg_json["JobModifyIndex"].as_u64().is_some_and(|i| i > 0));
    assert!(reg.index > 0);

    // It gets placed and runs.
    let alloc_id = eventually("running alloc", || {
        let url = format!("{base}/v1/job/web/allocations");
        async move {
            let r = call("GET", url, None).await.ok()?;
            let v = r.json();
            let a = v.as_array()?.first()?.clone();
            (a["ClientStatus"] == "running").then(|| a["ID"].as_str().map(String::from))?
        }
    })
    .await?;
    let status = call("GET", format!("{base}/v1/job/web"), None)
        .await?
        .json();
    assert_eq!(status["Status"], "running");
    let summary = call("GET", format!("{base}/v1/job/web/summary"), None)
        .await?
        .json();
    assert_eq!(summary["Summary"]["web"]["Running"], 1);

    // An 8-character prefix finds the allocation.
    let short = &alloc_id[..8];
    let alloc = call("GET", format!("{base}/v1/allocation/{short}"), None).await?;
    assert_eq!(alloc.status, 200);
    assert_eq!(alloc.json()["ID"], alloc_id.as_str());

    // Its output is in the logs, plain and framed.
    let logs = eventually("task output", || {
        let url = format!("{base}/v1/client/fs/logs/{alloc_id}?task=server&type=stdout&plain=true");
        async move {
            let r = call("GET", url, None).await.ok()?;
            r.body.contains("hello-from-task").then_some(r.body)
        }
    })
    .await?;
    assert_eq!(logs, "hello-from-task\n");
    let framed = call(
        "GET",
        format!("{base}/v1/client/fs/logs/{alloc_id}?task=server&type=stdout"),
        None,
    )
    .await?;
    let frame: Value = serde_json::from_str(&framed.body)?;
    assert_eq!(frame["Data"], "aGVsbG8tZnJvbS10YXNrCg==");
    assert_eq!(frame["File"], "alloc/logs/server.stdout.0");

    // Stats come from the client running it.
    let stats = call(
        "GET",
        format!("{base}/v1/client/allocation/{alloc_id}/stats"),
        None,
    )
    .await?;
    assert_eq!(stats.status, 200, "{}", stats.body);
    assert!(stats.json()["Tasks"].get("server").is_some());

    // A blocking query on the job returns once the stop changes it.
    let job_index = call("GET", format!("{base}/v1/job/web"), None).await?.index;
    let blocked = tokio::spawn(call(
        "GET",
        format!("{base}/v1/job/web?index={job_index}&wait=20s"),
        None,
    ));
    let stop = call("DELETE", format!("{base}/v1/job/web"), None).await?;
    assert_eq!(stop.status, 200, "{}", stop.body);
    let after = blocked.await??;
    assert!(after.index > job_index);
    assert_eq!(after.json()["Stop"], true);

    eventually("dead job", || {
        let url = format!("{base}/v1/job/web");
        async move {
            let v = call("GET", url, None).await.ok()?.json();
            (v["Status"] == "dead").then_some(())
        }
    })
    .await?;

    agent.shutdown().await;
    assert!(!data_dir.exists(), "the -dev data dir is removed on exit");
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn errors_are_plain_text_with_nomad_codes() -> TestResult {
    let agent = dev_agent().await?;
    let base = format!("http://{}", agent.http_addr());
    let cases: Vec<(&str, String, Option<String>, u16, &str)> = vec![
        (
            "GET",
            format!("{base}/v1/job/nope"),
            None,
            404,
            "job not found",
        ),
        (
            "PUT",
            format!("{base}/v1/jobs"),
            Some("{not json".into()),
            400,
            "Failed to decode request body",
        ),
        (
            "PUT",
            format!("{base}/v1/jobs"),
            Some("{}".into()),
            400,
            "Job must be specified",
        ),
        (
            "PUT",
            format!("{base}/v1/jobs"),
            Some(r#"{"Job":{"ID":"x","TaskGroups":[]}}"#.into()),
            400,
            "",
        ),
        (
            "GET",
            format!("{base}/v1/jobs?region=west"),
            None,
            500,
            "No path to region",
        ),
        (
            "GET",
            format!("{base}/v1/allocation/ffffffff"),
            None,
            404,
            "alloc not found",
        ),
        (
            "GET",
            format!("{base}/v1/nope"),
            None,
            404,
            "Invalid URL path",
        ),
        (
            "DELETE",
            format!("{base}/v1/jobs"),
            None,
            405,
            "Invalid method",
        ),
        (
            "GET",
            format!("{base}/v1/jobs?index=abc"),
            None,
            400,
            "index",
        ),
    ];
    for (method, url, body, code, text) in cases {
        let r = call(method, url.clone(), body).await?;
        assert_eq!(r.status, code, "{method} {url}: {}", r.body);
        assert!(r.body.contains(text), "{method} {url}: {}", r.body);
        assert!(
            !r.body.trim_start().starts_with('{'),
            "plain text, not JSON: {}",
            r.body
        );
    }
    // The agent still serves after all that.
    let leader = call("GET", format!("{base}/v1/status/leader"), None).await?;
    assert_eq!(leader.status, 200);
    // The leader is this agent, at the RPC port it really bound (port 0 asked for a free one).
    let rpc = agent.rpc_addr().ok_or("rpc endpoint has no address")?;
    assert_ne!(rpc.port(), 0);
    assert_eq!(leader.json(), json!(format!("127.0.0.1:{}", rpc.port())));
    let regions = call("GET", format!("{base}/v1/regions"), None)
        .await?
        .json();
    assert_eq!(regions, json!(["global"]));
    let members = call("GET", format!("{base}/v1/agent/members"), None)
        .await?
        .json();
    assert_eq!(members["Members"][0]["Name"], "test-node.global");
    assert_eq!(members["Members"][0]["Tags"]["region"], "global");
    let me = call("GET", format!("{base}/v1/agent/self?pretty"), None).await?;
    assert!(
        me.body.contains("\n  \"config\""),
        "pretty JSON: {}",
        me.body
    );
    agent.shutdown().await;
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn batch_job_runs_to_complete() -> TestResult {
    let agent = dev_agent().await?;
    let base = format!("http://{}", agent.http_addr());
    let body = json!({"Job": {
        "ID": "once", "Type": "batch",
        "TaskGroups": [{"Name": "g", "Tasks": [{
            "Name": "t", "Driver": "raw_exec",
            "Config": {"command": "/bin/sh", "args": ["-c", "echo done"]},
            "Resources": {"CPU": 50, "MemoryMB": 16}
        }]}]
    }})
    .to_string();
    let reg = call("PUT", format!("{base}/v1/job/once"), Some(body)).await?;
    assert_eq!(reg.status, 200, "{}", reg.body);
    let eval_id = reg.json()["EvalID"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    eventually("complete alloc", || {
        let url = format!("{base}/v1/job/once/allocations");
        async move {
            let v = call("GET", url, None).await.ok()?.json();
            (v.as_array()?.first()?["ClientStatus"] == "complete").then_some(())
        }
    })
    .await?;
    eventually("dead batch job", || {
        let url = format!("{base}/v1/job/once");
        async move { (call("GET", url, None).await.ok()?.json()["Status"] == "dead").then_some(()) }
    })
    .await?;
    let eval = call("GET", format!("{base}/v1/evaluation/{eval_id}"), None)
        .await?
        .json();
    assert_eq!(eval["Status"], "complete");
    let evals = call("GET", format!("{base}/v1/job/once/evaluations"), None)
        .await?
        .json();
    assert!(
        evals
            .as_array()
            .is_some_and(|a| a.iter().any(|e| e["ID"] == eval_id.as_str()))
    );
    agent.shutdown().await;
    Ok(())
}
