//! Forwarding between two in-process server agents (regions `east` and `west`) joined over real QUIC on
//! loopback, driven over real HTTP: replies and headers come back from west, jobs follow their own region,
//! errors pass through, unknown regions and already-forwarded requests answer "No path to region".

use std::time::{Duration, Instant};

use crate::agent::Agent;
use crate::config::{Flags, build};

type TestResult = std::result::Result<(), Box<dyn std::error::Error + Send + Sync>>;

async fn server(
    region: &str,
    dir: &std::path::Path,
) -> Result<Agent, Box<dyn std::error::Error + Send + Sync>> {
    let cfg = dir.join(format!("{region}.hcl"));
    std::fs::write(
        &cfg,
        format!(
            "name = \"{region}-1\"\nregion = \"{region}\"\nbind_addr = \"127.0.0.1\"\ndata_dir = \"{}\"\n\
             ports {{\n  http = 0\n  rpc = 0\n  serf = 0\n}}\nserver {{\n  enabled = true\n  bootstrap_expect = 1\n  gossip_profile = \"lan\"\n}}\n",
            dir.join(region).display()
        ),
    )?;
    let config = build(&Flags {
        config: vec![cfg],
        ..Default::default()
    })?;
    Ok(Agent::start(config).await?)
}

/// `(status, X-Nomad-Index, body)` of one HTTP call, off the runtime.
async fn call(
    method: &'static str,
    url: String,
    headers: Vec<(&'static str, &'static str)>,
    body: Option<String>,
) -> Result<(u16, u64, String), String> {
    tokio::task::spawn_blocking(move || {
        let agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .timeout_global(Some(Duration::from_secs(30)))
            .build()
            .new_agent();
        let resp = if method == "PUT" {
            let mut req = agent.put(&url);
            for (k, v) in &headers {
                req = req.header(*k, *v);
            }
            req.send(body.unwrap_or_default().as_str())
        } else {
            let mut req = agent.get(&url);
            for (k, v) in &headers {
                req = req.header(*k, *v);
            }
            req.call()
        }
        .map_err(|e| e.to_string())?;
        let status = resp.status().as_u16();
        let index = resp
            .headers()
            .get("X-Nomad-Index")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse().ok())
            .unwrap_or(0);
        let text = resp
            .into_body()
            .read_to_string()
            .map_err(|e| e.to_string())?;
        Ok((status, index, text))
    })
    .await
    .map_err(|e| e.to_string())?
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn requests_for_another_region_are_served_there() -> TestResult {
    let dir = tempfile::tempdir()?;
    let east = server("east", dir.path()).await?;
    let west = server("west", dir.path()).await?;
    let (em, wm) = (east.mesh().ok_or("mesh")?, west.mesh().ok_or("mesh")?);
    wm.join(&[em.local_addr()]).await?;
    let deadline = Instant::now() + Duration::from_secs(30);
    while em.alive_in_region("west").is_empty() {
        assert!(Instant::now() < deadline, "east never saw west");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let (e, w) = (
        format!("http://{}", east.http_addr()),
        format!("http://{}", west.http_addr()),
    );

    // A job that names west, submitted to east without `?region`, is registered in west only.
    let job = r#"{"Job": {"ID": "web", "Name": "web", "Region": "west", "Type": "service",
        "Datacenters": ["dc1"], "TaskGroups": [{"Name": "g", "Count": 1, "Tasks": [{"Name": "t",
        "Driver": "raw_exec", "Config": {"command": "/bin/true"}, "Resources": {"CPU": 10, "MemoryMB": 10}}]}]}}"#;
    let (status, _, text) = call("PUT", format!("{e}/v1/jobs"), vec![], Some(job.into())).await?;
    assert_eq!(status, 200, "{text}");
    let (status, _, text) = call("GET", format!("{w}/v1/job/web"), vec![], None).await?;
    assert_eq!(status, 200, "{text}");
    assert!(text.contains("\"Region\":\"west\""), "{text}");
    let (status, _, _) = call("GET", format!("{e}/v1/job/web"), vec![], None).await?;
    assert_eq!(status, 404, "the job is not in east");

    // A read through east is west's answer, index header included.
    let (_, direct_index, direct) = call("GET", format!("{w}/v1/jobs"), vec![], None).await?;
    let (status, index, via) =
        call("GET", format!("{e}/v1/jobs?region=west"), vec![], None).await?;
    assert_eq!((status, index, via), (200, direct_index, direct));

    // West's errors come back as they are.
    let (status, _, text) = call(
        "GET",
        format!("{e}/v1/job/missing?region=west"),
        vec![],
        None,
    )
    .await?;
    assert_eq!(status, 404, "{text}");

    // Unknown region: at once, in Nomad's words.
    let begun = Instant::now();
    let (status, _, text) =
        call("GET", format!("{e}/v1/jobs?region=nowhere"), vec![], None).await?;
    assert_eq!((status, text.trim()), (500, "No path to region"));
    assert!(begun.elapsed() < Duration::from_secs(2));

    // A request already forwarded once is never forwarded again.
    let (status, _, text) = call(
        "GET",
        format!("{e}/v1/jobs?region=west"),
        vec![("X-Nomad-Region-Forwarded", "someone.else")],
        None,
    )
    .await?;
    assert_eq!((status, text.trim()), (500, "No path to region"));

    east.shutdown().await;
    west.shutdown().await;
    Ok(())
}

