//! A job in the shape of Nomad's JSON job documentation (`nomad job run -output`
//! style: every unset field `null`), written for this test.

use nomad_region::structs::*;

const EXAMPLE: &str = r#"{
  "Region": null,
  "Namespace": null,
  "ID": "docs",
  "Name": "docs",
  "Type": "service",
  "Priority": null,
  "AllAtOnce": null,
  "Datacenters": ["dc1", "dc2"],
  "NodePool": null,
  "Constraints": [
    { "LTarget": "${attr.kernel.name}", "RTarget": "linux", "Operand": "=" }
  ],
  "Affinities": null,
  "Spreads": [
    { "Attribute": "${node.datacenter}", "Weight": 50,
      "SpreadTarget": [ { "Value": "dc1", "Percent": 70 }, { "Value": "dc2", "Percent": 30 } ] }
  ],
  "TaskGroups": [
    {
      "Name": "web",
      "Count": 3,
      "Constraints": null,
      "Affinities": [
        { "LTarget": "${meta.rack}", "RTarget": "r1", "Operand": "=", "Weight": 40 }
      ],
      "Tasks": [
        {
          "Name": "server",
          "Driver": "docker",
          "User": "",
          "Lifecycle": null,
          "Config": { "image": "nginx:1.27", "ports": ["http"], "args": ["-g", "daemon off;"] },
          "Constraints": null,
          "Env": { "MODE": "prod" },
          "Services": null,
          "Resources": {
            "CPU": 250, "Cores": null, "MemoryMB": 128, "MemoryMaxMB": null,
            "DiskMB": null, "Networks": null, "Devices": null, "IOPS": null
          },
          "RestartPolicy": null,
          "Meta": null,
          "KillTimeout": 10000000000,
          "LogConfig": { "MaxFiles": 3, "MaxFileSizeMB": 15 },
          "Artifacts": [
            { "GetterSource": "https://example.com/site.tar.gz",
              "GetterOptions": { "checksum": "sha256:abcd" }, "RelativeDest": "local/site" }
          ],
          "Vault": null,
          "Templates": [
            { "SourcePath": "", "DestPath": "local/app.conf", "EmbeddedTmpl": "port={{ env \"NOMAD_PORT_http\" }}",
              "ChangeMode": "signal", "ChangeSignal": "SIGHUP", "Splay": 5000000000, "Perms": "0640" }
          ],
          "DispatchPayload": null,
          "VolumeMounts": [ { "Volume": "certs", "Destination": "/etc/certs", "ReadOnly": true } ],
          "Leader": false,
          "ShutdownDelay": 0,
          "KillSignal": "SIGTERM",
          "Kind": "",
          "ScalingPolicies": null
        },
        {
          "Name": "init",
          "Driver": "raw_exec",
          "Lifecycle": { "Hook": "prestart", "Sidecar": false },
          "Config": { "command": "/bin/true" }
        }
      ],
      "Spreads": null,
      "Volumes": {
        "certs": { "Name": "certs", "Type": "host", "Source": "certs", "ReadOnly": true }
      },
      "RestartPolicy": { "Interval": 600000000000, "Attempts": 4, "Delay": 20000000000, "Mode": "delay" },
      "ReschedulePolicy": null,
      "EphemeralDisk": { "Sticky": null, "Migrate": null, "SizeMB": 500 },
      "Update": { "Canary": 1, "AutoPromote": true },
      "Migrate": null,
      "Networks": [
        {
          "Mode": "bridge", "Device": "", "CIDR": "", "IP": "", "DNS": null,
          "ReservedPorts": [ { "Label": "admin", "Value": 9000, "To": 0, "HostNetwork": "" } ],
          "DynamicPorts": [ { "Label": "http", "Value": 0, "To": 8080, "HostNetwork": "" } ],
          "Hostname": "", "MBits": null
        }
      ],
      "Meta": { "team": "web" },
      "Services": [
        {
          "Name": "web-http", "Tags": ["urlprefix-/"], "CanaryTags": null, "PortLabel": "http",
          "AddressMode": "", "Provider": "nomad",
          "Checks": [
            { "Name": "alive", "Type": "http", "Path": "/health", "PortLabel": "http",
              "Interval": 10000000000, "Timeout": 2000000000, "Header": { "X-Probe": ["1"] } }
          ],
          "CheckRestart": { "Limit": 3, "Grace": 30000000000, "IgnoreWarnings": false }
        }
      ],
      "ShutdownDelay": null,
      "StopAfterClientDisconnect": null,
      "MaxClientDisconnect": null,
      "Scaling": null,
      "Consul": null
    }
  ],
  "Update": {
    "Stagger": null, "MaxParallel": 2, "HealthCheck": null, "MinHealthyTime": 15000000000,
    "HealthyDeadline": 180000000000, "ProgressDeadline": 600000000000, "Canary": 0,
    "AutoRevert": true, "AutoPromote": null
  },
  "Multiregion": null,
  "Periodic": null,
  "ParameterizedJob": null,
  "Reschedule": { "Delay": 60000000000 },
  "Migrate": null,
  "Meta": { "owner": "docs-team" },
  "ConsulToken": null,
  "VaultToken": null,
  "Stop": null,
  "ParentID": null,
  "Dispatched": false,
  "Payload": null,
  "Status": null,
  "StatusDescription": null,
  "Stable": null,
  "Version": null,
  "SubmitTime": null,
  "CreateIndex": null,
  "ModifyIndex": null,
  "JobModifyIndex": null
}"#;

