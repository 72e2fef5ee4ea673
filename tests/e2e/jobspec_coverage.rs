//! Checks the job-file corpus itself rather than the CLI: that it is large
//! enough, that its valid files exercise every part of the job specification
//! the project promises to support, and that its sidecar files (`.vars`,
//! `.expect`, `.json.golden`, variable files) all belong to a job file.
//!
//! Coverage is a text search over the HCL files: a block or attribute counts
//! as covered when some line starts with its name.

use std::collections::BTreeSet;
use std::path::PathBuf;

use crate::jobspec_corpus::Expectation;
use crate::support::{
    JobFile, invalid_dir, job_files, job_name, list_dir, parse_sidecar_args, read, valid_dir,
};

const MIN_VALID_HCL: usize = 32;
const MIN_INVALID: usize = 22;

/// Block and attribute names that must each start a line of some valid file.
const REQUIRED_KEYS: &[&str] = &[
    // structure
    "job",
    "group",
    "task",
    "config",
    "driver",
    "count",
    // resources
    "resources",
    "cpu",
    "cores",
    "memory",
    "memory_max",
    "device",
    // networking
    "network",
    "port",
    "static",
    "to",
    "host_network",
    "dns",
    // placement
    "constraint",
    "affinity",
    "spread",
    "target",
    "percent",
    // lifecycle of allocations
    "update",
    "migrate",
    "restart",
    "reschedule",
    "delay_function",
    // periodic and parameterized jobs
    "periodic",
    "cron",
    "crons",
    "prohibit_overlap",
    "time_zone",
    "parameterized",
    "payload",
    "meta_required",
    "meta_optional",
    "dispatch_payload",
    // services
    "service",
    "check",
    "check_restart",
    // task contents
    "template",
    "data",
    "source",
    "destination",
    "change_mode",
    "artifact",
    "options",
    "env",
    "meta",
    "logs",
    "ephemeral_disk",
    "lifecycle",
    "hook",
    "sidecar",
    "volume",
    "volume_mount",
    "kill_timeout",
    "kill_signal",
    "shutdown_delay",
    "user",
    "leader",
    "scaling",
    // HCL2
    "variable",
    "default",
    "locals",
];

/// `key = value` settings that must each appear in some valid file.
const REQUIRED_SETTINGS: &[(&str, &str)] = &[
    ("type", "service"),
    ("type", "batch"),
    ("type", "system"),
    ("type", "sysbatch"),
    ("driver", "raw_exec"),
    ("driver", "exec"),
    ("driver", "docker"),
    ("operator", "distinct_hosts"),
    ("operator", "distinct_property"),
    ("type", "http"),
    ("type", "tcp"),
    ("type", "script"),
    ("hook", "prestart"),
    ("hook", "poststart"),
    ("hook", "poststop"),
    ("sidecar", "true"),
    ("env", "true"),
];

/// How many different constraint/affinity operators the corpus must use.
const MIN_OPERATORS: usize = 6;

/// Text that must appear somewhere: runtime interpolations and HCL2 references.
const REQUIRED_SNIPPETS: &[&str] = &[
    "${attr.", "${node.", "${meta.", "${NOMAD_", "var.", "local.",
];

/// Lines of `nomad job init`'s example, after collapsing blanks.
const JOB_INIT_LINES: &[&str] = &[
    "job \"example\" {",
    "group \"cache\" {",
    "port \"db\" {",
    "to = 6379",
    "task \"redis\" {",
    "driver = \"docker\"",
];

fn jobs(dir: PathBuf) -> Vec<JobFile> {
    job_files(&dir).unwrap_or_else(|e| panic!("cannot list the corpus: {e}"))
}

fn text_of(job: &JobFile) -> String {
    read(&job.path).unwrap_or_else(|e| panic!("{e}"))
}

/// The valid HCL files' texts, by file name.
fn valid_hcl() -> Vec<(String, String)> {
    jobs(valid_dir())
        .into_iter()
        .filter(|job| !job.is_json())
        .map(|job| {
            let text = text_of(&job);
            (job.file_name, text)
        })
        .collect()
}

/// The key of a line that opens an attribute (`key = ...`) or a block
/// (`key {`, `key "label" {`).
fn line_key(line: &str) -> Option<&str> {
    let line = line.trim_start();
    let end = line
        .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == '-'))
        .unwrap_or(line.len());
    let (key, rest) = line.split_at(end);
    let rest = rest.trim_start();
    let opens = (rest.starts_with('=') && !rest.starts_with("=="))
        || rest.starts_with('{')
        || rest.starts_with('"');
    (!key.is_empty() && opens).then_some(key)
}

/// `(key, value)` of an attribute line, the value without surrounding quotes.
fn setting(line: &str) -> Option<(&str, &str)> {
    let key = line_key(line)?;
    let rest = line.trim_start()[key.len()..].trim_start();
    let value = rest.strip_prefix('=')?.trim().trim_matches('"');
    Some((key, value))
}

#[test]
fn corpus_has_enough_files() {
    let valid = valid_hcl().len();
    let invalid = jobs(invalid_dir()).len();
    assert!(
        valid >= MIN_VALID_HCL,
        "only {valid} valid .nomad.hcl files, want at least {MIN_VALID_HCL}"
    );
    assert!(
        invalid >= MIN_INVALID,
        "only {invalid} invalid job files, want at least {MIN_INVALID}"
    );
}

