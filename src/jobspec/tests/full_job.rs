//! A realistic job end to end: the service job `nomad job init` writes (group "cache" running
//! redis in docker), in our own words, decodes to the expected `Job`.

use super::super::{ParseOptions, parse_file, parse_str};
use super::S;
use nomad_region::structs::Job;
use serde_json::json;

const INIT_JOB: &str = r#"
# A service job with one group of one task: a Redis cache.
job "example" {
  type = "service"

  update {
    max_parallel      = 1
    min_healthy_time  = "10s"
    healthy_deadline  = "3m"
    progress_deadline = "10m"
    auto_revert       = false
    canary            = 0
  }

  migrate {
    max_parallel     = 1
    health_check     = "checks"
    min_healthy_time = "10s"
    healthy_deadline = "5m"
  }

  group "cache" {
    count = 1

    network {
      port "db" {
        to = 6379
      }
    }

    service {
      name     = "redis-cache"
      tags     = ["global", "cache"]
      port     = "db"
      provider = "nomad"
    }

    restart {
      attempts = 2
      interval = "30m"
      delay    = "15s"
      mode     = "fail"
    }

    ephemeral_disk {
      size = 300
    }

    task "redis" {
      driver = "docker"

      config {
        image          = "redis:7"
        ports          = ["db"]
        auth_soft_fail = true
      }

      resources {
        cpu    = 500 # MHz
        memory = 256 # MB
      }
    }
  }
}
"#;

fn expected() -> Job {
    let value = json!({
        "ID": "example",
        "Name": "example",
        "Type": "service",
        "Update": {
            "MaxParallel": 1, "MinHealthyTime": 10 * S, "HealthyDeadline": 180 * S,
            "ProgressDeadline": 600 * S, "AutoRevert": false, "Canary": 0
        },
        "Migrate": {
            "MaxParallel": 1, "HealthCheck": "checks", "MinHealthyTime": 10 * S,
            "HealthyDeadline": 300 * S
        },
        "TaskGroups": [{
            "Name": "cache",
            "Count": 1,
            "Networks": [{"DynamicPorts": [{"Label": "db", "To": 6379}]}],
            "Services": [{
                "Name": "redis-cache", "Tags": ["global", "cache"], "PortLabel": "db",
                "Provider": "nomad"
            }],
            "RestartPolicy": {"Attempts": 2, "Interval": 1800 * S, "Delay": 15 * S, "Mode": "fail"},
            "EphemeralDisk": {"SizeMB": 300},
            "Tasks": [{
                "Name": "redis",
                "Driver": "docker",
                "Config": {"image": "redis:7", "ports": ["db"], "auth_soft_fail": true},
                "Resources": {"CPU": 500, "MemoryMB": 256}
            }]
        }]
    });
    match serde_json::from_value(value) {
        Ok(job) => job,
        Err(e) => panic!("expected job does not fit the Job struct: {e}"),
    }
}

#[test]
fn init_job_decodes_to_the_expected_job() {
    let parsed = match parse_str(INIT_JOB, "example.nomad.hcl", &ParseOptions::default()) {
        Ok(p) => p,
        Err(e) => panic!("init job should parse: {e}"),
    };
    assert_eq!(parsed.job, expected());
    // Spot-check the typed view too.
    let group = &parsed.job.task_groups[0];
    assert_eq!(group.name, "cache");
    assert_eq!(group.count, Some(1));
    assert_eq!(group.tasks[0].driver, "docker");
    assert_eq!(group.networks[0].dynamic_ports[0].label, "db");
}

#[test]
fn same_job_from_a_file_and_from_its_json() {
    let dir = tempfile::tempdir().expect("temp dir");
    let hcl_path = dir.path().join("example.nomad.hcl");
    std::fs::write(&hcl_path, INIT_JOB).expect("write job file");
    let from_hcl = match parse_file(&hcl_path, &ParseOptions::default()) {
        Ok(p) => p,
        Err(e) => panic!("job file should parse: {e}"),
    };
    assert!(!from_hcl.spans.is_empty());

    // What `job run -output` would print, read back as a JSON job file.
    let wrapped = json!({ "Job": serde_json::to_value(&from_hcl.job).expect("job serializes") });
    let json_path = dir.path().join("example.json");
    std::fs::write(&json_path, wrapped.to_string()).expect("write json file");
    let from_json = match parse_file(&json_path, &ParseOptions::default()) {
        Ok(p) => p,
        Err(e) => panic!("json job should parse: {e}"),
    };
    assert_eq!(from_json.job, from_hcl.job);
    assert!(from_json.spans.is_empty());
}
