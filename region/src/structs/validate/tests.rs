//! One test per validation rule family: a valid canonical job, one mutation, and the
//! exact path and message expected.

use super::{ValidationError, ValidationErrors};
use crate::structs::*;

fn valid(job_type: &str) -> Job {
    let mut j = Job {
        id: "example".into(),
        job_type: job_type.into(),
        task_groups: vec![TaskGroup {
            name: "cache".into(),
            networks: vec![NetworkResource {
                dynamic_ports: vec![Port {
                    label: "db".into(),
                    to: 6379,
                    ..Default::default()
                }],
                ..Default::default()
            }],
            tasks: vec![Task {
                name: "redis".into(),
                driver: "docker".into(),
                ..Default::default()
            }],
            ..Default::default()
        }],
        ..Default::default()
    };
    if job_type == "batch" {
        j.periodic = Some(PeriodicConfig {
            spec: "*/5 * * * *".into(),
            ..Default::default()
        });
    }
    j.canonicalize();
    j
}

/// Messages at exactly `path` after `mutate`.
fn errors_at(job_type: &str, path: &[&str], mutate: impl FnOnce(&mut Job)) -> Vec<String> {
    let mut j = valid(job_type);
    mutate(&mut j);
    match j.validate() {
        Ok(()) => vec![],
        Err(e) => e.at(path).iter().map(|e| e.message.clone()).collect(),
    }
}

fn group(j: &mut Job) -> &mut TaskGroup {
    &mut j.task_groups[0]
}

fn task(j: &mut Job) -> &mut Task {
    &mut j.task_groups[0].tasks[0]
}

const T: [&str; 4] = ["group", "cache", "task", "redis"];

fn tpath<'a>(rest: &[&'a str]) -> Vec<&'a str> {
    T.iter().copied().chain(rest.iter().copied()).collect()
}

#[test]
fn canonical_examples_are_valid() {
    for ty in ["service", "batch", "system", "sysbatch"] {
        assert_eq!(valid(ty).validate(), Ok(()), "{ty}");
    }
}

#[test]
fn collects_every_problem() {
    let mut j = valid("service");
    j.id = String::new();
    j.job_type = "foo".into();
    task(&mut j).driver = String::new();
    let errs = j.validate().err().map(|e| e.0).unwrap_or_default();
    let msgs: Vec<_> = errs.iter().map(|e| e.message.as_str()).collect();
    assert!(msgs.contains(&"Missing job ID"));
    assert!(msgs.contains(&"Invalid job type: \"foo\""));
    assert!(msgs.contains(&"Missing task driver"));
}

#[test]
fn job_identity_rules() {
    assert_eq!(
        errors_at("service", &["id"], |j| j.id = "a b".into()),
        ["Job ID contains a space"]
    );
    assert_eq!(
        errors_at("service", &["id"], |j| j.id = "a\0".into()),
        ["Job ID contains a null character"]
    );
    assert_eq!(
        errors_at("service", &["name"], |j| j.name.clear()),
        ["Missing job name"]
    );
    assert_eq!(
        errors_at("service", &["region"], |j| j.region.clear()),
        ["Missing job region"]
    );
    assert_eq!(
        errors_at("service", &["namespace"], |j| j.namespace.clear()),
        ["Job must be in a namespace"]
    );
    assert_eq!(
        errors_at("service", &["type"], |j| j.job_type.clear()),
        ["Missing job type"]
    );
    assert_eq!(
        errors_at("service", &["type"], |j| j.job_type = "_core".into()),
        ["Invalid job type: \"_core\""]
    );
    for bad in [0, 101, -5] {
        assert_eq!(
            errors_at("service", &["priority"], |j| j.priority = Some(bad)),
            ["Job priority must be between [1, 100]"]
        );
    }
    assert_eq!(
        errors_at("service", &["datacenters"], |j| j.datacenters.clear()),
        ["Missing job datacenters"]
    );
    assert_eq!(
        errors_at("service", &["datacenters"], |j| j.datacenters =
            vec!["".into()]),
        ["Job datacenter must be non-empty string"]
    );
    assert_eq!(
        errors_at("service", &["group"], |j| j.task_groups.clear()),
        ["Missing job task groups"]
    );
}

