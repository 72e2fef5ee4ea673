//! Canonicalize: Nomad's defaults per job type, merging, and idempotence.

use crate::structs::*;

fn job(job_type: &str) -> Job {
    Job {
        id: "example".into(),
        job_type: job_type.into(),
        task_groups: vec![TaskGroup {
            name: "cache".into(),
            tasks: vec![Task {
                name: "redis".into(),
                driver: "docker".into(),
                ..Default::default()
            }],
            ..Default::default()
        }],
        ..Default::default()
    }
}

fn canonical(j: Job) -> Job {
    let mut j = j;
    j.canonicalize();
    j
}

#[test]
fn job_level_defaults() {
    let j = canonical(job(""));
    assert_eq!(j.region, "global");
    assert_eq!(j.namespace, "default");
    assert_eq!(j.name, "example");
    assert_eq!(j.job_type, "service");
    assert_eq!(j.priority, Some(50));
    assert_eq!(j.datacenters, vec!["*".to_string()]);
    assert_eq!(j.node_pool, "default");
    assert_eq!(j.update, Some(default_update_strategy()));
}

#[test]
fn explicit_values_are_kept() {
    let mut raw = job("batch");
    raw.name = "nice".into();
    raw.priority = Some(0); // invalid, but canonicalize must not hide it
    raw.datacenters = vec!["dc1".into()];
    raw.task_groups[0].count = Some(0);
    let j = canonical(raw);
    assert_eq!(j.name, "nice");
    assert_eq!(j.priority, Some(0));
    assert_eq!(j.datacenters, vec!["dc1".to_string()]);
    assert_eq!(j.task_groups[0].count, Some(0));
}

#[test]
fn service_group_defaults() {
    let j = canonical(job("service"));
    let g = &j.task_groups[0];
    assert_eq!(g.count, Some(1));
    assert_eq!(g.ephemeral_disk.as_ref().and_then(|d| d.size_mb), Some(300));
    let r = g.restart_policy.clone().unwrap_or_default();
    assert_eq!(
        (r.attempts, r.interval, r.delay),
        (Some(2), Some(30 * MINUTE), Some(15 * SECOND))
    );
    assert_eq!(r.mode.as_deref(), Some("fail"));
    let rs = g.reschedule_policy.clone().unwrap_or_default();
    assert_eq!(rs.unlimited, Some(true));
    assert_eq!(rs.delay, Some(30 * SECOND));
    assert_eq!(rs.delay_function.as_deref(), Some("exponential"));
    assert_eq!(rs.max_delay, Some(HOUR));
    let u = g.update.clone().unwrap_or_default();
    assert_eq!(u.max_parallel, Some(1));
    assert_eq!(u.health_check.as_deref(), Some("checks"));
    assert_eq!(u.min_healthy_time, Some(10 * SECOND));
    assert_eq!(u.healthy_deadline, Some(5 * MINUTE));
    assert_eq!(u.progress_deadline, Some(10 * MINUTE));
    assert_eq!(u.stagger, Some(30 * SECOND));
    assert_eq!(g.migrate, Some(default_migrate_strategy()));
}

#[test]
fn batch_group_defaults() {
    let mut raw = job("batch");
    raw.update = Some(UpdateStrategy {
        max_parallel: Some(3),
        ..Default::default()
    });
    raw.task_groups[0].update = Some(UpdateStrategy::default());
    let j = canonical(raw);
    assert_eq!(j.update, None, "batch jobs have no deployments");
    let g = &j.task_groups[0];
    let r = g.restart_policy.clone().unwrap_or_default();
    assert_eq!(
        (r.attempts, r.interval, r.delay),
        (Some(3), Some(24 * HOUR), Some(15 * SECOND))
    );
    let rs = g.reschedule_policy.clone().unwrap_or_default();
    assert_eq!((rs.attempts, rs.interval), (Some(1), Some(24 * HOUR)));
    assert_eq!(rs.delay, Some(5 * SECOND));
    assert_eq!(rs.delay_function.as_deref(), Some("constant"));
    assert_eq!(rs.unlimited, Some(false));
    assert_eq!(g.update, None);
    assert_eq!(g.migrate, None);
}

