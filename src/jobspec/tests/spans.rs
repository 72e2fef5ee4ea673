//! The span map: every block and attribute is findable by its HCL path, as validation errors
//! name them.

use super::super::{ParseOptions, Pos, SpanMap, parse_str};

const SRC: &str = r#"job "web" {
  datacenters = ["dc1"]
  constraint {
    attribute = "${attr.kernel.name}"
    value     = "linux"
  }
  constraint {
    operator = "distinct_hosts"
  }
  group "cache" {
    count = 2
    network {
      port "db" {
        static = 6379
      }
    }
    task "redis" {
      driver = "docker"
      config {
        image = "redis:7"
      }
      resources {
        device "nvidia/gpu" {
          count = 1
        }
      }
    }
  }
}
"#;

fn spans() -> SpanMap {
    match parse_str(SRC, "web.nomad.hcl", &ParseOptions::default()) {
        Ok(p) => p.spans,
        Err(e) => panic!("should parse: {e}"),
    }
}

fn at(path: &[&str]) -> Option<(usize, usize)> {
    let path: Vec<String> = path.iter().map(|s| s.to_string()).collect();
    spans()
        .locate(&path)
        .map(|Pos { line, column }| (line, column))
}

#[test]
fn blocks_and_attributes_are_located() {
    assert_eq!(at(&[]), Some((1, 1)));
    assert_eq!(at(&["datacenters"]), Some((2, 3)));
    assert_eq!(at(&["group", "cache"]), Some((10, 3)));
    assert_eq!(at(&["group", "cache", "count"]), Some((11, 5)));
    assert_eq!(at(&["group", "cache", "network"]), Some((12, 5)));
    assert_eq!(
        at(&["group", "cache", "network", "port", "db"]),
        Some((13, 7))
    );
    assert_eq!(
        at(&["group", "cache", "network", "port", "db", "static"]),
        Some((14, 9))
    );
    assert_eq!(at(&["group", "cache", "task", "redis"]), Some((17, 5)));
    assert_eq!(
        at(&["group", "cache", "task", "redis", "driver"]),
        Some((18, 7))
    );
    assert_eq!(
        at(&["group", "cache", "task", "redis", "config", "image"]),
        Some((20, 9))
    );
    assert_eq!(
        at(&[
            "group",
            "cache",
            "task",
            "redis",
            "resources",
            "device",
            "nvidia/gpu",
            "count"
        ]),
        Some((24, 11))
    );
}

#[test]
fn repeated_blocks_by_index_and_first_by_name() {
    assert_eq!(at(&["constraint", "0"]), Some((3, 3)));
    assert_eq!(at(&["constraint", "1"]), Some((7, 3)));
    assert_eq!(at(&["constraint", "1", "operator"]), Some((8, 5)));
    assert_eq!(at(&["constraint"]), Some((3, 3)));
    assert_eq!(at(&["constraint", "value"]), Some((5, 5)));
    assert_eq!(
        at(&["group", "cache", "network", "0", "mode"]),
        Some((12, 5))
    );
}

#[test]
fn unknown_paths_fall_back_to_the_deepest_known_prefix() {
    assert_eq!(
        at(&["group", "cache", "task", "redis", "kill_timeout"]),
        Some((17, 5))
    );
    assert_eq!(at(&["group", "nope", "count"]), Some((1, 1)));
    assert_eq!(at(&["periodic", "crons"]), Some((1, 1)));
}
