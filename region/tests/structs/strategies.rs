//! proptest generators for jobs: `job()` for loosely valid jobs (any of them must
//! canonicalize into a job that validates), `garbage_job()` for anything the JSON
//! could hold (negative counts, unknown modes, huge durations, odd strings).

use std::collections::BTreeMap;

use nomad_region::structs::*;
use proptest::collection::{btree_map, vec};
use proptest::option;
use proptest::prelude::*;
use serde_json::Value;

/// Short identifier-like strings.
fn ident() -> impl Strategy<Value = String> {
    "[a-z][a-z0-9-]{0,7}"
}

/// Any short string, including control characters and non-ASCII.
fn any_str() -> impl Strategy<Value = String> {
    prop_oneof![Just(String::new()), ident(), ".{0,12}"]
}

fn meta() -> impl Strategy<Value = BTreeMap<String, String>> {
    btree_map(ident(), any_str(), 0..3)
}

/// Free-form JSON as found in driver `config` blocks. Floats are multiples of 1/8 so
/// that they print and parse back exactly.
pub fn json_value() -> BoxedStrategy<Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        (-8000i32..8000).prop_map(|i| Value::from(f64::from(i) / 8.0)),
        any_str().prop_map(Value::String),
    ];
    leaf.prop_recursive(3, 16, 4, |inner| {
        prop_oneof![
            vec(inner.clone(), 0..4).prop_map(Value::Array),
            btree_map(ident(), inner, 0..4).prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
    .boxed()
}

fn duration() -> impl Strategy<Value = i64> {
    prop_oneof![
        Just(0i64),
        (1i64..=7200).prop_map(|s| s * SECOND),
        any::<i64>()
    ]
}

fn opt<T: std::fmt::Debug + Clone>(
    s: impl Strategy<Value = T>,
) -> impl Strategy<Value = Option<T>> {
    option::of(s)
}

pub fn constraint(ops: &'static [&'static str]) -> BoxedStrategy<Constraint> {
    (any_str(), prop::sample::select(ops), any_str())
        .prop_map(|(l, op, r)| Constraint {
            l_target: l,
            operand: op.to_string(),
            r_target: r,
        })
        .boxed()
}

fn affinity() -> BoxedStrategy<Affinity> {
    (
        any_str(),
        prop::sample::select(AFFINITY_OPERATORS),
        any_str(),
        any::<i32>(),
    )
        .prop_map(|(l, op, r, w)| Affinity {
            l_target: l,
            operand: op.into(),
            r_target: r,
            weight: w,
        })
        .boxed()
}

fn spread() -> BoxedStrategy<Spread> {
    (any_str(), -200i32..200, vec((any_str(), -50i32..150), 0..3))
        .prop_map(|(a, w, t)| Spread {
            attribute: a,
            weight: w,
            spread_target: t
                .into_iter()
                .map(|(value, percent)| SpreadTarget { value, percent })
                .collect(),
        })
        .boxed()
}

fn port() -> BoxedStrategy<Port> {
    (
        any_str(),
        any::<i32>(),
        -2i32..70000,
        any_str(),
        any::<bool>(),
    )
        .prop_map(|(label, value, to, host_network, ignore_collision)| Port {
            label,
            value,
            to,
            host_network,
            ignore_collision,
        })
        .boxed()
}

fn network() -> BoxedStrategy<NetworkResource> {
    (
        prop_oneof![
            Just(String::new()),
            Just("host".to_string()),
            Just("bridge".to_string()),
            any_str()
        ],
        any_str(),
        any::<i32>(),
        opt(vec(any_str(), 0..2).prop_map(|servers| DnsConfig {
            servers,
            ..Default::default()
        })),
        vec(port(), 0..3),
        vec(port(), 0..3),
    )
        .prop_map(
            |(mode, hostname, mbits, dns, reserved_ports, dynamic_ports)| NetworkResource {
                mode,
                hostname,
                mbits,
                dns,
                reserved_ports,
                dynamic_ports,
                ..Default::default()
            },
        )
        .boxed()
}

fn resources() -> BoxedStrategy<Resources> {
    (
        opt(any::<i32>()),
        opt(-2i32..8),
        opt(any::<i32>()),
        opt(any::<i32>()),
        opt(any::<i32>()),
        vec(network(), 0..2),
        vec(
            (
                any_str(),
                opt(any::<u64>()),
                vec(constraint(CONSTRAINT_OPERATORS), 0..2),
            )
                .prop_map(|(name, count, constraints)| RequestedDevice {
                    name,
                    count,
                    constraints,
                    affinities: vec![],
                }),
            0..2,
        ),
    )
        .prop_map(
            |(cpu, cores, memory_mb, memory_max_mb, disk_mb, networks, devices)| Resources {
                unmodelled: Default::default(),
                cpu,
                cores,
                memory_mb,
                memory_max_mb,
                disk_mb,
                networks,
                devices,
            },
        )
        .boxed()
}

fn restart() -> BoxedStrategy<RestartPolicy> {
    (
        opt(duration()),
        opt(any::<i32>()),
        opt(duration()),
        opt(any_str()),
        opt(any::<bool>()),
    )
        .prop_map(
            |(interval, attempts, delay, mode, render_templates)| RestartPolicy {
                interval,
                attempts,
                delay,
                mode,
                render_templates,
            },
        )
        .boxed()
}

fn reschedule() -> BoxedStrategy<ReschedulePolicy> {
    (
        opt(any::<i32>()),
        opt(duration()),
        opt(duration()),
        opt(any_str()),
        opt(duration()),
        opt(any::<bool>()),
    )
        .prop_map(
            |(attempts, interval, delay, delay_function, max_delay, unlimited)| ReschedulePolicy {
                attempts,
                interval,
                delay,
                delay_function,
                max_delay,
                unlimited,
            },
        )
        .boxed()
}

fn update() -> BoxedStrategy<UpdateStrategy> {
    (
        opt(duration()),
        opt(any::<i32>()),
        opt(any_str()),
        (opt(duration()), opt(duration()), opt(duration())),
        opt(any::<i32>()),
        opt(any::<bool>()),
        opt(any::<bool>()),
    )
        .prop_map(
            |(
                stagger,
                max_parallel,
                health_check,
                (min, hd, pd),
                canary,
                auto_revert,
                auto_promote,
            )| {
                UpdateStrategy {
                    stagger,
                    max_parallel,
                    health_check,
                    min_healthy_time: min,
                    healthy_deadline: hd,
                    progress_deadline: pd,
                    canary,
                    auto_revert,
                    auto_promote,
                }
            },
        )
        .boxed()
}

fn migrate() -> BoxedStrategy<MigrateStrategy> {
    (
        opt(any::<i32>()),
        opt(any_str()),
        opt(duration()),
        opt(duration()),
    )
        .prop_map(
            |(max_parallel, health_check, min_healthy_time, healthy_deadline)| MigrateStrategy {
                max_parallel,
                health_check,
                min_healthy_time,
                healthy_deadline,
            },
        )
        .boxed()
}

fn service() -> BoxedStrategy<Service> {
    let check = (
        any_str(),
        prop_oneof![Just("http".to_string()), Just("tcp".to_string()), any_str()],
        any_str(),
        duration(),
        duration(),
        opt((any::<i32>(), opt(duration()), any::<bool>())),
    )
        .prop_map(
            |(name, check_type, path, interval, timeout, cr)| ServiceCheck {
                name,
                check_type,
                path,
                interval,
                timeout,
                check_restart: cr.map(|(limit, grace, ignore_warnings)| CheckRestart {
                    limit,
                    grace,
                    ignore_warnings,
                }),
                ..Default::default()
            },
        );
    (
        any_str(),
        vec(any_str(), 0..2),
        any_str(),
        any_str(),
        vec(check, 0..2),
        meta(),
    )
        .prop_map(|(name, tags, port_label, provider, checks, meta)| Service {
            name,
            tags,
            port_label,
            provider,
            checks,
            meta,
            ..Default::default()
        })
        .boxed()
}

fn template() -> BoxedStrategy<Template> {
    (
        any_str(),
        any_str(),
        any_str(),
        any_str(),
        opt(duration()),
        any_str(),
        opt(any::<i32>()),
        any::<bool>(),
    )
        .prop_map(
            |(source_path, dest_path, embedded_tmpl, change_mode, splay, perms, uid, envvars)| {
                Template {
                    source_path,
                    dest_path,
                    embedded_tmpl,
                    change_mode,
                    splay,
                    perms,
                    uid,
                    envvars,
                    ..Default::default()
                }
            },
        )
        .boxed()
}

fn artifact() -> BoxedStrategy<TaskArtifact> {
    (
        any_str(),
        btree_map(ident(), any_str(), 0..2),
        any_str(),
        any_str(),
    )
        .prop_map(
            |(getter_source, getter_options, getter_mode, relative_dest)| TaskArtifact {
                getter_source,
                getter_options,
                getter_mode,
                relative_dest,
                ..Default::default()
            },
        )
        .boxed()
}

/// Any task, names and all.
pub fn task(name: impl Strategy<Value = String> + 'static) -> BoxedStrategy<Task> {
    (
        (name, any_str(), any_str(), opt((any_str(), any::<bool>()))),
        (
            btree_map(ident(), json_value(), 0..4),
            vec(constraint(CONSTRAINT_OPERATORS), 0..2),
            vec(affinity(), 0..2),
        ),
        (
            meta(),
            vec(service(), 0..2),
            opt(resources()),
            opt(restart()),
        ),
        (
            opt(duration()),
            opt((opt(any::<i32>()), opt(any::<i32>()), any::<bool>())),
        ),
        (
            vec(artifact(), 0..2),
            vec(template(), 0..2),
            any::<bool>(),
            any::<i64>(),
        ),
        vec((any_str(), any_str()), 0..2),
    )
        .prop_map(|(ident, place, misc, kill, files, mounts)| {
            let (name, driver, user, lifecycle) = ident;
            let (config, constraints, affinities) = place;
            let (env, services, resources, restart_policy) = misc;
            let (kill_timeout, logs) = kill;
            let (artifacts, templates, leader, shutdown_delay) = files;
            Task {
                name,
                driver,
                user,
                lifecycle: lifecycle.map(|(hook, sidecar)| TaskLifecycleConfig { hook, sidecar }),
                config,
                constraints,
                affinities,
                env,
                services,
                resources,
                restart_policy,
                kill_timeout,
                log_config: logs.map(|(max_files, max_file_size_mb, disabled)| LogConfig {
                    unmodelled: Default::default(),
                    max_files,
                    max_file_size_mb,
                    disabled,
                }),
                artifacts,
                templates,
                leader,
                shutdown_delay,
                volume_mounts: mounts
                    .into_iter()
                    .map(|(volume, destination)| VolumeMount {
                        volume,
                        destination,
                        ..Default::default()
                    })
                    .collect(),
                ..Default::default()
            }
        })
        .boxed()
}

fn group(name: impl Strategy<Value = String> + 'static) -> BoxedStrategy<TaskGroup> {
    (
        (
            name,
            opt(any::<i32>()),
            vec(constraint(CONSTRAINT_OPERATORS), 0..2),
            vec(affinity(), 0..2),
            vec(spread(), 0..2),
        ),
        vec(task(any_str()), 0..3),
        (
            opt(restart()),
            opt(reschedule()),
            opt(update()),
            opt(migrate()),
        ),
        (
            opt((any::<bool>(), any::<bool>(), opt(any::<i32>()))),
            vec(network(), 0..2),
            vec(service(), 0..2),
            meta(),
        ),
        btree_map(ident(), (any_str(), any_str()), 0..2),
    )
        .prop_map(|(head, tasks, policies, rest, volumes)| {
            let (name, count, constraints, affinities, spreads) = head;
            let (restart_policy, reschedule_policy, update, migrate) = policies;
            let (disk, networks, services, meta) = rest;
            TaskGroup {
                name,
                count,
                constraints,
                affinities,
                spreads,
                tasks,
                restart_policy,
                reschedule_policy,
                update,
                migrate,
                ephemeral_disk: disk.map(|(sticky, migrate, size_mb)| EphemeralDisk {
                    sticky,
                    migrate,
                    size_mb,
                }),
                networks,
                services,
                meta,
                volumes: volumes
                    .into_iter()
                    .map(|(name, (volume_type, source))| {
                        (
                            name.clone(),
                            VolumeRequest {
                                name,
                                volume_type,
                                source,
                                ..Default::default()
                            },
                        )
                    })
                    .collect(),
                ..Default::default()
            }
        })
        .boxed()
}

/// Anything a JSON job could hold.
pub fn garbage_job() -> BoxedStrategy<Job> {
    (
        (
            any_str(),
            any_str(),
            any_str(),
            any_str(),
            prop_oneof![
                Just("service".to_string()),
                Just("batch".to_string()),
                Just("system".to_string()),
                Just("sysbatch".to_string()),
                any_str()
            ],
        ),
        (opt(any::<i32>()), vec(any_str(), 0..3), any_str()),
        (
            vec(constraint(CONSTRAINT_OPERATORS), 0..3),
            vec(affinity(), 0..2),
            vec(spread(), 0..2),
        ),
        vec(group(any_str()), 0..3),
        (opt(update()), opt(reschedule()), opt(migrate()), meta()),
        (
            opt((
                opt(any::<bool>()),
                any_str(),
                vec(any_str(), 0..2),
                any_str(),
            )),
            opt((any_str(), vec(ident(), 0..2), vec(ident(), 0..2))),
        ),
        (any::<bool>(), any::<u64>(), any::<i64>(), any::<u64>()),
    )
        .prop_map(|(ids, sched, place, task_groups, policies, launch, book)| {
            let (region, namespace, id, name, job_type) = ids;
            let (priority, datacenters, node_pool) = sched;
            let (constraints, affinities, spreads) = place;
            let (update, reschedule, migrate, meta) = policies;
            let (periodic, param) = launch;
            let (stop, version, submit_time, create_index) = book;
            Job {
                region,
                namespace,
                id,
                name,
                job_type,
                priority,
                datacenters,
                node_pool,
                constraints,
                affinities,
                spreads,
                task_groups,
                update,
                reschedule,
                migrate,
                meta,
                periodic: periodic.map(|(enabled, spec, specs, time_zone)| PeriodicConfig {
                    enabled,
                    spec,
                    specs,
                    time_zone,
                    ..Default::default()
                }),
                parameterized_job: param.map(|(payload, meta_required, meta_optional)| {
                    ParameterizedJobConfig {
                        payload,
                        meta_required,
                        meta_optional,
                    }
                }),
                stop,
                version,
                submit_time,
                create_index,
                modify_index: create_index,
                ..Default::default()
            }
        })
        .boxed()
}

/// A job a user could reasonably write: unique names, a driver, sensible values.
/// Canonicalized, it must validate.
pub fn job() -> BoxedStrategy<Job> {
    let good_task = (
        "[a-z]{1,6}",
        prop::sample::select(vec!["raw_exec", "exec", "docker"]),
        btree_map(ident(), json_value(), 0..3),
        opt((1i32..4000, 10i32..4000)),
        meta(),
    )
        .prop_map(|(name, driver, config, res, env)| Task {
            name,
            driver: driver.to_string(),
            config,
            env,
            resources: res.map(|(cpu, memory)| Resources {
                cpu: Some(cpu),
                memory_mb: Some(memory),
                ..Default::default()
            }),
            ..Default::default()
        });
    let good_group = (
        "[a-z]{1,6}",
        opt(0i32..10),
        vec(good_task, 1..3),
        vec("[a-z]{1,5}", 0..3),
        opt((0i32..5, 0i32..3)),
    )
        .prop_map(|(name, count, mut tasks, ports, restart)| {
            dedup_by_name(&mut tasks, |t| &mut t.name);
            let mut labels = ports;
            labels.sort();
            labels.dedup();
            TaskGroup {
                name,
                count,
                tasks,
                networks: vec![NetworkResource {
                    dynamic_ports: labels
                        .into_iter()
                        .map(|label| Port {
                            label,
                            ..Default::default()
                        })
                        .collect(),
                    ..Default::default()
                }],
                restart_policy: restart.map(|(attempts, delay_s)| RestartPolicy {
                    attempts: Some(attempts),
                    delay: Some(i64::from(delay_s) * SECOND),
                    ..Default::default()
                }),
                ..Default::default()
            }
        });
    (
        "[a-z][a-z0-9_-]{0,10}",
        prop::sample::select(vec!["", "service", "batch", "system", "sysbatch"]),
        opt(1i32..=100),
        vec("[a-z0-9]{1,4}", 0..3),
        vec(good_group, 1..3),
        vec(
            (
                "[a-z.]{1,10}",
                prop::sample::select(vec!["=", "!=", "<", "set_contains"]),
                "[a-z0-9]{1,5}",
            ),
            0..2,
        ),
        meta(),
    )
        .prop_map(
            |(id, ty, priority, datacenters, mut task_groups, cons, meta)| {
                dedup_by_name(&mut task_groups, |g| &mut g.name);
                if ty == "system" || ty == "sysbatch" {
                    task_groups
                        .iter_mut()
                        .for_each(|g| g.count = g.count.map(|c| c.min(1)));
                }
                Job {
                    id,
                    job_type: ty.to_string(),
                    priority,
                    datacenters,
                    task_groups,
                    constraints: cons
                        .into_iter()
                        .map(|(l, op, r)| {
                            Constraint::new(&format!("${{attr.{l}}}"), op, r.as_str())
                        })
                        .collect(),
                    meta,
                    ..Default::default()
                }
            },
        )
        .boxed()
}

/// Makes names unique by suffixing an index to repeats.
fn dedup_by_name<T>(items: &mut [T], name: impl Fn(&mut T) -> &mut String) {
    let mut seen = std::collections::BTreeSet::new();
    for (i, item) in items.iter_mut().enumerate() {
        let n = name(item);
        while seen.contains(n.as_str()) {
            n.push_str(&i.to_string());
        }
        seen.insert(n.clone());
    }
}
