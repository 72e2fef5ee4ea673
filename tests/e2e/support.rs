//! Shared plumbing for the end-to-end tests: where the job-file corpus lives,
//! how its files and sidecars are named, and how to run the built `nomad`
//! binary and capture what it prints.

use std::ffi::OsStr;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitStatus, Stdio};
use std::thread;
use std::time::{Duration, Instant};

/// The binary under test, built by Cargo for this test target.
pub const NOMAD: &str = env!("CARGO_BIN_EXE_nomad");

/// A guard against a hung CLI, not a performance assertion: a job file is
/// parsed in milliseconds, so anything near this limit is a hang.
const RUN_TIMEOUT: Duration = Duration::from_secs(120);

/// Suffixes that make a file in the corpus a job file; the job's name is the
/// file name without the suffix.
const JOB_SUFFIXES: [&str; 2] = [".nomad.hcl", ".json"];

/// `tests/jobspecs/`, the root of the job-file corpus.
pub fn corpus_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests")
        .join("jobspecs")
}

/// `tests/jobspecs/valid/`: job files that must parse.
pub fn valid_dir() -> PathBuf {
    corpus_dir().join("valid")
}

/// `tests/jobspecs/invalid/`: job files that must be rejected.
pub fn invalid_dir() -> PathBuf {
    corpus_dir().join("invalid")
}

/// One job file of the corpus.
#[derive(Debug, Clone)]
pub struct JobFile {
    /// File name without its job suffix, e.g. `example` for `example.nomad.hcl`;
    /// sidecars are named after it.
    pub name: String,
    /// File name as passed to the CLI (the CLI runs in the file's directory).
    pub file_name: String,
    /// Full path, for reading the file.
    pub path: PathBuf,
}

impl JobFile {
    /// A sidecar of this job: `<dir>/<name><suffix>`.
    pub fn sidecar(&self, suffix: &str) -> PathBuf {
        let dir = self.path.parent().unwrap_or_else(|| Path::new("."));
        dir.join(format!("{}{}", self.name, suffix))
    }

    /// True for jobs in the API's JSON shape rather than HCL.
    pub fn is_json(&self) -> bool {
        self.file_name.ends_with(".json")
    }
}

/// The job name for a corpus file name, or `None` when it is not a job file
/// (sidecars, goldens, variable files).
pub fn job_name(file_name: &str) -> Option<&str> {
    JOB_SUFFIXES
        .iter()
        .find_map(|suffix| file_name.strip_suffix(suffix))
        .filter(|name| !name.is_empty())
}

/// Every job file in `dir`, sorted by file name.
pub fn job_files(dir: &Path) -> Result<Vec<JobFile>, String> {
    let mut jobs: Vec<JobFile> = list_dir(dir)?
        .into_iter()
        .filter_map(|path| {
            let file_name = path.file_name()?.to_str()?.to_owned();
            let name = job_name(&file_name)?.to_owned();
            Some(JobFile {
                name,
                file_name,
                path,
            })
        })
        .collect();
    jobs.sort_by(|a, b| a.file_name.cmp(&b.file_name));
    Ok(jobs)
}

/// Every regular file in `dir`.
pub fn list_dir(dir: &Path) -> Result<Vec<PathBuf>, String> {
    let entries =
        std::fs::read_dir(dir).map_err(|e| format!("cannot list {}: {e}", dir.display()))?;
    let mut files = Vec::new();
    for entry in entries {
        let entry = entry.map_err(|e| format!("cannot list {}: {e}", dir.display()))?;
        if entry.path().is_file() {
            files.push(entry.path());
        }
    }
    files.sort();
    Ok(files)
}

/// Reads a file the corpus needs, naming it in the error.
pub fn read(path: &Path) -> Result<String, String> {
    std::fs::read_to_string(path).map_err(|e| format!("cannot read {}: {e}", path.display()))
}

/// Extra CLI arguments from a job's `.vars` sidecar (none when it has none).
///
/// One argument per line; `-var k=v` and `-var-file f` style lines are split
/// at the first blank into flag and value (so a value may hold spaces), while
/// `-var=k=v` stays whole. Blank lines and `#` comments are skipped.
pub fn sidecar_args(job: &JobFile) -> Result<Vec<String>, String> {
    let path = job.sidecar(".vars");
    if !path.exists() {
        return Ok(Vec::new());
    }
    Ok(parse_sidecar_args(&read(&path)?))
}