/// Opens the exec websocket at `url`: the HTTP status and body it was refused with.
async fn ws_refusal(url: String) -> Result<(u16, String), String> {
    match tokio_tungstenite::connect_async(url).await {
        Err(tokio_tungstenite::tungstenite::Error::Http(resp)) => {
            let body = String::from_utf8_lossy(resp.body().as_deref().unwrap_or_default());
            Ok((resp.status().as_u16(), body.trim().to_owned()))
        }
        Err(e) => Err(e.to_string()),
        Ok(_) => Err("the websocket was accepted".into()),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn exec_websockets_for_another_region_are_opened_there() -> TestResult {
    use super::wire::{self, ExecMessage, ExecOpen};

    let dir = tempfile::tempdir()?;
    let east = server("east", dir.path()).await?;
    let west = server("west", dir.path()).await?;
    let (em, wm) = (east.mesh().ok_or("mesh")?, west.mesh().ok_or("mesh")?);
    wm.join(&[em.local_addr()]).await?;
    let deadline = Instant::now() + Duration::from_secs(30);
    while em.alive_in_region("west").is_empty() {
        assert!(Instant::now() < deadline, "east never saw west");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let e = format!("ws://{}", east.http_addr());
    let exec = "/v1/client/allocation/5ca1ab1e-0000-0000-0000-000000000000/exec?task=t&command=%5B%22true%22%5D";

    // West's refusal (it knows no such allocation) is the caller's, status and words.
    let refusal = ws_refusal(format!("{e}{exec}&region=west")).await?;
    assert_eq!(refusal, (404, "alloc not found".to_owned()));
    // No such region: at once, in Nomad's words.
    let refusal = ws_refusal(format!("{e}{exec}&region=nowhere")).await?;
    assert_eq!(refusal, (500, "No path to region".to_owned()));
    // Not a websocket at all: refused here, plainly.
    let http = format!("http://{}{exec}&region=west", east.http_addr());
    let (status, _, text) = call("GET", http, vec![], None).await?;
    assert!((400..500).contains(&status), "{status} {text}");

    // An exec stream carries only exec: west refuses anything else before touching its router.
    let open = ExecOpen {
        uri: "/v1/jobs?region=west".into(),
        headers: vec![],
        origin: em.local_name().to_owned(),
    };
    let mut stream = em
        .open_stream(
            wm.local_addr(),
            wire::encode(&open)?.into(),
            Duration::from_secs(5),
        )
        .await?;
    let first = stream.rx.recv().await.ok_or("west closed the stream")?;
    match wire::decode::<ExecMessage>(&first)? {
        ExecMessage::Refused { status, body, .. } => {
            assert_eq!(status, 400);
            assert!(String::from_utf8_lossy(&body.0).contains("only alloc exec"));
        }
        other => panic!("{other:?}"),
    }
    assert!(
        stream.rx.recv().await.is_none(),
        "the stream ends after a refusal"
    );

    east.shutdown().await;
    west.shutdown().await;
    Ok(())
}
