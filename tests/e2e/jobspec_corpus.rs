//! Runs the job-file corpus (`tests/jobspecs/`) through the built CLI.
//!
//! Valid files: `nomad job run -output` (plus the args in a `<name>.vars`
//! sidecar) must print exactly `<name>.json.golden`; feeding that output back
//! in must print it again unchanged; `nomad job validate` must succeed.
//! Set `UPDATE_GOLDEN=1` to write the golden files instead of comparing.
//!
//! Invalid files: both commands must exit 1 with only `Error: ` lines on
//! stderr, no panic, and a first line naming the position and wording given
//! in the file's `<name>.expect` sidecar (see `tests/jobspecs/README.md`).
//!
//! Each test loops over all files and reports every failing file at once.

use std::path::Path;

use crate::support::{
    CliOutput, JobFile, first_difference, invalid_dir, job_files, read, report, run_nomad,
    sidecar_args, valid_dir,
};

/// Environment switch that turns the golden comparison into a rewrite.
const UPDATE_GOLDEN: &str = "UPDATE_GOLDEN";

/// What `nomad job validate` prints for a good file.
const VALIDATE_OK: &str = "Job validation successful";

/// Texts that betray a Rust panic rather than a user-facing error.
const PANIC_MARKERS: [&str; 2] = ["panicked", "stack backtrace"];

fn updating_goldens() -> bool {
    std::env::var(UPDATE_GOLDEN).is_ok_and(|v| v == "1")
}

fn jobs_in(dir: &Path) -> Vec<JobFile> {
    job_files(dir).unwrap_or_else(|e| panic!("cannot list the corpus: {e}"))
}

/// Runs `check` on every job and fails once, listing every file that failed.
fn check_all(what: &str, jobs: &[JobFile], mut check: impl FnMut(&JobFile) -> Result<(), String>) {
    let failures: Vec<String> = jobs
        .iter()
        .filter_map(|job| check(job).err().map(|e| format!("{}: {e}", job.file_name)))
        .collect();
    report(what, jobs.len(), &failures);
}

#[test]
fn valid_jobs_match_their_golden_files() {
    check_all(
        "valid job files (golden output)",
        &jobs_in(&valid_dir()),
        check_golden,
    );
}

#[test]
fn canonical_output_reads_back_to_the_same_job() {
    let scratch = tempfile::tempdir().unwrap_or_else(|e| panic!("cannot create a temp dir: {e}"));
    check_all(
        "valid job files (JSON round trip)",
        &jobs_in(&valid_dir()),
        |job| check_round_trip(job, scratch.path()),
    );
}

#[test]
fn valid_jobs_pass_validate() {
    check_all(
        "valid job files (job validate)",
        &jobs_in(&valid_dir()),
        check_validate,
    );
}

#[test]
fn invalid_jobs_are_rejected_by_job_run() {
    check_all(
        "invalid job files (job run -output)",
        &jobs_in(&invalid_dir()),
        |job| check_rejected(job, &["job", "run", "-output"]),
    );
}

#[test]
fn invalid_jobs_are_rejected_by_job_validate() {
    check_all(
        "invalid job files (job validate)",
        &jobs_in(&invalid_dir()),
        |job| check_rejected(job, &["job", "validate"]),
    );
}

/// `nomad job run -output [sidecar args] <file>` for a valid job: its stdout,
/// checked to be the pretty `{"Job": {...}}` document the contract promises.
fn render(job: &JobFile) -> Result<String, String> {
    let mut args: Vec<String> = vec!["job".into(), "run".into(), "-output".into()];
    args.extend(sidecar_args(job)?);
    args.push(job.file_name.clone());
    let out = run_nomad(&valid_dir(), &args)?;
    if out.code != Some(0) {
        return Err(format!("`job run -output` failed\n{}", out.describe()));
    }
    check_job_document(&out.stdout).map_err(|e| format!("{e}\n{}", out.describe()))?;
    Ok(out.stdout)
}

