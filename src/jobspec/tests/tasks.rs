//! Task-level blocks decode to Nomad's API JSON shape.

use super::{S, task, value};
use serde_json::json;

#[test]
fn task_attributes_config_env_meta() {
    let t = task(
        r#"
      driver         = "docker"
      user           = "nobody"
      leader         = true
      kill_timeout   = "20s"
      kill_signal    = "SIGINT"
      shutdown_delay = "3s"
      kind           = "connect-proxy:web"
      config {
        image   = "redis:7"
        ports   = ["db"]
        args    = ["--port", "${NOMAD_PORT_db}"]
        labels  = { team = "a" }
        mount {
          type   = "bind"
          source = "a"
        }
        mount {
          type   = "tmpfs"
          target = "/tmp"
        }
        logging {
          type = "syslog"
        }
      }
      env {
        PORT  = 6379
        DC    = "${node.datacenter}"
      }
      meta = {
        role = "cache"
      }
"#,
    );
    assert_eq!(
        t,
        json!({
            "Name": "t", "Driver": "docker", "User": "nobody", "Leader": true,
            "KillTimeout": 20 * S, "KillSignal": "SIGINT", "ShutdownDelay": 3 * S,
            "Kind": "connect-proxy:web",
            "Config": {
                "image": "redis:7", "ports": ["db"], "args": ["--port", "${NOMAD_PORT_db}"],
                "labels": {"team": "a"},
                "mount": [{"type": "bind", "source": "a"}, {"type": "tmpfs", "target": "/tmp"}],
                "logging": [{"type": "syslog"}]
            },
            "Env": {"PORT": "6379", "DC": "${node.datacenter}"},
            "Meta": {"role": "cache"}
        })
    );
}

#[test]
fn resources_devices_numa() {
    let t = task(
        r#"
      resources {
        cpu        = 500
        memory     = 256
        memory_max = 512
        secrets    = 10
        device "nvidia/gpu" {
          count = 2
          constraint {
            attribute = "${device.attr.memory}"
            operator  = ">="
            value     = "2 GiB"
          }
          affinity {
            attribute = "${device.model}"
            value     = "Tesla K80"
            weight    = 50
          }
        }
        numa {
          affinity = "require"
        }
      }
"#,
    );
    assert_eq!(
        t["Resources"],
        json!({
            "CPU": 500, "MemoryMB": 256, "MemoryMaxMB": 512, "SecretsMB": 10,
            "Devices": [{
                "Name": "nvidia/gpu", "Count": 2,
                "Constraints": [{"LTarget": "${device.attr.memory}", "Operand": ">=", "RTarget": "2 GiB"}],
                "Affinities": [{"LTarget": "${device.model}", "RTarget": "Tesla K80", "Operand": "=", "Weight": 50}]
            }],
            "NUMA": {"Affinity": "require"}
        })
    );
    let t = task("      resources {\n        cores = 2\n      }");
    assert_eq!(t["Resources"], json!({"Cores": 2}));
}

#[test]
fn templates_and_artifacts() {
    let t = task(
        r#"
      template {
        data          = <<-EOT
          DB={{ key "db/addr" }}
          EOT
        destination   = "secrets/app.env"
        env           = true
        change_mode   = "signal"
        change_signal = "SIGHUP"
        perms         = "0640"
        splay         = "5s"
        wait {
          min = "2s"
          max = "10s"
        }
      }
      template {
        source      = "local/in.tpl"
        destination = "local/out.conf"
        change_mode = "script"
        change_script {
          command       = "/reload.sh"
          args          = ["-f"]
          timeout       = "5s"
          fail_on_error = true
        }
      }
      artifact {
        source      = "https://example.com/app.tar.gz"
        destination = "local/app"
        mode        = "dir"
        options {
          checksum = "sha256:abc"
        }
        headers {
          User-Agent = "nomad"
        }
      }
"#,
    );
    assert_eq!(
        t["Templates"],
        json!([
            {
                "EmbeddedTmpl": "DB={{ key \"db/addr\" }}\n", "DestPath": "secrets/app.env",
                "Envvars": true, "ChangeMode": "signal", "ChangeSignal": "SIGHUP",
                "Perms": "0640", "Splay": 5 * S, "Wait": {"Min": 2 * S, "Max": 10 * S}
            },
            {
                "SourcePath": "local/in.tpl", "DestPath": "local/out.conf", "ChangeMode": "script",
                "ChangeScript": {"Command": "/reload.sh", "Args": ["-f"], "Timeout": 5 * S, "FailOnError": true}
            }
        ])
    );
    assert_eq!(
        t["Artifacts"],
        json!([{
            "GetterSource": "https://example.com/app.tar.gz", "RelativeDest": "local/app",
            "GetterMode": "dir", "GetterOptions": {"checksum": "sha256:abc"},
            "GetterHeaders": {"User-Agent": "nomad"}
        }])
    );
}

