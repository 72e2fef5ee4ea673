//! JSON job files in the API shape, with and without the `{"Job": ...}` wrapper.

use super::super::{ParseOptions, parse_str, parse_to_value};
use serde_json::json;

const BARE: &str = r#"{
  "ID": "api",
  "Name": "api",
  "Type": "service",
  "Datacenters": ["dc1"],
  "TaskGroups": [
    {
      "Name": "web",
      "Count": 2,
      "Tasks": [
        {
          "Name": "server",
          "Driver": "raw_exec",
          "Config": {"command": "/bin/server", "args": ["-p", "${NOMAD_PORT_http}"]},
          "KillTimeout": 5000000000
        }
      ]
    }
  ]
}"#;

#[test]
fn bare_and_wrapped_json_give_the_same_job() {
    let opts = ParseOptions::default();
    let bare = parse_str(BARE, "api.json", &opts).map_err(|e| e.to_string());
    let wrapped =
        parse_str(&format!("{{\"Job\": {BARE}}}"), "api.json", &opts).map_err(|e| e.to_string());
    let (bare, wrapped) = match (bare, wrapped) {
        (Ok(a), Ok(b)) => (a, b),
        other => panic!("both should parse: {other:?}"),
    };
    assert_eq!(bare.job, wrapped.job);
    assert!(bare.spans.is_empty());
    let task = &bare.job.task_groups[0].tasks[0];
    assert_eq!(task.kill_timeout, Some(5_000_000_000));
    assert_eq!(task.config["args"], json!(["-p", "${NOMAD_PORT_http}"]));
}

#[test]
fn json_is_detected_by_content_too() {
    let (v, spans) = match parse_to_value(BARE, "api.nomad", &ParseOptions::default()) {
        Ok(x) => x,
        Err(e) => panic!("should parse: {e}"),
    };
    assert_eq!(v["ID"], json!("api"));
    assert_eq!(v["TaskGroups"][0]["Count"], json!(2));
    assert!(spans.is_empty());
}

#[test]
fn json_errors_carry_line_and_column() {
    let bad = BARE.replace("\"Count\": 2", "\"Count\": \"two\"");
    let e = parse_str(&bad, "api.json", &ParseOptions::default())
        .err()
        .map(|e| e.to_string())
        .unwrap_or_default();
    assert!(e.starts_with("api.json:9:20: Invalid JSON job; "), "{e}");
    assert!(e.contains("invalid type: string \"two\""), "{e}");
    let e = parse_str("{\"ID\": \"x\",}", "x.json", &ParseOptions::default())
        .err()
        .map(|e| e.to_string())
        .unwrap_or_default();
    assert!(
        e.starts_with("x.json:1:12: Invalid JSON job; trailing comma"),
        "{e}"
    );
}