/// Checks that `stdout` is `{"Job": {...}}`, pretty-printed with a 2-space
/// indent and a trailing newline.
fn check_job_document(stdout: &str) -> Result<(), String> {
    let value: serde_json::Value =
        serde_json::from_str(stdout).map_err(|e| format!("stdout is not JSON: {e}"))?;
    let wrapped = value
        .as_object()
        .is_some_and(|o| o.len() == 1 && o.get("Job").is_some_and(|j| j.is_object()));
    if !wrapped {
        return Err("stdout is not a single {\"Job\": {...}} object".into());
    }
    if !stdout.ends_with('\n') {
        return Err("stdout does not end with a newline".into());
    }
    if stdout.lines().nth(1) != Some("  \"Job\": {") {
        return Err("stdout is not pretty-printed with a 2-space indent".into());
    }
    Ok(())
}

fn check_golden(job: &JobFile) -> Result<(), String> {
    let output = render(job)?;
    let golden = job.sidecar(".json.golden");
    if updating_goldens() {
        return std::fs::write(&golden, &output)
            .map_err(|e| format!("cannot write {}: {e}", golden.display()));
    }
    if !golden.exists() {
        return Err(format!(
            "no golden file {}; review the output, then create it with \
             `{UPDATE_GOLDEN}=1 cargo test --test e2e`",
            golden.display()
        ));
    }
    let expected = read(&golden)?;
    if expected != output {
        return Err(format!(
            "output differs from {}\n{}",
            golden.display(),
            first_difference(&expected, &output)
        ));
    }
    Ok(())
}

fn check_round_trip(job: &JobFile, scratch: &Path) -> Result<(), String> {
    let first = render(job)?;
    let copy_name = format!("{}.json", job.name);
    let copy = scratch.join(&copy_name);
    std::fs::write(&copy, &first).map_err(|e| format!("cannot write {}: {e}", copy.display()))?;
    let again = run_nomad(scratch, &["job", "run", "-output", copy_name.as_str()])?;
    if again.code != Some(0) {
        return Err(format!(
            "`job run -output` rejected its own output\n{}",
            again.describe()
        ));
    }
    if again.stdout != first {
        return Err(format!(
            "reading the output back changed the job\n{}",
            first_difference(&first, &again.stdout)
        ));
    }
    Ok(())
}

fn check_validate(job: &JobFile) -> Result<(), String> {
    let mut args: Vec<String> = vec!["job".into(), "validate".into()];
    args.extend(sidecar_args(job)?);
    args.push(job.file_name.clone());
    let out = run_nomad(&valid_dir(), &args)?;
    if out.code != Some(0) || !out.stdout.contains(VALIDATE_OK) {
        return Err(format!(
            "`job validate` did not print `{VALIDATE_OK}` and exit 0\n{}",
            out.describe()
        ));
    }
    Ok(())
}

fn check_rejected(job: &JobFile, subcommand: &[&str]) -> Result<(), String> {
    let expect_path = job.sidecar(".expect");
    let expectation = Expectation::parse(&read(&expect_path)?)
        .map_err(|e| format!("{}: {e}", expect_path.display()))?;
    let mut args = subcommand.to_vec();
    args.push(job.file_name.as_str());
    let out = run_nomad(&invalid_dir(), &args)?;
    let problems = rejection_problems(&job.file_name, &expectation, &out);
    if problems.is_empty() {
        return Ok(());
    }
    Err(format!("{}\n{}", problems.join("; "), out.describe()))
}

/// The contents of an `.expect` sidecar: where the first error must point and
/// a word its message must contain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Expectation {
    /// `(line, column)`, both 1-based; `None` when no position is knowable.
    pub position: Option<(u32, u32)>,
    /// Matched case-insensitively against the message.
    pub needle: String,
}