#[test]
fn system_and_sysbatch_defaults() {
    let sys = canonical(job("system"));
    let g = &sys.task_groups[0];
    assert_eq!(g.reschedule_policy, None);
    assert_eq!(g.restart_policy, Some(default_restart_policy("service")));
    assert_eq!(g.update, None);
    let mut with_update = job("system");
    with_update.update = Some(UpdateStrategy {
        max_parallel: Some(2),
        ..Default::default()
    });
    let sys = canonical(with_update);
    let u = sys.task_groups[0].update.clone().unwrap_or_default();
    assert_eq!(u.max_parallel, Some(2));
    assert_eq!(u.stagger, Some(30 * SECOND));

    let sb = canonical(job("sysbatch"));
    let g = &sb.task_groups[0];
    assert_eq!(g.reschedule_policy, None);
    assert_eq!(g.restart_policy, Some(default_restart_policy("batch")));
    assert_eq!(g.update, None);
}

#[test]
fn update_and_reschedule_merge_job_then_group() {
    let mut raw = job("service");
    raw.update = Some(UpdateStrategy {
        max_parallel: Some(2),
        health_check: Some("task_states".into()),
        healthy_deadline: Some(10 * MINUTE),
        ..Default::default()
    });
    raw.reschedule = Some(ReschedulePolicy {
        delay: Some(MINUTE),
        ..Default::default()
    });
    raw.task_groups[0].update = Some(UpdateStrategy {
        canary: Some(1),
        ..Default::default()
    });
    raw.task_groups[0].reschedule_policy = Some(ReschedulePolicy {
        unlimited: Some(false),
        attempts: Some(4),
        ..Default::default()
    });
    let j = canonical(raw);
    let u = j.task_groups[0].update.clone().unwrap_or_default();
    assert_eq!(u.canary, Some(1));
    assert_eq!(u.max_parallel, Some(2));
    assert_eq!(u.health_check.as_deref(), Some("task_states"));
    assert_eq!(u.healthy_deadline, Some(10 * MINUTE));
    assert_eq!(u.min_healthy_time, Some(10 * SECOND));
    let rs = j.task_groups[0]
        .reschedule_policy
        .clone()
        .unwrap_or_default();
    assert_eq!(rs.delay, Some(MINUTE));
    assert_eq!(rs.attempts, Some(4));
    assert_eq!(rs.unlimited, Some(false));
    assert_eq!(rs.delay_function.as_deref(), Some("exponential"));
}

#[test]
fn task_defaults_and_restart_inheritance() {
    let mut raw = job("service");
    raw.task_groups[0].restart_policy = Some(RestartPolicy {
        attempts: Some(7),
        mode: Some("delay".into()),
        ..Default::default()
    });
    raw.task_groups[0].tasks[0].restart_policy = Some(RestartPolicy {
        delay: Some(SECOND * 3),
        ..Default::default()
    });
    let j = canonical(raw);
    let t = &j.task_groups[0].tasks[0];
    assert_eq!(t.kill_timeout, Some(5 * SECOND));
    assert_eq!(t.log_config, Some(default_log_config()));
    let res = t.resources.clone().unwrap_or_default();
    assert_eq!(
        (res.cpu, res.memory_mb, res.cores, res.memory_max_mb),
        (Some(100), Some(300), Some(0), Some(0))
    );
    let r = t.restart_policy.clone().unwrap_or_default();
    assert_eq!(r.attempts, Some(7));
    assert_eq!(r.mode.as_deref(), Some("delay"));
    assert_eq!(r.delay, Some(3 * SECOND));
    assert_eq!(r.interval, Some(30 * MINUTE));
}