#[test]
fn corpus_covers_the_job_specification() {
    let files = valid_hcl();
    let lines = || files.iter().flat_map(|(_, text)| text.lines());
    let keys: BTreeSet<&str> = lines().filter_map(line_key).collect();
    let settings: BTreeSet<(&str, &str)> = lines().filter_map(setting).collect();
    let mut missing = Vec::new();
    for key in REQUIRED_KEYS {
        if !keys.contains(key) {
            missing.push(format!("block or attribute `{key}`"));
        }
    }
    for (key, value) in REQUIRED_SETTINGS {
        if !settings.contains(&(*key, *value)) {
            missing.push(format!("setting `{key} = \"{value}\"`"));
        }
    }
    let operators: BTreeSet<&str> = settings
        .iter()
        .filter(|(key, _)| *key == "operator")
        .map(|(_, value)| *value)
        .collect();
    if operators.len() < MIN_OPERATORS {
        missing.push(format!(
            "at least {MIN_OPERATORS} different operators (found {operators:?})"
        ));
    }
    for snippet in REQUIRED_SNIPPETS {
        if !files.iter().any(|(_, text)| text.contains(snippet)) {
            missing.push(format!("text `{snippet}`"));
        }
    }
    let has_job_init = files.iter().any(|(_, text)| {
        let collapsed: Vec<String> = text
            .lines()
            .map(|l| l.split_whitespace().collect::<Vec<_>>().join(" "))
            .collect();
        JOB_INIT_LINES
            .iter()
            .all(|want| collapsed.iter().any(|l| l == want))
    });
    if !has_job_init {
        missing.push("the `nomad job init` example (job \"example\", group \"cache\", ...)".into());
    }
    assert!(
        missing.is_empty(),
        "the valid corpus lacks:\n  {}",
        missing.join("\n  ")
    );
}

#[test]
fn json_jobs_come_with_and_without_the_job_wrapper() {
    let mut wrapped = 0;
    let mut bare = 0;
    for job in jobs(valid_dir()).iter().filter(|job| job.is_json()) {
        let value: serde_json::Value = serde_json::from_str(&text_of(job))
            .unwrap_or_else(|e| panic!("{} is not JSON: {e}", job.file_name));
        if value.get("Job").is_some() {
            wrapped += 1;
        } else if value.get("ID").is_some() {
            bare += 1;
        } else {
            panic!("{} has neither a `Job` wrapper nor an `ID`", job.file_name);
        }
    }
    assert!(
        wrapped > 0,
        "no valid JSON job with the {{\"Job\": ...}} wrapper"
    );
    assert!(
        bare > 0,
        "no valid JSON job without the {{\"Job\": ...}} wrapper"
    );
}

#[test]
fn sidecars_pass_both_var_styles() {
    let mut var = false;
    let mut var_file = false;
    for job in jobs(valid_dir()) {
        let path = job.sidecar(".vars");
        if !path.exists() {
            continue;
        }
        let args = parse_sidecar_args(&read(&path).unwrap_or_else(|e| panic!("{e}")));
        var |= args.iter().any(|a| a == "-var" || a.starts_with("-var="));
        var_file |= args
            .iter()
            .any(|a| a == "-var-file" || a.starts_with("-var-file="));
    }
    assert!(var, "no valid job has a .vars sidecar with `-var`");
    assert!(
        var_file,
        "no valid job has a .vars sidecar with `-var-file`"
    );
}

#[test]
fn every_corpus_file_belongs_to_a_job() {
    let mut problems = Vec::new();
    for (dir, allowed) in [
        (valid_dir(), &[".vars", ".json.golden"][..]),
        (invalid_dir(), &[".expect"][..]),
    ] {
        let names: BTreeSet<String> = jobs(dir.clone()).into_iter().map(|j| j.name).collect();
        let mut var_files = BTreeSet::new();
        for name in &names {
            let vars = dir.join(format!("{name}.vars"));
            if let Ok(text) = read(&vars) {
                let args = parse_sidecar_args(&text);
                for pair in args.windows(2).filter(|p| p[0] == "-var-file") {
                    var_files.insert(pair[1].clone());
                }
            }
        }
        for path in list_dir(&dir).unwrap_or_else(|e| panic!("{e}")) {
            let file = path
                .file_name()
                .and_then(|f| f.to_str())
                .unwrap_or_default()
                .to_owned();
            if job_name(&file).is_some() || var_files.contains(&file) {
                continue;
            }
            let owner = allowed
                .iter()
                .find_map(|suffix| file.strip_suffix(suffix))
                .filter(|name| names.contains(*name));
            if owner.is_none() {
                problems.push(format!("{}: belongs to no job file", path.display()));
            }
        }
        for file in &var_files {
            if !dir.join(file).exists() {
                problems.push(format!("{}: named by -var-file but missing", file));
            }
        }
    }
    for job in jobs(invalid_dir()) {
        let path = job.sidecar(".expect");
        match read(&path) {
            Err(e) => problems.push(e),
            Ok(text) => {
                if let Err(e) = Expectation::parse(&text) {
                    problems.push(format!("{}: {e}", path.display()));
                }
            }
        }
    }
    assert!(
        problems.is_empty(),
        "corpus problems:\n  {}",
        problems.join("\n  ")
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_keys_are_attribute_and_block_names() {
        assert_eq!(line_key("  count = 3"), Some("count"));
        assert_eq!(line_key("    task \"web\" {"), Some("task"));
        assert_eq!(line_key("  network {"), Some("network"));
        assert_eq!(line_key("  port \"db\" {}"), Some("port"));
        assert_eq!(line_key("  # count = 3"), None);
        assert_eq!(line_key("  ]"), None);
        assert_eq!(line_key("  \"-c\", \"echo\","), None);
        assert_eq!(line_key("include = [\"a\"]"), Some("include"));
    }

    #[test]
    fn settings_strip_quotes() {
        assert_eq!(setting("  driver = \"docker\""), Some(("driver", "docker")));
        assert_eq!(setting("  sidecar   = true"), Some(("sidecar", "true")));
        assert_eq!(setting("  task \"web\" {"), None);
    }
}