impl Expectation {
    /// Parses `line:col` (or `-`) on the first line and the needle on the second.
    pub fn parse(text: &str) -> Result<Self, String> {
        let mut lines = text.lines().map(str::trim);
        let position = match lines.next() {
            Some("-") => None,
            Some(pos) => {
                let parsed = pos
                    .split_once(':')
                    .and_then(|(l, c)| Some((l.parse().ok()?, c.parse().ok()?)))
                    .filter(|&(l, c)| l > 0 && c > 0);
                Some(parsed.ok_or_else(|| format!("first line `{pos}` is not `line:col` or `-`"))?)
            }
            None => return Err("empty; want `line:col` (or `-`) and a word".into()),
        };
        let needle = lines.next().unwrap_or_default().to_owned();
        if needle.is_empty() {
            return Err("second line (the word the message must contain) is missing".into());
        }
        if lines.any(|l| !l.is_empty()) {
            return Err("more than two lines".into());
        }
        Ok(Self { position, needle })
    }
}

/// Everything wrong with how the CLI rejected `file_name`; empty when the
/// rejection is as the contract and the expectation say.
pub fn rejection_problems(file_name: &str, expect: &Expectation, out: &CliOutput) -> Vec<String> {
    let mut problems = Vec::new();
    if out.code != Some(1) {
        problems.push(format!("exit code {:?}, want 1", out.code));
    }
    for (stream, text) in [("stdout", &out.stdout), ("stderr", &out.stderr)] {
        let lower = text.to_lowercase();
        if PANIC_MARKERS.iter().any(|m| lower.contains(m)) {
            problems.push(format!("{stream} shows a panic or backtrace"));
        }
    }
    if out.stdout.contains("\"Job\"") || out.stdout.contains(VALIDATE_OK) {
        problems.push("stdout shows a job or success although the file is invalid".into());
    }
    let lines: Vec<&str> = out.stderr.lines().collect();
    let Some(first) = lines.first() else {
        problems.push("nothing on stderr".into());
        return problems;
    };
    if let Some((n, line)) = lines
        .iter()
        .enumerate()
        .find(|(_, l)| !l.starts_with("Error: "))
    {
        problems.push(format!(
            "stderr line {} does not start with `Error: `: `{line}`",
            n + 1
        ));
    }
    let message = match expect.position {
        Some((line, col)) => {
            let marker = format!("{file_name}:{line}:{col}:");
            match first.split_once(&marker) {
                Some((_, message)) => message,
                None => {
                    problems.push(format!("first stderr line does not name `{marker}`"));
                    first
                }
            }
        }
        None => {
            let marker = format!("{file_name}:");
            match first.split_once(&marker) {
                Some((_, rest)) if rest.starts_with(|c: char| c.is_ascii_digit()) => {
                    problems.push(format!(
                        "first stderr line names a position after `{marker}`, but none is knowable"
                    ));
                    rest
                }
                Some((_, rest)) => rest,
                None => {
                    problems.push(format!("first stderr line does not name `{file_name}`"));
                    first
                }
            }
        }
    };
    if !message
        .to_lowercase()
        .contains(&expect.needle.to_lowercase())
    {
        problems.push(format!(
            "first stderr line's message does not mention `{}`",
            expect.needle
        ));
    }
    problems
}

#[cfg(test)]
mod tests {
    use super::*;

    fn output(code: Option<i32>, stdout: &str, stderr: &str) -> CliOutput {
        CliOutput {
            command: "nomad job run -output x.nomad.hcl".into(),
            code,
            stdout: stdout.into(),
            stderr: stderr.into(),
        }
    }

    fn at(line: u32, col: u32, needle: &str) -> Expectation {
        Expectation {
            position: Some((line, col)),
            needle: needle.into(),
        }
    }