fn parse() -> Job {
    match serde_json::from_str(EXAMPLE) {
        Ok(j) => j,
        Err(e) => panic!("documented job shape must deserialize: {e}"),
    }
}

#[test]
fn documented_shape_deserializes() {
    let job = parse();
    assert_eq!(job.id, "docs");
    assert_eq!(job.region, "", "null means unset");
    assert_eq!(job.priority, None);
    assert_eq!(job.datacenters, ["dc1", "dc2"]);
    assert_eq!(
        job.constraints[0],
        Constraint::new("${attr.kernel.name}", "=", "linux")
    );
    assert_eq!(job.spreads[0].spread_target[1].percent, 30);
    let g = job.lookup_task_group("web").cloned().unwrap_or_default();
    assert_eq!(g.count, Some(3));
    assert_eq!(g.affinities[0].weight, 40);
    assert_eq!(g.networks[0].dynamic_ports[0].to, 8080);
    assert_eq!(g.networks[0].reserved_ports[0].value, 9000);
    assert_eq!(g.volumes["certs"].volume_type, "host");
    assert_eq!(g.services[0].checks[0].header["X-Probe"], ["1"]);
    assert_eq!(
        g.services[0].check_restart.as_ref().and_then(|c| c.grace),
        Some(30 * SECOND)
    );
    let t = g.lookup_task("server").cloned().unwrap_or_default();
    assert_eq!(t.config["image"], "nginx:1.27");
    assert_eq!(t.config["args"][1], "daemon off;");
    assert_eq!(t.resources.as_ref().and_then(|r| r.cpu), Some(250));
    assert_eq!(t.kill_timeout, Some(10 * SECOND));
    assert_eq!(t.templates[0].change_signal, "SIGHUP");
    assert_eq!(t.artifacts[0].getter_options["checksum"], "sha256:abcd");
    assert!(g.lookup_task("init").is_some_and(Task::is_lifecycle_hook));
    assert!(job.lookup_task_group("nope").is_none());
}

#[test]
fn documented_shape_canonicalizes_and_validates() {
    let mut job = parse();
    job.canonicalize();
    assert_eq!(job.validate(), Ok(()));
    assert_eq!(
        (job.region.as_str(), job.namespace.as_str(), job.priority),
        ("global", "default", Some(50))
    );
    let g = &job.task_groups[0];
    let u = g.update.clone().unwrap_or_default();
    // Group (canary, auto_promote) over job (max_parallel, ...) over defaults (stagger).
    assert_eq!(
        (u.canary, u.auto_promote, u.max_parallel),
        (Some(1), Some(true), Some(2))
    );
    assert_eq!((u.auto_revert, u.stagger), (Some(true), Some(30 * SECOND)));
    let rs = g.reschedule_policy.clone().unwrap_or_default();
    assert_eq!((rs.delay, rs.unlimited), (Some(MINUTE), Some(true)));
    let init = g.lookup_task("init").cloned().unwrap_or_default();
    let r = init.restart_policy.unwrap_or_default();
    assert_eq!((r.attempts, r.mode.as_deref()), (Some(4), Some("delay")));
    let server = g.lookup_task("server").cloned().unwrap_or_default();
    assert_eq!(server.log_config.and_then(|l| l.max_files), Some(3));
    assert_eq!(server.artifacts[0].relative_dest, "local/site");
}

#[test]
fn output_uses_nomads_names() {
    let mut job = parse();
    job.canonicalize();
    let v = serde_json::to_value(&job).unwrap_or_default();
    for key in [
        "ID",
        "Name",
        "Type",
        "TaskGroups",
        "JobModifyIndex",
        "ParameterizedJob",
        "NodePool",
    ] {
        assert!(v.get(key).is_some(), "missing {key}");
    }
    let g = &v["TaskGroups"][0];
    assert_eq!(g["EphemeralDisk"]["SizeMB"], 500);
    assert_eq!(g["RestartPolicy"]["Mode"], "delay");
    assert_eq!(g["Networks"][0]["DynamicPorts"][0]["Label"], "http");
    let t = &g["Tasks"][0];
    assert_eq!(t["Resources"]["CPU"], 250);
    assert_eq!(t["Resources"]["MemoryMB"], 128);
    assert_eq!(t["LogConfig"]["MaxFileSizeMB"], 15);
    assert_eq!(t["KillTimeout"], 10_000_000_000i64);
    assert!(v["Periodic"].is_null(), "None serialises as null");
}
