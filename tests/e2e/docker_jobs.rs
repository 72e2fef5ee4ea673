//! Docker jobs through a real `nomad agent -dev` and the real Docker Engine:
//! Nomad's own `nomad job init` example runs unchanged (its `redis:7` is a local
//! busybox stand-in serving TCP on 6379) and its mapped host port answers on
//! loopback, `job stop` removes the container; a task's stdout and stderr reach
//! `nomad alloc logs`; a task past its memory limit is killed and its event says
//! it was OOM killed. No engine in CI (`CI=true`) fails loudly; elsewhere the
//! tests print a loud NOT TESTED banner.

use std::io::Read;
use std::net::TcpStream;
use std::time::Duration;

use super::dev_agent::{DevAgent, both, stdout};
use super::docker_support::{
    ContainerSweep, REDIS_IMAGE, TEST_IMAGE, alloc_ids, api_get, containers_of, docker_ready,
};

/// Waits for the job's single allocation and returns its full ID.
fn only_alloc(agent: &DevAgent, job: &str) -> String {
    let mut ids = Vec::new();
    agent.wait_for(&format!("an allocation of {job}"), || {
        ids = alloc_ids(agent, job);
        !ids.is_empty()
    });
    assert_eq!(ids.len(), 1, "one allocation expected: {ids:?}");
    ids.remove(0)
}

fn client_status(agent: &DevAgent, alloc: &str) -> String {
    api_get(agent, &format!("/allocation/{alloc}"))["ClientStatus"]
        .as_str()
        .unwrap_or_default()
        .to_owned()
}

/// `host:port` of port `label` in `alloc status` output (`*db|yes|127.0.0.1:23456 -> 6379`).
fn address_of(alloc_status: &str, label: &str) -> Option<(String, u16, String)> {
    let line = alloc_status
        .lines()
        .find(|l| l.trim_start().starts_with(&format!("*{label} ")))?;
    let mut cols = line.split_whitespace().skip(2);
    let (host, port) = cols.next()?.rsplit_once(':')?;
    let to = match (cols.next(), cols.next()) {
        (Some("->"), Some(to)) => to.to_owned(),
        _ => String::new(),
    };
    Some((host.to_owned(), port.parse().ok()?, to))
}

/// What a TCP server at `host:port` says on connect, if it answers.
fn greeting(host: &str, port: u16) -> Option<String> {
    let mut conn = TcpStream::connect((host, port)).ok()?;
    conn.set_read_timeout(Some(Duration::from_secs(2))).ok()?;
    let mut text = String::new();
    conn.read_to_string(&mut text).ok()?;
    Some(text).filter(|t| !t.is_empty())
}

fn docker_is_a_healthy_driver(agent: &DevAgent) {
    let node = api_get(agent, "/nodes")[0]["ID"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    let detail = api_get(agent, &format!("/node/{node}"));
    let docker = &detail["Drivers"]["docker"];
    assert_eq!(docker["Healthy"], true, "docker driver: {docker}");
    assert!(
        detail["Attributes"]["driver.docker.version"]
            .as_str()
            .is_some_and(|v| !v.is_empty()),
        "{}",
        detail["Attributes"]
    );
}

#[test]
fn job_init_example_runs_unchanged_serves_its_port_and_stop_removes_the_container() {
    if !docker_ready("job_init_example") {
        return;
    }
    let sweep = ContainerSweep::default();
    let agent = DevAgent::start();
    docker_is_a_healthy_driver(&agent);

    let init = agent.nomad(&["job", "init"]);
    assert!(init.status.success(), "{}", both(&init));
    assert!(
        stdout(&init).contains("Example job file written to example.nomad.hcl"),
        "{}",
        both(&init)
    );
    let example = std::fs::read_to_string(agent.dir.path().join("example.nomad.hcl")).unwrap();
    assert!(
        example.contains(&format!("image          = \"{REDIS_IMAGE}\"")),
        "{example}"
    );

    let run = agent.nomad(&["job", "run", "example.nomad.hcl"]);
    assert!(run.status.success(), "{}", both(&run));
    let alloc = only_alloc(&agent, "example");
    sweep.track(&alloc);
    agent.wait_for("the redis task to run", || {
        client_status(&agent, &alloc) == "running"
    });

    // The CLI shows the mapped address; the API agrees.
    let status = agent.nomad(&["alloc", "status", &alloc]);
    let (host, port, to) = address_of(&stdout(&status), "db")
        .unwrap_or_else(|| panic!("no address for port db:\n{}", both(&status)));
    assert_eq!((host.as_str(), to.as_str()), ("127.0.0.1", "6379"));
    let ports =
        api_get(&agent, &format!("/allocation/{alloc}"))["AllocatedResources"]["Shared"]["Ports"]
            .clone();
    let db = ports
        .as_array()
        .and_then(|ps| ps.iter().find(|p| p["Label"] == "db"))
        .unwrap_or_else(|| panic!("no db port in {ports}"));
    assert_eq!(
        (db["Value"].as_u64(), db["To"].as_u64()),
        (Some(u64::from(port)), Some(6379))
    );

    // The container's own server answers on the host port.
    let mut answer = None;
    agent.wait_for("the redis stand-in to answer on its mapped port", || {
        answer = greeting(&host, port);
        answer.is_some()
    });
    assert_eq!(answer.as_deref(), Some("+PONG\n"));
    assert_eq!(containers_of(&alloc).len(), 1, "one container for {alloc}");

    let stop = agent.nomad(&["job", "stop", "example"]);
    assert!(stop.status.success(), "{}", both(&stop));
    agent.wait_for("the job to be dead (stopped)", || {
        stdout(&agent.nomad(&["status", "example"])).contains("dead (stopped)")
    });
    agent.wait_for("the container to be removed", || {
        containers_of(&alloc).is_empty()
    });
    assert!(greeting(&host, port).is_none(), "port {port} still answers");
    let code = agent.terminate();
    assert!(code.success(), "agent exits 0 on SIGTERM: {code:?}");
}

fn chatty_job() -> String {
    format!(
        r#"job "chatty" {{
  datacenters = ["dc1"]

  group "g" {{
    task "talker" {{
      driver = "docker"

      config {{
        image   = "{TEST_IMAGE}"
        command = "/bin/sh"
        args    = ["-c", "echo out from $NOMAD_ALLOC_ID; echo err from $NOMAD_TASK_NAME >&2; while true; do sleep 1; done"]
      }}

      resources {{
        cpu    = 100
        memory = 32
      }}
    }}
  }}
}}
"#
    )
}