    #[test]
    fn expectations_parse_positions_and_dashes() {
        assert_eq!(Expectation::parse("4:13\ncount\n"), Ok(at(4, 13, "count")));
        assert_eq!(
            Expectation::parse("-\njob"),
            Ok(Expectation {
                position: None,
                needle: "job".into()
            })
        );
        assert!(Expectation::parse("4\ncount").is_err());
        assert!(Expectation::parse("0:3\ncount").is_err());
        assert!(Expectation::parse("4:13\n").is_err());
        assert!(Expectation::parse("4:13\ncount\nextra").is_err());
    }

    #[test]
    fn a_well_formed_rejection_has_no_problems() {
        let out = output(
            Some(1),
            "",
            "Error: x.nomad.hcl:4:5: count must be a number\nError: x.nomad.hcl:9:3: other\n",
        );
        assert_eq!(
            rejection_problems("x.nomad.hcl", &at(4, 5, "COUNT"), &out),
            Vec::<String>::new()
        );
    }

    #[test]
    fn a_positionless_rejection_must_not_invent_a_position() {
        let expect = Expectation {
            position: None,
            needle: "job".into(),
        };
        let good = output(Some(1), "", "Error: x.nomad.hcl: no job block found\n");
        assert!(rejection_problems("x.nomad.hcl", &expect, &good).is_empty());
        let bad = output(Some(1), "", "Error: x.nomad.hcl:1:1: no job block found\n");
        let problems = rejection_problems("x.nomad.hcl", &expect, &bad);
        assert_eq!(problems.len(), 1, "{problems:?}");
        assert!(problems[0].contains("none is knowable"));
    }

    #[test]
    fn wrong_position_wording_and_exit_code_are_all_reported() {
        let out = output(Some(2), "", "Error: x.nomad.hcl:4:7: bad value\n");
        let problems = rejection_problems("x.nomad.hcl", &at(4, 5, "count"), &out);
        assert_eq!(problems.len(), 3, "{problems:?}");
        assert!(problems[0].contains("exit code"));
        assert!(problems[1].contains("x.nomad.hcl:4:5:"));
        assert!(problems[2].contains("`count`"));
    }

    #[test]
    fn the_needle_is_not_matched_against_the_file_name() {
        let out = output(Some(1), "", "Error: bad-json.json:12:11: trailing comma\n");
        let problems = rejection_problems("bad-json.json", &at(12, 11, "json"), &out);
        assert_eq!(problems.len(), 1, "{problems:?}");
    }

    #[test]
    fn panics_stray_lines_and_silence_are_caught() {
        let panic = output(
            Some(101),
            "",
            "thread 'main' panicked at src/main.rs:1:1:\nboom\n",
        );
        let problems = rejection_problems("x.nomad.hcl", &at(1, 1, "boom"), &panic);
        assert!(problems.iter().any(|p| p.contains("panic")), "{problems:?}");
        assert!(
            problems.iter().any(|p| p.contains("line 1")),
            "{problems:?}"
        );

        let silent = output(Some(1), "", "");
        let problems = rejection_problems("x.nomad.hcl", &at(1, 1, "x"), &silent);
        assert_eq!(problems, vec!["nothing on stderr".to_owned()]);

        let success = output(Some(1), "{\"Job\": {}}\n", "Error: x.nomad.hcl:1:1: x\n");
        let problems = rejection_problems("x.nomad.hcl", &at(1, 1, "x"), &success);
        assert_eq!(problems.len(), 1, "{problems:?}");
    }

    #[test]
    fn job_documents_must_be_wrapped_pretty_and_newline_terminated() {
        assert!(check_job_document("{\n  \"Job\": {\n    \"ID\": \"a\"\n  }\n}\n").is_ok());
        assert!(check_job_document("{\"Job\": {\"ID\": \"a\"}}\n").is_err());
        assert!(check_job_document("{\n  \"Job\": {\n    \"ID\": \"a\"\n  }\n}").is_err());
        assert!(check_job_document("{\n  \"ID\": \"a\"\n}\n").is_err());
        assert!(check_job_document("not json").is_err());
    }
}
