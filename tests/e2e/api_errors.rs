//! Bad requests get a 4xx with a plain-text reason, and the agent keeps serving.

use super::dev_agent::DevAgent;

fn request(method: &str, url: &str, body: Option<&str>) -> (u16, String, String) {
    let agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .build()
        .new_agent();
    let resp = match (method, body) {
        ("PUT", Some(b)) => agent
            .put(url)
            .header("Content-Type", "application/json")
            .send(b),
        ("POST", Some(b)) => agent
            .post(url)
            .header("Content-Type", "application/json")
            .send(b),
        ("DELETE", _) => agent.delete(url).call(),
        _ => agent.get(url).call(),
    }
    .expect("request reaches the agent");
    let status = resp.status().as_u16();
    let content_type = resp
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_owned();
    let text = resp.into_body().read_to_string().unwrap_or_default();
    (status, content_type, text)
}

#[test]
fn bad_requests_get_plain_text_4xx_and_the_agent_keeps_serving() {
    let agent = DevAgent::start();
    let base = &agent.address;

    let (status, ct, body) = request("PUT", &format!("{base}/v1/jobs"), Some("{not json"));
    assert_eq!(status, 400, "malformed JSON: {body}");
    assert!(ct.starts_with("text/plain"), "{ct}");
    assert!(!body.trim().is_empty());

    let (status, ct, body) = request("GET", &format!("{base}/v1/job/no-such-job"), None);
    assert_eq!(status, 404, "{body}");
    assert!(ct.starts_with("text/plain"), "{ct}");
    assert!(body.to_lowercase().contains("not found"), "{body}");

    let invalid = r#"{"Job": {"ID": "bad job", "Type": "nonsense", "TaskGroups": [{"Name": "g", "Count": -1, "Tasks": [{"Name": "t"}]}]}}"#;
    let (status, ct, body) = request("PUT", &format!("{base}/v1/jobs"), Some(invalid));
    assert_eq!(status, 400, "invalid job: {body}");
    assert!(ct.starts_with("text/plain"), "{ct}");
    assert!(body.contains("space") || body.contains("type"), "{body}");

    // An ambiguous ID prefix: 17 allocations must share a first hex digit (pigeonhole).
    let many = r#"{"Job": {"ID": "many", "Type": "batch", "TaskGroups": [{"Name": "g", "Count": 17,
        "Tasks": [{"Name": "t", "Driver": "raw_exec", "Config": {"command": "/bin/true"},
                   "Resources": {"CPU": 10, "MemoryMB": 10}}]}]}}"#;
    let (status, _, body) = request("PUT", &format!("{base}/v1/jobs"), Some(many));
    assert_eq!(status, 200, "{body}");
    let mut ids: Vec<String> = Vec::new();
    agent.wait_for("17 allocations", || {
        let (_, _, list) = request("GET", &format!("{base}/v1/job/many/allocations"), None);
        let parsed: serde_json::Value = serde_json::from_str(&list).unwrap_or_default();
        ids = parsed
            .as_array()
            .map(|a| {
                a.iter()
                    .filter_map(|x| x["ID"].as_str().map(str::to_owned))
                    .collect()
            })
            .unwrap_or_default();
        ids.len() == 17
    });
    let shared = (0..16u32)
        .filter_map(|d| char::from_digit(d, 16))
        .find(|c| ids.iter().filter(|id| id.starts_with(*c)).count() > 1)
        .expect("some first digit repeats");
    let (status, ct, body) = request("GET", &format!("{base}/v1/allocation/{shared}"), None);
    assert_eq!(status, 400, "ambiguous prefix: {body}");
    assert!(ct.starts_with("text/plain"), "{ct}");
    assert!(body.contains("matched multiple"), "{body}");
    let cli = agent.nomad(&["alloc", "status", &shared.to_string()]);
    assert_eq!(
        cli.status.code(),
        Some(1),
        "{}",
        super::dev_agent::both(&cli)
    );
    assert!(
        super::dev_agent::stderr(&cli).contains("Prefix matched multiple allocations"),
        "{}",
        super::dev_agent::both(&cli)
    );

    // Still serving.
    let (status, _, body) = request("GET", &format!("{base}/v1/jobs"), None);
    assert_eq!(status, 200, "{body}");
}