#[test]
fn group_names_and_count() {
    let dup = errors_at("service", &["group", "cache"], |j| {
        let g = j.task_groups[0].clone();
        j.task_groups.push(g);
    });
    assert!(
        dup.contains(&"Job task group \"cache\" redefined".to_string()),
        "{dup:?}"
    );
    assert_eq!(
        errors_at("service", &["group", "cache", "count"], |j| group(j)
            .count =
            Some(-1)),
        ["Task group count can't be negative"]
    );
    assert_eq!(
        errors_at("system", &["group", "cache", "count"], |j| group(j).count =
            Some(3)),
        ["Job task group cache has count 3. Count cannot exceed 1 with system scheduler"]
    );
    assert_eq!(
        errors_at("service", &["group", "cache", "task"], |j| group(j)
            .tasks
            .clear()),
        ["Missing tasks for task group"]
    );
}

#[test]
fn task_rules() {
    assert_eq!(
        errors_at("service", &tpath(&["driver"]), |j| task(j).driver.clear()),
        ["Missing task driver"]
    );
    let dup = errors_at("service", &T, |j| {
        let t = j.task_groups[0].tasks[0].clone();
        j.task_groups[0].tasks.push(t);
    });
    assert_eq!(dup, ["Task \"redis\" defined twice"]);
    assert_eq!(
        errors_at("service", &["group", "cache", "task", "a/b"], |j| task(j)
            .name =
            "a/b".into()),
        ["Task name cannot include slashes"]
    );
    assert_eq!(
        errors_at("service", &tpath(&["kill_timeout"]), |j| task(j)
            .kill_timeout =
            Some(-1)),
        ["KillTimeout must be a positive value"]
    );
    let leaders = errors_at("service", &["group", "cache"], |j| {
        let mut t = j.task_groups[0].tasks[0].clone();
        t.name = "other".into();
        t.leader = true;
        j.task_groups[0].tasks[0].leader = true;
        j.task_groups[0].tasks.push(t);
    });
    assert_eq!(leaders, ["Only one task may be marked as leader"]);
    assert_eq!(
        errors_at("service", &tpath(&["lifecycle", "hook"]), |j| {
            task(j).lifecycle = Some(TaskLifecycleConfig {
                hook: "prestop".into(),
                sidecar: false,
            })
        }),
        ["Invalid lifecycle hook \"prestop\", must be one of prestart, poststart, poststop"]
    );
    assert_eq!(
        errors_at("service", &tpath(&["dispatch_payload"]), |j| {
            task(j).dispatch_payload = Some(DispatchPayloadConfig {
                file: "in.json".into(),
            })
        }),
        ["Dispatch payload is only allowed in parameterized jobs"]
    );
}

#[test]
fn resource_rules() {
    fn res(j: &mut Job) -> &mut Resources {
        task(j).resources.get_or_insert_with(Resources::default)
    }
    assert_eq!(
        errors_at("service", &tpath(&["resources", "cpu"]), |j| res(j).cpu =
            Some(0)),
        ["minimum CPU value is 1; got 0"]
    );
    assert_eq!(
        errors_at("service", &tpath(&["resources", "cores"]), |j| res(j)
            .cores =
            Some(2)),
        ["Task can only ask for 'cpu' or 'cores' resource, not both."]
    );
    assert_eq!(
        errors_at("service", &tpath(&["resources", "memory"]), |j| res(j)
            .memory_mb =
            Some(5)),
        ["minimum MemoryMB value is 10; got 5"]
    );
    assert_eq!(
        errors_at("service", &tpath(&["resources", "memory_max"]), |j| res(
            j
        )
        .memory_max_mb =
            Some(100)),
        ["MemoryMaxMB value (100) should be larger than MemoryMB value (300)"]
    );
    let dev = errors_at(
        "service",
        &tpath(&["resources", "device", "a/b/c/d"]),
        |j| {
            res(j).devices = vec![RequestedDevice {
                name: "a/b/c/d".into(),
                ..Default::default()
            }]
        },
    );
    assert_eq!(dev.len(), 1);
}

