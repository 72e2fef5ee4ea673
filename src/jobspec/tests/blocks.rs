//! Job- and group-level blocks decode to Nomad's API JSON shape.

use super::{S, group, value};
use serde_json::json;

#[test]
fn job_attributes_and_label() {
    let v = value(
        r#"
job "web" {
  region      = "east"
  namespace   = "prod"
  type        = "batch"
  priority    = 70
  all_at_once = true
  datacenters = ["dc1", "dc2"]
  node_pool   = "gpu"
  meta {
    owner = "team-a"
    build = 42
  }
}
"#,
    );
    assert_eq!(
        v,
        json!({
            "ID": "web", "Name": "web", "Region": "east", "Namespace": "prod", "Type": "batch",
            "Priority": 70, "AllAtOnce": true, "Datacenters": ["dc1", "dc2"], "NodePool": "gpu",
            "Meta": {"owner": "team-a", "build": "42"}
        })
    );
    // `name` overrides the display name, not the ID.
    let v = value("job \"web\" {\n  name = \"Web Site\"\n}\n");
    assert_eq!(v["ID"], json!("web"));
    assert_eq!(v["Name"], json!("Web Site"));
}

#[test]
fn meta_as_attribute_or_block() {
    let a = value("job \"j\" {\n  meta = {\n    a = \"1\"\n  }\n}\n");
    let b = value("job \"j\" {\n  meta {\n    a = 1\n  }\n}\n");
    assert_eq!(a["Meta"], json!({"a": "1"}));
    assert_eq!(a, b);
}

#[test]
fn constraints_in_every_form() {
    let v = value(
        r#"
job "j" {
  constraint {
    attribute = "${attr.kernel.name}"
    value     = "linux"
  }
  constraint {
    attribute = "${meta.rack}"
    operator  = "!="
    value     = "r1"
  }
  constraint {
    distinct_hosts = true
  }
  constraint {
    distinct_hosts = false
  }
  constraint {
    distinct_property = "${meta.rack}"
    value             = "2"
  }
  constraint {
    attribute = "${attr.os.version}"
    version   = ">= 22.04"
  }
  constraint {
    attribute = "${attr.cpu.arch}"
    regexp    = "^(amd|arm)64$"
  }
  constraint {
    attribute    = "${meta.tags}"
    set_contains = "ssd,fast"
  }
  constraint {
    attribute = "${attr.vault.version}"
    operator  = "is_set"
  }
}
"#,
    );
    assert_eq!(
        v["Constraints"],
        json!([
            {"LTarget": "${attr.kernel.name}", "RTarget": "linux", "Operand": "="},
            {"LTarget": "${meta.rack}", "RTarget": "r1", "Operand": "!="},
            {"Operand": "distinct_hosts"},
            {"Operand": "distinct_property", "LTarget": "${meta.rack}", "RTarget": "2"},
            {"LTarget": "${attr.os.version}", "Operand": "version", "RTarget": ">= 22.04"},
            {"LTarget": "${attr.cpu.arch}", "Operand": "regexp", "RTarget": "^(amd|arm)64$"},
            {"LTarget": "${meta.tags}", "Operand": "set_contains", "RTarget": "ssd,fast"},
            {"LTarget": "${attr.vault.version}", "Operand": "is_set"}
        ])
    );
}

#[test]
fn affinity_and_spread() {
    let v = value(
        r#"
job "j" {
  affinity {
    attribute = "${node.datacenter}"
    value     = "dc1"
    weight    = -50
  }
  affinity {
    attribute        = "${meta.tags}"
    set_contains_any = "a,b"
  }
  spread {
    attribute = "${node.datacenter}"
    weight    = 100
    target "dc1" {
      percent = 70
    }
    target "dc2" {
      percent = 30
    }
  }
}
"#,
    );
    assert_eq!(
        v["Affinities"],
        json!([
            {"LTarget": "${node.datacenter}", "RTarget": "dc1", "Operand": "=", "Weight": -50},
            {"LTarget": "${meta.tags}", "Operand": "set_contains_any", "RTarget": "a,b"}
        ])
    );
    assert_eq!(
        v["Spreads"],
        json!([{
            "Attribute": "${node.datacenter}", "Weight": 100,
            "SpreadTarget": [{"Value": "dc1", "Percent": 70}, {"Value": "dc2", "Percent": 30}]
        }])
    );
}