#[test]
fn docker_task_stdout_and_stderr_reach_alloc_logs() {
    if !docker_ready("docker_alloc_logs") {
        return;
    }
    let sweep = ContainerSweep::default();
    let agent = DevAgent::start();
    agent.write("chatty.nomad.hcl", &chatty_job());
    let run = agent.nomad(&["job", "run", "chatty.nomad.hcl"]);
    assert!(run.status.success(), "{}", both(&run));
    let alloc = only_alloc(&agent, "chatty");
    sweep.track(&alloc);

    agent.wait_for("stdout in alloc logs", || {
        stdout(&agent.nomad(&["alloc", "logs", &alloc])).contains("out from")
    });
    let out = agent.nomad(&["alloc", "logs", &alloc]);
    assert_eq!(
        stdout(&out),
        format!("out from {alloc}\n"),
        "{}",
        both(&out)
    );
    agent.wait_for("stderr in alloc logs -stderr", || {
        stdout(&agent.nomad(&["alloc", "logs", "-stderr", &alloc])).contains("err from")
    });
    let err = agent.nomad(&["alloc", "logs", "-stderr", &alloc]);
    assert_eq!(stdout(&err), "err from talker\n", "{}", both(&err));

    let stop = agent.nomad(&["job", "stop", "chatty"]);
    assert!(stop.status.success(), "{}", both(&stop));
    agent.wait_for("the container to be removed", || {
        containers_of(&alloc).is_empty()
    });
    let code = agent.terminate();
    assert!(code.success(), "agent exits 0 on SIGTERM: {code:?}");
}

fn hog_job() -> String {
    format!(
        r#"job "dhog" {{
  datacenters = ["dc1"]
  type        = "batch"

  group "g" {{
    restart {{
      attempts = 0
      mode     = "fail"
    }}

    task "hog" {{
      driver = "docker"

      config {{
        image   = "{TEST_IMAGE}"
        command = "/bin/sh"
        # Holds ~100 MB in a shell variable under a 16 MB limit.
        args    = ["-c", "x=$(head -c 100000000 /dev/zero | tr '\\0' a); echo survived $${{#x}}"]
      }}

      resources {{
        memory = 16
      }}
    }}
  }}
}}
"#
    )
}

#[test]
fn docker_task_past_its_memory_limit_is_oom_killed() {
    if !docker_ready("docker_oom") {
        return;
    }
    let sweep = ContainerSweep::default();
    let agent = DevAgent::start();
    agent.write("dhog.nomad.hcl", &hog_job());
    let run = agent.nomad(&["job", "run", "-detach", "dhog.nomad.hcl"]);
    assert!(run.status.success(), "{}", both(&run));
    let alloc = only_alloc(&agent, "dhog");
    sweep.track(&alloc);
    agent.wait_for("an OOM kill in the task's events", || {
        stdout(&agent.nomad(&["alloc", "status", &alloc])).contains("OOM Killed")
    });
    let status = stdout(&agent.nomad(&["alloc", "status", &alloc]));
    assert!(status.contains("Terminated"), "{status}");
    assert!(status.contains("Exit Code: 137"), "{status}");
    assert_eq!(client_status(&agent, &alloc), "failed", "{status}");
    let logs = stdout(&agent.nomad(&["alloc", "logs", &alloc]));
    assert!(!logs.contains("survived"), "{logs}");
    agent.wait_for("the container to be removed", || {
        containers_of(&alloc).is_empty()
    });
    let code = agent.terminate();
    assert!(code.success(), "agent exits 0 on SIGTERM: {code:?}");
}