#[test]
fn log_rules() {
    fn logs(j: &mut Job) -> &mut LogConfig {
        task(j).log_config.get_or_insert_with(LogConfig::default)
    }
    assert_eq!(
        errors_at("service", &tpath(&["logs", "max_files"]), |j| logs(j)
            .max_files =
            Some(0)),
        ["minimum number of files is 1; got 0"]
    );
    assert_eq!(
        errors_at("service", &tpath(&["logs", "max_file_size"]), |j| logs(j)
            .max_file_size_mb =
            Some(0)),
        ["minimum file size is 1MB; got 0"]
    );
    assert_eq!(
        errors_at("service", &tpath(&["logs"]), |j| logs(j).max_files =
            Some(30)),
        ["log storage (300 MB) must be less than requested disk capacity (300 MB)"]
    );
}

#[test]
fn restart_rules() {
    fn rp(j: &mut Job) -> &mut RestartPolicy {
        group(j).restart_policy.get_or_insert_with(Default::default)
    }
    assert_eq!(
        errors_at("service", &["group", "cache", "restart", "mode"], |j| rp(
            j
        )
        .mode =
            Some("boom".into())),
        ["Unsupported restart mode: \"boom\""]
    );
    assert_eq!(
        errors_at("service", &["group", "cache", "restart", "interval"], |j| {
            rp(j).attempts = Some(10);
            rp(j).delay = Some(MINUTE);
            rp(j).interval = Some(5 * MINUTE);
        }),
        ["Nomad can't restart the TaskGroup 10 times in an interval of 5m0s with a delay of 1m0s"]
    );
    assert_eq!(
        errors_at("service", &tpath(&["restart", "attempts"]), |j| {
            task(j).restart_policy = Some(RestartPolicy {
                attempts: Some(-1),
                ..Default::default()
            })
        }),
        ["Restart attempts can't be negative"]
    );
}

#[test]
fn reschedule_rules() {
    fn rp(j: &mut Job) -> &mut ReschedulePolicy {
        group(j)
            .reschedule_policy
            .get_or_insert_with(Default::default)
    }
    let p = ["group", "cache", "reschedule"];
    assert_eq!(
        errors_at("service", &[&p[..], &["delay_function"]].concat(), |j| {
            rp(j).delay_function = Some("linear".into())
        }),
        [
            "Invalid delay function \"linear\", must be one of [\"constant\", \"exponential\", \"fibonacci\"]"
        ]
    );
    assert_eq!(
        errors_at("service", &[&p[..], &["delay"]].concat(), |j| rp(j).delay =
            Some(SECOND)),
        ["Delay cannot be less than 5s (got 1s)"]
    );
    assert_eq!(
        errors_at("service", &[&p[..], &["max_delay"]].concat(), |j| rp(j)
            .max_delay =
            Some(10 * SECOND)),
        ["Max Delay cannot be less than Delay 30s (got 10s)"]
    );
    assert_eq!(
        errors_at("batch", &[&p[..], &["interval"]].concat(), |j| rp(j)
            .interval =
            Some(0)),
        ["Interval must be a non zero value if Attempts > 0"]
    );
    assert_eq!(
        errors_at("system", &["group", "cache", "reschedule"], |j| {
            group(j).reschedule_policy = Some(ReschedulePolicy::default())
        }),
        ["Job type \"system\" does not allow a reschedule block"]
    );
    // Disabled rescheduling skips the delay rules.
    assert_eq!(
        errors_at("batch", &[&p[..], &["delay"]].concat(), |j| {
            rp(j).attempts = Some(0);
            rp(j).delay = Some(0);
        }),
        Vec::<String>::new()
    );
}