#[test]
fn update_migrate_reschedule() {
    let v = value(
        r#"
job "j" {
  update {
    max_parallel      = 2
    health_check      = "checks"
    min_healthy_time  = "15s"
    healthy_deadline  = "5m"
    progress_deadline = "10m"
    auto_revert       = true
    auto_promote      = true
    canary            = 1
    stagger           = "30s"
  }
  migrate {
    max_parallel     = 1
    health_check     = "task_states"
    min_healthy_time = "10s"
    healthy_deadline = "5m"
  }
  reschedule {
    attempts       = 3
    interval       = "1h"
    delay          = "30s"
    delay_function = "fibonacci"
    max_delay      = "1h30m"
    unlimited      = false
  }
}
"#,
    );
    assert_eq!(
        v["Update"],
        json!({
            "MaxParallel": 2, "HealthCheck": "checks", "MinHealthyTime": 15 * S,
            "HealthyDeadline": 300 * S, "ProgressDeadline": 600 * S, "AutoRevert": true,
            "AutoPromote": true, "Canary": 1, "Stagger": 30 * S
        })
    );
    assert_eq!(
        v["Migrate"],
        json!({"MaxParallel": 1, "HealthCheck": "task_states", "MinHealthyTime": 10 * S, "HealthyDeadline": 300 * S})
    );
    assert_eq!(
        v["Reschedule"],
        json!({
            "Attempts": 3, "Interval": 3600 * S, "Delay": 30 * S, "DelayFunction": "fibonacci",
            "MaxDelay": 5400 * S, "Unlimited": false
        })
    );
}

#[test]
fn periodic_and_parameterized() {
    let v = value(
        r#"
job "j" {
  type = "batch"
  periodic {
    cron             = "*/15 * * * *"
    prohibit_overlap = true
    time_zone        = "America/New_York"
    enabled          = true
  }
  parameterized {
    payload       = "required"
    meta_required = ["input"]
    meta_optional = ["mode", "level"]
  }
}
"#,
    );
    assert_eq!(
        v["Periodic"],
        json!({"Spec": "*/15 * * * *", "ProhibitOverlap": true, "TimeZone": "America/New_York", "Enabled": true})
    );
    assert_eq!(
        v["ParameterizedJob"],
        json!({"Payload": "required", "MetaRequired": ["input"], "MetaOptional": ["mode", "level"]})
    );
    let v =
        value("job \"j\" {\n  periodic {\n    crons = [\"0 1 * * *\", \"0 13 * * *\"]\n  }\n}\n");
    assert_eq!(v["Periodic"], json!({"Specs": ["0 1 * * *", "0 13 * * *"]}));
}

#[test]
fn ui_and_multiregion() {
    let v = value(
        r#"
job "j" {
  ui {
    description = "The **web** tier"
    link {
      label = "Runbook"
      url   = "https://example.com/runbook"
    }
  }
  multiregion {
    strategy {
      max_parallel = 1
      on_failure   = "fail_all"
    }
    region "west" {
      count       = 2
      datacenters = ["w1"]
    }
  }
}
"#,
    );
    assert_eq!(
        v["UI"],
        json!({"Description": "The **web** tier", "Links": [{"Label": "Runbook", "URL": "https://example.com/runbook"}]})
    );
    assert_eq!(
        v["Multiregion"],
        json!({
            "Strategy": {"MaxParallel": 1, "OnFailure": "fail_all"},
            "Regions": [{"Name": "west", "Count": 2, "Datacenters": ["w1"]}]
        })
    );
}

#[test]
fn group_attributes_and_policies() {
    let g = group(
        r#"
    count                 = 3
    shutdown_delay        = "5s"
    max_client_disconnect = "1h"
    meta {
      tier = "web"
    }
    restart {
      attempts         = 2
      interval         = "30m"
      delay            = "15s"
      mode             = "fail"
      render_templates = true
    }
    ephemeral_disk {
      size    = 500
      sticky  = true
      migrate = true
    }
    disconnect {
      lost_after           = "2h"
      stop_on_client_after = "30m"
      replace              = true
      reconcile            = "keep_original"
    }
    scaling {
      min     = 1
      max     = 10
      enabled = true
      policy {
        cooldown = "1m"
      }
    }
    consul {
      namespace = "team"
    }
"#,
    );
    assert_eq!(
        g,
        json!({
            "Name": "g", "Count": 3, "ShutdownDelay": 5 * S, "MaxClientDisconnect": 3600 * S,
            "Meta": {"tier": "web"},
            "RestartPolicy": {"Attempts": 2, "Interval": 1800 * S, "Delay": 15 * S, "Mode": "fail", "RenderTemplates": true},
            "EphemeralDisk": {"SizeMB": 500, "Sticky": true, "Migrate": true},
            "Disconnect": {"LostAfter": 7200 * S, "StopOnClientAfter": 1800 * S, "Replace": true, "Reconcile": "keep_original"},
            "Scaling": {"Min": 1, "Max": 10, "Enabled": true, "Policy": {"cooldown": "1m"}},
            "Consul": {"Namespace": "team"}
        })
    );
}