/// The argument list in the text of a `.vars` sidecar.
pub fn parse_sidecar_args(text: &str) -> Vec<String> {
    let mut args = Vec::new();
    for line in text.lines().map(str::trim) {
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        match line.split_once(char::is_whitespace) {
            // `-var=k=v` is already one argument; only `-flag value` is split.
            Some((flag, value)) if flag.starts_with('-') && !flag.contains('=') => {
                args.push(flag.to_owned());
                args.push(value.trim().to_owned());
            }
            _ => args.push(line.to_owned()),
        }
    }
    args
}

/// What one run of the CLI did.
#[derive(Debug)]
pub struct CliOutput {
    /// The command line, for failure messages.
    pub command: String,
    /// Exit code; `None` when the process died from a signal.
    pub code: Option<i32>,
    pub stdout: String,
    pub stderr: String,
}

impl CliOutput {
    /// A readable account of the run for a failure message, with long streams
    /// cut short.
    pub fn describe(&self) -> String {
        format!(
            "    command: {}\n    exit code: {}\n    stdout:\n{}\n    stderr:\n{}",
            self.command,
            self.code
                .map_or_else(|| "none (killed by a signal)".to_owned(), |c| c.to_string()),
            indent_excerpt(&self.stdout),
            indent_excerpt(&self.stderr),
        )
    }
}

/// Runs `nomad <args>` in `cwd` and captures its output.
///
/// `NOMAD_VAR_*` variables of the test's own environment are removed so they
/// cannot leak into variable resolution.
pub fn run_nomad<S: AsRef<OsStr>>(cwd: &Path, args: &[S]) -> Result<CliOutput, String> {
    let command = std::iter::once("nomad".to_owned())
        .chain(
            args.iter()
                .map(|a| a.as_ref().to_string_lossy().into_owned()),
        )
        .collect::<Vec<_>>()
        .join(" ");
    let mut cmd = Command::new(NOMAD);
    cmd.args(args)
        .current_dir(cwd)
        .env("NO_COLOR", "1")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    for (key, _) in std::env::vars_os() {
        if key.to_string_lossy().starts_with("NOMAD_VAR_") {
            cmd.env_remove(key);
        }
    }
    let mut child = cmd
        .spawn()
        .map_err(|e| format!("{command}: cannot start {NOMAD}: {e}"))?;
    // Drain both pipes while waiting so a chatty child cannot block on a full pipe.
    let stdout = child.stdout.take().map(drain);
    let stderr = child.stderr.take().map(drain);
    let status = wait_with_deadline(&mut child, &command);
    let stdout = stdout.map(join_drain).unwrap_or_default();
    let stderr = stderr.map(join_drain).unwrap_or_default();
    let status = status?;
    Ok(CliOutput {
        command,
        code: status.code(),
        stdout,
        stderr,
    })
}

fn wait_with_deadline(
    child: &mut std::process::Child,
    command: &str,
) -> Result<ExitStatus, String> {
    let deadline = Instant::now() + RUN_TIMEOUT;
    loop {
        match child.try_wait() {
            Ok(Some(status)) => return Ok(status),
            Ok(None) if Instant::now() >= deadline => {
                // Best effort: the error below is what matters.
                let _ = child.kill();
                let _ = child.wait();
                return Err(format!(
                    "{command}: still running after {RUN_TIMEOUT:?}, killed"
                ));
            }
            Ok(None) => thread::sleep(Duration::from_millis(10)),
            Err(e) => return Err(format!("{command}: cannot wait for the process: {e}")),
        }
    }
}

fn drain<R: Read + Send + 'static>(mut pipe: R) -> thread::JoinHandle<String> {
    thread::spawn(move || {
        let mut bytes = Vec::new();
        // A read error leaves what was read so far, which is all we can show.
        let _ = pipe.read_to_end(&mut bytes);
        String::from_utf8_lossy(&bytes).into_owned()
    })
}