#[test]
fn update_and_migrate_rules() {
    fn up(j: &mut Job) -> &mut UpdateStrategy {
        group(j).update.get_or_insert_with(Default::default)
    }
    let p = |f: &'static str| vec!["group", "cache", "update", f];
    assert_eq!(
        errors_at("service", &p("max_parallel"), |j| up(j).max_parallel =
            Some(-1)),
        ["Update max parallel count is less than zero (-1 < 0)"]
    );
    assert_eq!(
        errors_at("service", &p("canary"), |j| up(j).canary = Some(-2)),
        ["Update canary count is less than zero (-2 < 0)"]
    );
    assert_eq!(
        errors_at("service", &p("health_check"), |j| up(j).health_check =
            Some("vibes".into())),
        ["Invalid health check given: \"vibes\""]
    );
    assert_eq!(
        errors_at("service", &p("min_healthy_time"), |j| up(j)
            .min_healthy_time =
            Some(10 * MINUTE)),
        ["Minimum healthy time must be less than healthy deadline: 10m0s >= 5m0s"]
    );
    assert_eq!(
        errors_at("service", &p("progress_deadline"), |j| up(j)
            .progress_deadline =
            Some(MINUTE)),
        ["Healthy deadline must be less than progress deadline: 5m0s >= 1m0s"]
    );
    assert_eq!(
        errors_at("service", &p("stagger"), |j| up(j).stagger = Some(0)),
        ["Stagger must be greater than zero"]
    );
    assert_eq!(
        errors_at("batch", &["group", "cache", "update"], |j| group(j)
            .update =
            Some(UpdateStrategy::default())),
        ["Job type \"batch\" does not allow update block"]
    );
    assert_eq!(
        errors_at("service", &["update", "max_parallel"], |j| {
            j.update = Some(UpdateStrategy {
                max_parallel: Some(-3),
                ..Default::default()
            })
        }),
        ["Update max parallel count is less than zero (-3 < 0)"]
    );
    assert_eq!(
        errors_at(
            "service",
            &["group", "cache", "migrate", "health_check"],
            |j| {
                group(j).migrate = Some(MigrateStrategy {
                    health_check: Some("manual".into()),
                    ..Default::default()
                })
            }
        ),
        ["Invalid migrate health check \"manual\", must be \"checks\" or \"task_states\""]
    );
}

#[test]
fn periodic_and_parameterized_rules() {
    assert_eq!(
        errors_at("batch", &["periodic", "cron"], |j| {
            j.periodic = Some(PeriodicConfig {
                spec: "* * *".into(),
                ..Default::default()
            })
        }),
        ["Invalid cron spec \"* * *\": expected 5, 6 or 7 fields, found 3"]
    );
    let crons = errors_at("batch", &["periodic", "crons"], |j| {
        j.periodic = Some(PeriodicConfig {
            specs: vec!["@daily".into(), "99 * * * *".into()],
            ..Default::default()
        })
    });
    assert_eq!(crons.len(), 1);
    assert!(
        crons[0].starts_with("Invalid cron spec \"99 * * * *\""),
        "{crons:?}"
    );
    assert_eq!(
        errors_at("batch", &["periodic", "cron"], |j| j.periodic =
            Some(PeriodicConfig::default())),
        ["Must specify a spec"]
    );
    assert_eq!(
        errors_at("service", &["periodic"], |j| {
            j.periodic = Some(PeriodicConfig {
                spec: "@daily".into(),
                ..Default::default()
            })
        }),
        ["Periodic can only be used with \"batch\" or \"sysbatch\" scheduler"]
    );
    assert_eq!(
        errors_at("sysbatch", &["periodic"], |j| {
            j.periodic = Some(PeriodicConfig {
                spec: "@daily".into(),
                ..Default::default()
            })
        }),
        Vec::<String>::new()
    );
    assert_eq!(
        errors_at("batch", &["parameterized", "payload"], |j| {
            j.parameterized_job = Some(ParameterizedJobConfig {
                payload: "maybe".into(),
                ..Default::default()
            })
        }),
        ["Unknown payload requirement: \"maybe\""]
    );
    assert_eq!(
        errors_at("batch", &["parameterized", "meta_optional"], |j| {
            j.parameterized_job = Some(ParameterizedJobConfig {
                meta_required: vec!["k".into()],
                meta_optional: vec!["k".into()],
                ..Default::default()
            })
        }),
        ["Parameterized job can't have the same key in meta_required and meta_optional: \"k\""]
    );
    assert_eq!(
        errors_at("service", &["parameterized"], |j| j.parameterized_job =
            Some(Default::default())),
        ["Parameterized job can only be used with \"batch\" or \"sysbatch\" scheduler"]
    );
}