#[test]
fn cores_zero_cpu() {
    let mut raw = job("service");
    raw.task_groups[0].tasks[0].resources = Some(Resources {
        cores: Some(2),
        ..Default::default()
    });
    let j = canonical(raw);
    let res = j.task_groups[0].tasks[0]
        .resources
        .clone()
        .unwrap_or_default();
    assert_eq!((res.cpu, res.cores), (Some(0), Some(2)));
}

#[test]
fn services_templates_artifacts_and_blocks() {
    let mut raw = job("batch");
    raw.periodic = Some(PeriodicConfig {
        spec: "@daily".into(),
        ..Default::default()
    });
    raw.parameterized_job = Some(ParameterizedJobConfig::default());
    let g = &mut raw.task_groups[0];
    g.networks = vec![NetworkResource::default()];
    g.services = vec![Service {
        check_restart: Some(CheckRestart {
            limit: 3,
            ..Default::default()
        }),
        checks: vec![ServiceCheck {
            check_type: "tcp".into(),
            ..Default::default()
        }],
        ..Default::default()
    }];
    let t = &mut g.tasks[0];
    t.services = vec![Service::default()];
    t.templates = vec![Template {
        embedded_tmpl: "x".into(),
        ..Default::default()
    }];
    t.artifacts = vec![
        TaskArtifact {
            getter_source: "https://e.com/a/app.tgz?x=1".into(),
            ..Default::default()
        },
        TaskArtifact {
            getter_source: "https://e.com/a/app.bin".into(),
            getter_mode: "file".into(),
            ..Default::default()
        },
    ];
    t.lifecycle = Some(TaskLifecycleConfig::default());
    t.resources = Some(Resources {
        devices: vec![RequestedDevice {
            name: "nvidia/gpu".into(),
            ..Default::default()
        }],
        ..Default::default()
    });
    let j = canonical(raw);
    let p = j.periodic.clone().unwrap_or_default();
    assert_eq!(
        (p.enabled, p.spec_type.as_str(), p.time_zone.as_str()),
        (Some(true), "cron", "UTC")
    );
    assert_eq!(
        j.parameterized_job.as_ref().map(|p| p.payload.as_str()),
        Some("optional")
    );
    let g = &j.task_groups[0];
    assert_eq!(g.networks[0].mode, "host");
    let s = &g.services[0];
    assert_eq!(s.name, "example-cache");
    assert_eq!(
        (s.provider.as_str(), s.address_mode.as_str()),
        ("consul", "auto")
    );
    assert_eq!(s.on_update, "require_healthy");
    assert_eq!(s.checks[0].on_update, "require_healthy");
    let cr = s.checks[0].check_restart.clone().unwrap_or_default();
    assert_eq!((cr.limit, cr.grace), (3, Some(SECOND)));
    let t = &g.tasks[0];
    assert_eq!(t.services[0].name, "example-cache-redis");
    let tm = &t.templates[0];
    assert_eq!(
        (tm.change_mode.as_str(), tm.perms.as_str()),
        ("restart", "0644")
    );
    assert_eq!(
        (tm.left_delim.as_str(), tm.right_delim.as_str(), tm.splay),
        ("{{", "}}", Some(5 * SECOND))
    );
    assert_eq!(t.artifacts[0].relative_dest, "local/");
    assert_eq!(t.artifacts[0].getter_mode, "any");
    assert_eq!(t.artifacts[1].relative_dest, "local/app.bin");
    assert_eq!(
        t.lifecycle, None,
        "an empty lifecycle block means a main task"
    );
    let dev = &t
        .resources
        .as_ref()
        .map(|r| r.devices.clone())
        .unwrap_or_default()[0];
    assert_eq!(dev.count, Some(1));
}

#[test]
fn idempotent_on_examples() {
    for ty in ["", "service", "batch", "system", "sysbatch", "weird"] {
        let once = canonical(job(ty));
        let twice = canonical(once.clone());
        assert_eq!(once, twice, "type {ty:?}");
    }
}