#[test]
fn lifecycle_logs_restart_mounts_payload() {
    let t = task(
        r#"
      lifecycle {
        hook    = "poststart"
        sidecar = true
      }
      logs {
        max_files     = 3
        max_file_size = 15
        disabled      = false
      }
      restart {
        attempts = 5
        delay    = "10s"
        mode     = "delay"
      }
      volume_mount {
        volume           = "data"
        destination      = "/srv/data"
        read_only        = true
        propagation_mode = "private"
      }
      dispatch_payload {
        file = "input.json"
      }
"#,
    );
    assert_eq!(
        t["Lifecycle"],
        json!({"Hook": "poststart", "Sidecar": true})
    );
    assert_eq!(
        t["LogConfig"],
        json!({"MaxFiles": 3, "MaxFileSizeMB": 15, "Disabled": false})
    );
    assert_eq!(
        t["RestartPolicy"],
        json!({"Attempts": 5, "Delay": 10 * S, "Mode": "delay"})
    );
    assert_eq!(
        t["VolumeMounts"],
        json!([{"Volume": "data", "Destination": "/srv/data", "ReadOnly": true, "PropagationMode": "private"}])
    );
    assert_eq!(t["DispatchPayload"], json!({"File": "input.json"}));
}

#[test]
fn vault_identities_csi_actions_scaling() {
    let t = task(
        r#"
      vault {
        role        = "app"
        change_mode = "restart"
        env         = false
      }
      identity {
        env  = true
        file = true
      }
      identity {
        name = "vault_default"
        aud  = ["vault.io"]
        ttl  = "1h"
      }
      csi_plugin {
        id        = "ebs"
        type      = "node"
        mount_dir = "/csi"
      }
      action "dump" {
        command = "/bin/dump"
        args    = ["-a"]
      }
      scaling "cpu" {
        min = 100
        max = 500
        policy {
          cooldown = "5m"
        }
      }
      service {
        name = "side"
      }
"#,
    );
    assert_eq!(
        t["Vault"],
        json!({"Role": "app", "ChangeMode": "restart", "Env": false})
    );
    assert_eq!(t["Identity"], json!({"Env": true, "File": true}));
    assert_eq!(
        t["Identities"],
        json!([{"Name": "vault_default", "Audience": ["vault.io"], "TTL": 3600 * S}])
    );
    assert_eq!(
        t["CSIPluginConfig"],
        json!({"ID": "ebs", "Type": "node", "MountDir": "/csi"})
    );
    assert_eq!(
        t["Actions"],
        json!([{"Name": "dump", "Command": "/bin/dump", "Args": ["-a"]}])
    );
    assert_eq!(
        t["ScalingPolicies"],
        json!([{"Type": "vertical_cpu", "Min": 100, "Max": 500, "Policy": {"cooldown": "5m"}}])
    );
    assert_eq!(t["Services"], json!([{"Name": "side"}]));
}

#[test]
fn several_groups_and_tasks_keep_their_order() {
    let v = value(
        r#"
job "j" {
  group "b" {
    task "y" {
      driver = "exec"
    }
    task "x" {
      driver = "raw_exec"
    }
  }
  group "a" {
    count = 0
  }
}
"#,
    );
    let groups: Vec<&str> = v["TaskGroups"]
        .as_array()
        .map(|a| a.iter().filter_map(|g| g["Name"].as_str()).collect())
        .unwrap_or_default();
    assert_eq!(groups, vec!["b", "a"]);
    assert_eq!(
        v["TaskGroups"][0]["Tasks"],
        json!([{"Name": "y", "Driver": "exec"}, {"Name": "x", "Driver": "raw_exec"}])
    );
}