#[test]
fn constraint_rules() {
    let con = |op: &str, l: &str, r: &str| Constraint::new(l, op, r);
    let at = |f: &'static str| vec!["constraint", "0", f];
    assert_eq!(
        errors_at("service", &at("operator"), |j| j.constraints =
            vec![con("", "a", "b")]),
        ["Missing constraint operand"]
    );
    assert_eq!(
        errors_at("service", &at("operator"), |j| j.constraints =
            vec![con("~=", "a", "b")]),
        ["Unknown constraint type \"~=\""]
    );
    assert_eq!(
        errors_at("service", &at("value"), |j| j.constraints =
            vec![con("=", "${attr.kernel.name}", "")]),
        ["Operator \"=\" requires a value"]
    );
    let re = errors_at("service", &at("value"), |j| {
        j.constraints = vec![con("regexp", "${attr.x}", "(")]
    });
    assert_eq!(re.len(), 1);
    assert!(re[0].starts_with("Regular expression failed to compile"));
    assert_eq!(
        errors_at("service", &at("value"), |j| j.constraints =
            vec![con("version", "${attr.v}", ">= 1.2, < 2.0")]),
        Vec::<String>::new()
    );
    assert_eq!(
        errors_at("service", &at("value"), |j| j.constraints =
            vec![con("semver", "${attr.v}", "banana")]),
        ["Version constraint is invalid: Malformed constraint: banana"]
    );
    assert_eq!(
        errors_at("service", &at("value"), |j| j.constraints =
            vec![con("distinct_property", "${meta.rack}", "0")]),
        ["Distinct property allowed count must be a positive integer, got \"0\""]
    );
    assert_eq!(
        errors_at("service", &at("value"), |j| j.constraints =
            vec![con("is_set", "${meta.rack}", "")]),
        Vec::<String>::new()
    );
    assert_eq!(
        errors_at("service", &tpath(&["constraint", "0", "operator"]), |j| {
            task(j).constraints = vec![con("distinct_hosts", "", "")]
        }),
        ["Constraint operator \"distinct_hosts\" is not allowed at the task level"]
    );
}

#[test]
fn affinity_and_spread_rules() {
    let aff = |w: i32| Affinity {
        l_target: "${node.datacenter}".into(),
        r_target: "dc1".into(),
        operand: "=".into(),
        weight: w,
    };
    assert_eq!(
        errors_at("service", &["affinity", "0", "weight"], |j| j.affinities =
            vec![aff(0)]),
        ["Affinity weight cannot be zero"]
    );
    assert_eq!(
        errors_at("service", &["affinity", "0", "weight"], |j| j.affinities =
            vec![aff(101)]),
        ["Affinity weight must be within the range [-100,100]"]
    );
    assert_eq!(
        errors_at("system", &["affinity"], |j| j.affinities = vec![aff(50)]),
        ["System jobs may not have an affinity block"]
    );
    let spread = |targets: Vec<(&str, i32)>| Spread {
        attribute: "${node.datacenter}".into(),
        weight: 50,
        spread_target: targets
            .into_iter()
            .map(|(v, p)| SpreadTarget {
                value: v.into(),
                percent: p,
            })
            .collect(),
    };
    assert_eq!(
        errors_at("service", &["spread", "0"], |j| j.spreads =
            vec![spread(vec![("a", 70), ("b", 50)])]),
        ["Sum of spread target percentages must not be greater than 100%; got 120%"]
    );
    assert_eq!(
        errors_at("service", &["spread", "0", "target", "a"], |j| j.spreads =
            vec![spread(vec![("a", 10), ("a", 10)])]),
        ["Spread target value \"a\" already defined"]
    );
    assert_eq!(
        errors_at(
            "service",
            &["group", "cache", "spread", "0", "attribute"],
            |j| {
                group(j).spreads = vec![Spread {
                    weight: 10,
                    ..Default::default()
                }]
            }
        ),
        ["Missing spread attribute"]
    );
}