#[test]
fn network_ports_and_dns() {
    let g = group(
        r#"
    network {
      mode     = "bridge"
      hostname = "web-1"
      port "http" {
        static       = 8080
        to           = 80
        host_network = "public"
      }
      port "metrics" {}
      port "admin" {
        to = 9000
      }
      dns {
        servers  = ["10.0.0.1"]
        searches = ["internal"]
        options  = ["ndots:2"]
      }
    }
"#,
    );
    assert_eq!(
        g["Networks"],
        json!([{
            "Mode": "bridge", "Hostname": "web-1",
            "ReservedPorts": [{"Label": "http", "Value": 8080, "To": 80, "HostNetwork": "public"}],
            "DynamicPorts": [{"Label": "metrics"}, {"Label": "admin", "To": 9000}],
            "DNS": {"Servers": ["10.0.0.1"], "Searches": ["internal"], "Options": ["ndots:2"]}
        }])
    );
}

#[test]
fn volumes_are_keyed_by_name() {
    let g = group(
        r#"
    volume "certs" {
      type      = "host"
      source    = "ca-certs"
      read_only = true
    }
    volume "data" {
      type            = "csi"
      source          = "ebs-data"
      access_mode     = "single-node-writer"
      attachment_mode = "file-system"
      per_alloc       = true
      mount_options {
        fs_type     = "ext4"
        mount_flags = ["noatime"]
      }
    }
"#,
    );
    assert_eq!(
        g["Volumes"],
        json!({
            "certs": {"Name": "certs", "Type": "host", "Source": "ca-certs", "ReadOnly": true},
            "data": {
                "Name": "data", "Type": "csi", "Source": "ebs-data",
                "AccessMode": "single-node-writer", "AttachmentMode": "file-system", "PerAlloc": true,
                "MountOptions": {"FSType": "ext4", "MountFlags": ["noatime"]}
            }
        })
    );
}

#[test]
fn group_service_with_checks_and_connect() {
    let g = group(
        r#"
    service {
      name        = "web"
      port        = "http"
      provider    = "consul"
      tags        = ["a", "b"]
      canary_tags = ["canary"]
      meta {
        version = "2"
      }
      check {
        type     = "http"
        path     = "/health"
        interval = "10s"
        timeout  = "2s"
        header {
          Authorization = ["Bearer x"]
          X-Single      = "one"
        }
        check_restart {
          limit           = 3
          grace           = "90s"
          ignore_warnings = true
        }
      }
      check {
        type     = "tcp"
        port     = "db"
        interval = "5s"
        timeout  = "1s"
      }
      check {
        type     = "script"
        command  = "/usr/local/bin/check"
        args     = ["-q"]
        task     = "app"
        interval = "30s"
        timeout  = "5s"
      }
      connect {
        sidecar_service {
          proxy {
            upstreams {
              destination_name = "db"
              local_bind_port  = 5432
            }
          }
        }
      }
    }
"#,
    );
    assert_eq!(
        g["Services"],
        json!([{
            "Name": "web", "PortLabel": "http", "Provider": "consul", "Tags": ["a", "b"],
            "CanaryTags": ["canary"], "Meta": {"version": "2"},
            "Checks": [
                {
                    "Type": "http", "Path": "/health", "Interval": 10 * S, "Timeout": 2 * S,
                    "Header": {"Authorization": ["Bearer x"], "X-Single": ["one"]},
                    "CheckRestart": {"Limit": 3, "Grace": 90 * S, "IgnoreWarnings": true}
                },
                {"Type": "tcp", "PortLabel": "db", "Interval": 5 * S, "Timeout": S},
                {
                    "Type": "script", "Command": "/usr/local/bin/check", "Args": ["-q"],
                    "TaskName": "app", "Interval": 30 * S, "Timeout": 5 * S
                }
            ],
            "Connect": {"SidecarService": {"Proxy": {"Upstreams": [
                {"DestinationName": "db", "LocalBindPort": 5432}
            ]}}}
        }])
    );
}

#[test]
fn null_leaves_an_attribute_unset() {
    let g = group("    count = null\n    shutdown_delay = \"1s\"");
    assert_eq!(g, json!({"Name": "g", "ShutdownDelay": S}));
}
