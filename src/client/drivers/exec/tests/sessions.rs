//! Commands run inside a running exec task: the driver's exec and `alloc exec`
//! sessions (piped or on a terminal) see the task's user, PID namespace and root.

use super::*;

#[tokio::test]
async fn commands_run_inside_the_running_task() {
    if !isolation_available() {
        return;
    }
    let t = Task::new();
    let h = ExecDriver::new()
        .start_task(t.spec(
            "nobody",
            64,
            "echo up > /local/marker; echo up; exec sleep 30",
        ))
        .unwrap();
    t.wait_for_output("up").await;
    let argv: Vec<String> = [
        BUSYBOX,
        "sh",
        "-c",
        "id -u; cat /local/marker; ps; cat /proc/self/cgroup; exit 3",
    ]
    .map(String::from)
    .to_vec();
    let out = h
        .command(&argv, false)
        .unwrap()
        .env("PATH", "/bin")
        .stdin(std::process::Stdio::null())
        .output()
        .await
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        out.status.code(),
        Some(3),
        "{text} {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let nobody = user::lookup("nobody").unwrap().uid;
    assert!(text.starts_with(&format!("{nobody}\nup\n")), "{text}");
    // Same PID namespace: the task's own sleep is PID 2, and nothing of the host shows.
    let sleep_line = text.lines().find(|l| l.contains("sleep 30"));
    assert!(
        sleep_line.is_some_and(|l| l.split_whitespace().next() == Some("2")),
        "{text}"
    );
    let processes = text
        .lines()
        .skip(2) // id -u and the marker
        .filter(|l| {
            l.split_whitespace()
                .next()
                .is_some_and(|p| p.parse::<u32>().is_ok())
        })
        .count();
    // init, sleep, the shell, ps.
    assert!(processes <= 5, "host processes visible: {text}");
    // ...and in the task's cgroup.
    let alloc = t
        .task_dir
        .parent()
        .unwrap()
        .file_name()
        .unwrap()
        .to_string_lossy()
        .into_owned();
    assert!(
        text.contains(&format!("{alloc}.t")),
        "not in the task's cgroup: {text}"
    );
    assert!(matches!(
        h.command(&[], false),
        Err(ClientError::TaskConfig(_))
    ));
    h.stop("SIGTERM", Duration::from_secs(10)).await;
    assert!(matches!(
        h.command(&argv, false),
        Err(ClientError::TaskNotRunning)
    ));
}

/// `alloc exec` on an exec task: the session runs inside the task (its user, its
/// PID namespace, its root), piped or on a terminal, and ends with the task.
#[tokio::test]
async fn alloc_exec_sessions_run_inside_the_task() {
    use crate::client::drivers::ExecRequest;
    if !isolation_available() {
        return;
    }
    assert!(ExecDriver::new().capabilities().exec);
    let t = Task::new();
    let h = ExecDriver::new()
        .start_task(t.spec(
            "nobody",
            64,
            "echo up > /local/marker; echo up; exec sleep 30",
        ))
        .unwrap();
    t.wait_for_output("up").await;
    let sh = |script: &str, tty: bool| ExecRequest {
        command: [BUSYBOX, "sh", "-c", script].map(String::from).to_vec(),
        tty,
        tty_size: None,
    };
    let (out, _, code) = h
        .exec(sh(
            "id -u; cat /local/marker; ls /proc | grep -c '^[0-9]'; exit 5",
            false,
        ))
        .await
        .unwrap()
        .run_to_end(b"")
        .await;
    let text = String::from_utf8_lossy(&out);
    let nobody = user::lookup("nobody").unwrap().uid;
    assert!(text.starts_with(&format!("{nobody}\nup\n")), "{text}");
    let pids: usize = text
        .lines()
        .nth(2)
        .unwrap_or("")
        .trim()
        .parse()
        .unwrap_or(999);
    assert!(pids <= 6, "host processes visible to the session: {text}");
    assert_eq!(code, Some(5));

    // stdin reaches the command; on a terminal, `tty` says so.
    let (out, _, code) = h
        .exec(sh("read line; echo got $line", false))
        .await
        .unwrap()
        .run_to_end(b"hello\n")
        .await;
    assert_eq!(String::from_utf8_lossy(&out), "got hello\n");
    assert_eq!(code, Some(0));
    let (out, _, code) = h
        // `tty` would print "not a tty": the pty lives in the host's devpts, which the
        // task's /dev does not show, but fd 0 is a terminal all the same.
        .exec(sh(
            "[ -t 0 ] && echo on-a-terminal; stty size; exit 2",
            true,
        ))
        .await
        .unwrap()
        .run_to_end(b"")
        .await;
    let text = String::from_utf8_lossy(&out);
    assert!(text.contains("on-a-terminal"), "no terminal: {text}");
    assert!(text.contains("24 80"), "terminal size: {text}");
    assert_eq!(code, Some(2));

    // A session outlives nothing: stopping the task ends it.
    let long = h.exec(sh("exec sleep 60", false)).await.unwrap();
    h.stop("SIGKILL", Duration::from_secs(2)).await;
    let ended = tokio::time::timeout(Duration::from_secs(30), long.run_to_end(b"")).await;
    assert!(ended.is_ok(), "the exec session outlived the task");
    assert!(h.exec(sh("true", false)).await.is_err());
}