#[test]
fn network_rules() {
    let np = |label: &'static str| vec!["group", "cache", "network", "port", label];
    assert_eq!(
        errors_at("service", &np("db"), |j| {
            group(j).networks[0].reserved_ports = vec![Port {
                label: "db".into(),
                value: 5432,
                ..Default::default()
            }]
        }),
        ["Port label \"db\" already in use"]
    );
    assert_eq!(
        errors_at(
            "service",
            &np("web").into_iter().chain(["static"]).collect::<Vec<_>>(),
            |j| {
                group(j).networks[0].reserved_ports = vec![
                    Port {
                        label: "http".into(),
                        value: 8080,
                        ..Default::default()
                    },
                    Port {
                        label: "web".into(),
                        value: 8080,
                        ..Default::default()
                    },
                ]
            }
        ),
        ["Static port 8080 already reserved by \"http\""]
    );
    assert_eq!(
        errors_at(
            "service",
            &np("big").into_iter().chain(["static"]).collect::<Vec<_>>(),
            |j| {
                group(j).networks[0].reserved_ports = vec![Port {
                    label: "big".into(),
                    value: 70000,
                    ..Default::default()
                }]
            }
        ),
        ["Port \"big\" has an invalid static port 70000 (must be between 1 and 65535)"]
    );
    assert_eq!(
        errors_at("service", &["group", "cache", "network", "mode"], |j| {
            group(j).networks[0].mode = "bogus".into()
        }),
        ["Invalid network mode \"bogus\""]
    );
    assert_eq!(
        errors_at("service", &["group", "cache", "network"], |j| {
            let n = NetworkResource::default();
            group(j).networks.push(n)
        }),
        ["Only one network block is allowed per group"]
    );
    let task_port = errors_at(
        "service",
        &tpath(&["resources", "network", "port", "db"]),
        |j| {
            task(j)
                .resources
                .get_or_insert_with(Default::default)
                .networks = vec![NetworkResource {
                dynamic_ports: vec![Port {
                    label: "db".into(),
                    ..Default::default()
                }],
                ..Default::default()
            }]
        },
    );
    assert_eq!(task_port, ["Port label \"db\" already in use"]);
}

#[test]
fn service_rules() {
    let svc = |j: &mut Job, s: Service| group(j).services = vec![s];
    let sp = |f: &'static str| vec!["group", "cache", "service", "0", f];
    assert_eq!(
        errors_at("service", &sp("port"), |j| svc(
            j,
            Service {
                port_label: "web".into(),
                name: "s".into(),
                ..Default::default()
            }
        )),
        ["Port label \"web\" referenced by service \"s\" does not exist"]
    );
    assert_eq!(
        errors_at("service", &sp("port"), |j| svc(
            j,
            Service {
                port_label: "db".into(),
                ..Default::default()
            }
        )),
        Vec::<String>::new()
    );
    assert_eq!(
        errors_at("service", &sp("provider"), |j| svc(
            j,
            Service {
                provider: "etcd".into(),
                ..Default::default()
            }
        )),
        ["Service provider must be \"consul\" or \"nomad\", got \"etcd\""]
    );
    let check = |t: &str, interval: i64| ServiceCheck {
        check_type: t.into(),
        interval,
        timeout: SECOND,
        ..Default::default()
    };
    let cp = |f: &'static str| vec!["group", "cache", "service", "0", "check", "0", f];
    assert_eq!(
        errors_at("service", &cp("type"), |j| svc(
            j,
            Service {
                checks: vec![check("ping", SECOND)],
                ..Default::default()
            }
        )),
        ["Invalid check type \"ping\", must be one of http, tcp, grpc, script"]
    );
    assert_eq!(
        errors_at("service", &cp("path"), |j| svc(
            j,
            Service {
                checks: vec![check("http", SECOND)],
                ..Default::default()
            }
        )),
        ["http type must have http path"]
    );
    assert_eq!(
        errors_at("service", &cp("interval"), |j| svc(
            j,
            Service {
                checks: vec![check("tcp", 0)],
                ..Default::default()
            }
        )),
        ["Check interval must be at least 1s"]
    );
}