fn join_drain(handle: thread::JoinHandle<String>) -> String {
    handle
        .join()
        .unwrap_or_else(|_| "<output reader thread panicked>".to_owned())
}

/// At most this many lines of a stream go into a failure message.
const EXCERPT_LINES: usize = 15;

/// `text` indented for a failure message, cut to `EXCERPT_LINES` lines.
pub fn indent_excerpt(text: &str) -> String {
    if text.is_empty() {
        return "      <empty>".to_owned();
    }
    let lines: Vec<&str> = text.lines().collect();
    let mut out: Vec<String> = lines
        .iter()
        .take(EXCERPT_LINES)
        .map(|l| format!("      | {l}"))
        .collect();
    if lines.len() > EXCERPT_LINES {
        out.push(format!(
            "      ... {} more lines",
            lines.len() - EXCERPT_LINES
        ));
    }
    out.join("\n")
}

/// Where two texts first differ, with a little context, for a failure message.
pub fn first_difference(expected: &str, actual: &str) -> String {
    let exp: Vec<&str> = expected.lines().collect();
    let act: Vec<&str> = actual.lines().collect();
    let Some(at) = (0..exp.len().max(act.len())).find(|&i| exp.get(i) != act.get(i)) else {
        // Same lines, so the difference is in line endings or a final newline.
        return format!(
            "    same lines, different line endings or final newline \
             (expected {} bytes, got {} bytes)",
            expected.len(),
            actual.len()
        );
    };
    let from = at.saturating_sub(3);
    let excerpt = |lines: &[&str]| {
        let shown: Vec<String> = (from..(at + 4).min(lines.len()))
            .map(|i| {
                let mark = if i == at { '>' } else { ' ' };
                format!("      {mark}{:>5} | {}", i + 1, lines[i])
            })
            .collect();
        if shown.is_empty() {
            "      <ends before this line>".to_owned()
        } else {
            shown.join("\n")
        }
    };
    format!(
        "    first difference at line {} (expected {} lines, got {}):\n    expected:\n{}\n    got:\n{}",
        at + 1,
        exp.len(),
        act.len(),
        excerpt(&exp),
        excerpt(&act)
    )
}

/// Panics with every collected failure, or returns when there are none.
pub fn report(what: &str, checked: usize, failures: &[String]) {
    assert!(
        failures.is_empty(),
        "{} of {checked} {what} failed:\n\n{}\n",
        failures.len(),
        failures.join("\n\n")
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn job_names_strip_the_job_suffix_only() {
        assert_eq!(job_name("example.nomad.hcl"), Some("example"));
        assert_eq!(job_name("pinger.json"), Some("pinger"));
        assert_eq!(job_name("pinger.json.golden"), None);
        assert_eq!(job_name("search-api.vars"), None);
        assert_eq!(job_name("billing.values.hcl"), None);
        assert_eq!(job_name(".json"), None);
    }

    #[test]
    fn sidecar_lines_split_into_flag_and_value() {
        let text = "# extra args\n-var replicas=3\n\n-var-file  values.hcl\n-var=name=a b\n-var title=a b\n";
        assert_eq!(
            parse_sidecar_args(text),
            vec![
                "-var",
                "replicas=3",
                "-var-file",
                "values.hcl",
                "-var=name=a b",
                "-var",
                "title=a b"
            ]
        );
    }

    #[test]
    fn first_difference_points_at_the_first_changed_line() {
        let report = first_difference("a\nb\nc\n", "a\nB\nc\n");
        assert!(report.contains("first difference at line 2"), "{report}");
        assert!(report.contains(">    2 | b"), "{report}");
        assert!(report.contains(">    2 | B"), "{report}");
    }

    #[test]
    fn first_difference_notices_a_missing_final_newline() {
        let report = first_difference("a\n", "a");
        assert!(report.contains("final newline"), "{report}");
    }

    #[test]
    fn excerpts_are_cut_short() {
        let long: String = (0..40).map(|i| format!("line {i}\n")).collect();
        let excerpt = indent_excerpt(&long);
        assert!(excerpt.contains("| line 0"));
        assert!(!excerpt.contains("| line 20"));
        assert!(excerpt.contains("25 more lines"));
    }
}
