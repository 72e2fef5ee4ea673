//! `nomad alloc logs [-stderr] [-f] [-tail] [-n lines] [-c bytes] <alloc> [task]`: print (or follow) a
//! task's stdout or stderr, read through the agent's `/v1/client/fs/logs` endpoint in plain mode.

use std::io::{Read, Write};
use std::process::ExitCode;

use clap::Args;

use super::lookup_alloc;
use crate::cli::{CliError, GlobalOpts};

#[derive(Debug, Args)]
pub struct LogsArgs {
    /// Show stderr instead of stdout.
    #[arg(long)]
    pub stderr: bool,
    /// Keep streaming new output.
    #[arg(short = 'f')]
    pub follow: bool,
    /// Show the end of the log (the last 10 lines unless -n or -c say otherwise).
    #[arg(long)]
    pub tail: bool,
    /// With -tail: how many lines.
    #[arg(short = 'n')]
    pub lines: Option<usize>,
    /// With -tail: how many bytes.
    #[arg(short = 'c')]
    pub bytes: Option<usize>,
    /// Show full-length IDs in errors.
    #[arg(long)]
    pub verbose: bool,
    /// The allocation ID or a prefix of it.
    pub alloc: String,
    /// The task (required when the allocation has more than one).
    pub task: Option<String>,
}

pub fn run(args: &LogsArgs, global: &GlobalOpts) -> Result<ExitCode, CliError> {
    let client = global.client();
    let alloc = lookup_alloc(&client, &args.alloc, args.verbose)?;
    let task = match &args.task {
        Some(t) => t.clone(),
        None => {
            let tasks: Vec<&String> = alloc.task_states.keys().collect();
            let from_job: Vec<String> = alloc
                .job
                .as_ref()
                .and_then(|j| j.task_groups.iter().find(|g| g.name == alloc.task_group))
                .map(|g| g.tasks.iter().map(|t| t.name.clone()).collect())
                .unwrap_or_default();
            match (tasks.as_slice(), from_job.as_slice()) {
                ([one], _) => (*one).clone(),
                ([], [one]) => one.clone(),
                _ => {
                    return Err(CliError::Message(
                        "Allocation has multiple tasks. Specify the task name as the second argument".to_owned(),
                    ));
                }
            }
        }
    };
    let kind = if args.stderr { "stderr" } else { "stdout" };
    let path = format!("/v1/client/fs/logs/{}", alloc.id);
    let base = [
        ("task", task.clone()),
        ("type", kind.to_owned()),
        ("plain", "true".to_owned()),
    ];

    let mut body = Vec::new();
    client
        .get_stream(
            &path,
            &[
                base[0].clone(),
                base[1].clone(),
                base[2].clone(),
                ("origin", "start".to_owned()),
            ],
        )?
        .read_to_end(&mut body)
        .map_err(|e| CliError::Message(format!("reading logs: {e}")))?;
    let shown = if args.tail || args.lines.is_some() || args.bytes.is_some() {
        tail(&body, args.lines, args.bytes)
    } else {
        &body[..]
    };
    let mut stdout = std::io::stdout().lock();
    let _ = stdout.write_all(shown);
    let _ = stdout.flush();
    if !args.follow {
        return Ok(ExitCode::SUCCESS);
    }
    let query = [
        base[0].clone(),
        base[1].clone(),
        base[2].clone(),
        ("origin", "start".to_owned()),
        ("offset", body.len().to_string()),
        ("follow", "true".to_owned()),
    ];
    let mut stream = client.get_stream(&path, &query)?;
    let mut buf = [0u8; 8192];
    loop {
        match stream.read(&mut buf) {
            Ok(0) => return Ok(ExitCode::SUCCESS),
            Ok(n) => {
                let _ = stdout.write_all(&buf[..n]);
                let _ = stdout.flush();
            }
            Err(e) => return Err(CliError::Message(format!("reading logs: {e}"))),
        }
    }
}

/// The last `lines` lines (10 by default) or the last `bytes` bytes of `body`.
fn tail(body: &[u8], lines: Option<usize>, bytes: Option<usize>) -> &[u8] {
    if let Some(n) = bytes {
        return &body[body.len().saturating_sub(n)..];
    }
    let want = lines.unwrap_or(10);
    let trimmed = body.strip_suffix(b"\n").unwrap_or(body);
    let mut seen = 0;
    for (i, b) in trimmed.iter().enumerate().rev() {
        if *b == b'\n' {
            seen += 1;
            if seen == want {
                return &body[i + 1..];
            }
        }
    }
    body
}

#[cfg(test)]
mod tests {
    use super::tail;

    #[test]
    fn tails_lines_and_bytes() {
        let body = b"1\n2\n3\n4\n";
        assert_eq!(tail(body, Some(2), None), b"3\n4\n");
        assert_eq!(tail(body, Some(10), None), body);
        assert_eq!(tail(body, None, Some(3)), b"\n4\n");
    }
}