#[test]
fn template_artifact_and_volume_rules() {
    let tp = |f: &'static str| tpath(&["template", "0", f]);
    let tmpl = |j: &mut Job, t: Template| task(j).templates = vec![t];
    let base = || Template {
        embedded_tmpl: "x".into(),
        dest_path: "local/x".into(),
        ..Default::default()
    };
    assert_eq!(
        errors_at("service", &tp("source"), |j| tmpl(
            j,
            Template {
                dest_path: "d".into(),
                ..Default::default()
            }
        )),
        ["Must specify a source path or have an embedded template"]
    );
    assert_eq!(
        errors_at("service", &tp("destination"), |j| tmpl(
            j,
            Template {
                embedded_tmpl: "x".into(),
                ..Default::default()
            }
        )),
        ["Must specify a destination for the template"]
    );
    assert_eq!(
        errors_at("service", &tp("change_signal"), |j| tmpl(
            j,
            Template {
                change_mode: "signal".into(),
                ..base()
            }
        )),
        ["Must specify signal value when change mode is signal"]
    );
    assert_eq!(
        errors_at("service", &tp("change_mode"), |j| tmpl(
            j,
            Template {
                change_mode: "reload".into(),
                ..base()
            }
        )),
        ["Invalid change mode \"reload\""]
    );
    assert_eq!(
        errors_at("service", &tp("perms"), |j| tmpl(
            j,
            Template {
                perms: "rw".into(),
                ..base()
            }
        )),
        ["Failed to parse \"rw\" as octal"]
    );
    assert_eq!(
        errors_at("service", &tpath(&["artifact", "0", "source"]), |j| task(
            j
        )
        .artifacts =
            vec![TaskArtifact::default()]),
        ["Missing artifact source"]
    );
    assert_eq!(
        errors_at("service", &tpath(&["volume_mount", "0", "volume"]), |j| {
            task(j).volume_mounts = vec![VolumeMount {
                volume: "data".into(),
                destination: "/d".into(),
                ..Default::default()
            }]
        }),
        ["Volume mount references undefined volume \"data\""]
    );
    assert_eq!(
        errors_at(
            "service",
            &["group", "cache", "volume", "data", "type"],
            |j| {
                group(j).volumes.insert(
                    "data".into(),
                    VolumeRequest {
                        name: "data".into(),
                        volume_type: "nfs".into(),
                        source: "x".into(),
                        ..Default::default()
                    },
                );
            }
        ),
        ["Volume \"data\" has unrecognized type \"nfs\""]
    );
}

fn err(path: &[&str], msg: &str) -> ValidationError {
    ValidationError {
        path: path.iter().map(|s| s.to_string()).collect(),
        message: msg.into(),
    }
}

#[test]
fn display_renders_labels_and_indexes() {
    let e = err(
        &["group", "cache", "task", "redis", "driver"],
        "Missing task driver",
    );
    assert_eq!(
        e.to_string(),
        r#"group "cache", task "redis", driver: Missing task driver"#
    );
    let e = err(
        &["constraint", "0", "operator"],
        "Missing constraint operand",
    );
    assert_eq!(
        e.to_string(),
        "constraint[0], operator: Missing constraint operand"
    );
    assert_eq!(err(&[], "Missing job ID").to_string(), "Missing job ID");
    let all = ValidationErrors(vec![err(&["id"], "Missing job ID"), err(&["type"], "x")]);
    assert_eq!(
        all.to_string(),
        "2 errors occurred:\n\t* id: Missing job ID\n\t* type: x\n"
    );
    assert_eq!(all.at(&["type"]).len(), 1);
}
