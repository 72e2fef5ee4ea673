//! Every kind of mistake is one line naming the exact line and column.

use super::super::{JobspecError, ParseOptions, Pos, parse_file, parse_str};
use super::error;

#[test]
fn unknown_block() {
    let src = "job \"j\" {\n  group \"g\" {\n    tsak \"t\" {\n    }\n  }\n}\n";
    assert_eq!(
        error(src),
        "job.nomad.hcl:3:5: Unsupported block type; blocks of type \"tsak\" are not expected here"
    );
    assert_eq!(
        error("jobb \"j\" {\n}\n"),
        "job.nomad.hcl:1:1: Unsupported block type; blocks of type \"jobb\" are not expected here"
    );
}

#[test]
fn unknown_attribute() {
    let src = "job \"j\" {\n  group \"g\" {\n    task \"t\" {\n      driver = \"exec\"\n      foo    = 1\n    }\n  }\n}\n";
    assert_eq!(
        error(src),
        "job.nomad.hcl:5:7: Unsupported argument; an argument named \"foo\" is not expected here"
    );
    // A block written as an attribute gets a hint.
    assert_eq!(
        error("job \"j\" {\n  update = {}\n}\n"),
        "job.nomad.hcl:2:3: Unsupported argument; an argument named \"update\" is not expected here; did you mean to define a block of type \"update\"?"
    );
    assert_eq!(
        error("region = \"x\"\njob \"j\" {\n}\n"),
        "job.nomad.hcl:1:1: Unsupported argument; an argument named \"region\" is not expected here"
    );
}

#[test]
fn wrong_type_points_at_the_value() {
    let src = "job \"j\" {\n  group \"g\" {\n    count = \"three\"\n  }\n}\n";
    assert_eq!(
        error(src),
        "job.nomad.hcl:3:13: Incorrect attribute value type; inappropriate value for attribute \"count\": a number is required"
    );
    assert_eq!(
        error("job \"j\" {\n  datacenters = \"dc1\"\n}\n"),
        "job.nomad.hcl:2:17: Incorrect attribute value type; inappropriate value for attribute \"datacenters\": a list of strings is required"
    );
    assert_eq!(
        error("job \"j\" {\n  all_at_once = \"sometimes\"\n}\n"),
        "job.nomad.hcl:2:17: Incorrect attribute value type; inappropriate value for attribute \"all_at_once\": a bool is required"
    );
    assert_eq!(
        error("job \"j\" {\n  group \"g\" {\n    meta {\n      a = [1]\n    }\n  }\n}\n"),
        "job.nomad.hcl:4:7: Incorrect attribute value type; inappropriate value for attribute \"a\": a string is required"
    );
}

#[test]
fn wrong_type_in_map_attributes() {
    assert_eq!(
        error("job \"j\" {\n  meta = {\n    a = [1]\n  }\n}\n"),
        "job.nomad.hcl:2:10: Incorrect attribute value type; inappropriate value for attribute \"meta\": a map of strings is required"
    );
    let src = "job \"j\" {\n  group \"g\" {\n    task \"t\" {\n      config = [1]\n    }\n  }\n}\n";
    assert_eq!(
        error(src),
        "job.nomad.hcl:4:16: Incorrect attribute value type; inappropriate value for attribute \"config\": an object is required"
    );
}

#[test]
fn bad_duration() {
    let src = "job \"j\" {\n  group \"g\" {\n    task \"t\" {\n      kill_timeout = \"10x\"\n    }\n  }\n}\n";
    assert_eq!(
        error(src),
        "job.nomad.hcl:4:22: Invalid duration \"10x\" for attribute \"kill_timeout\": unknown unit \"x\" in duration \"10x\""
    );
    assert!(
        error("job \"j\" {\n  update {\n    stagger = \"30\"\n  }\n}\n")
            .starts_with("job.nomad.hcl:3:15: Invalid duration \"30\"")
    );
}

#[test]
fn syntax_errors_have_positions() {
    let e = error("job \"j\" {\n  group \"g\" {\n    count = \n  }\n}\n");
    assert!(e.starts_with("job.nomad.hcl:3:"), "{e}");
    assert!(e.contains("Invalid HCL syntax"), "{e}");
    assert!(!e.contains('\n'), "{e}");
    let e = error("job \"j\" {\n  group \"g\" {\n    count = 1\n");
    assert!(e.starts_with("job.nomad.hcl:"), "{e}");
    assert!(!e.contains('\n'), "{e}");
}

#[test]
fn labels_and_duplicates() {
    assert_eq!(
        error("job {\n}\n"),
        "job.nomad.hcl:1:1: Invalid job block; a job block needs exactly one label (its ID), found 0"
    );
    assert_eq!(
        error("job \"j\" {\n  group {\n  }\n}\n"),
        "job.nomad.hcl:2:3: Invalid group block; a group block needs exactly one label (its name), found 0"
    );
    assert_eq!(
        error("job \"j\" {\n  update \"x\" {\n  }\n}\n"),
        "job.nomad.hcl:2:3: Extraneous label for update; no labels are expected for update blocks"
    );
    assert_eq!(
        error("job \"j\" {\n  group \"g\" {\n  }\n  group \"g\" {\n  }\n}\n"),
        "job.nomad.hcl:4:3: Duplicate group block; a group named \"g\" is already defined"
    );
    let src =
        "job \"j\" {\n  group \"g\" {\n    task \"t\" {\n    }\n    task \"t\" {\n    }\n  }\n}\n";
    assert_eq!(
        error(src),
        "job.nomad.hcl:5:5: Duplicate task block; a task named \"t\" is already defined"
    );
    assert_eq!(
        error("job \"j\" {\n  update {\n  }\n  update {\n  }\n}\n"),
        "job.nomad.hcl:4:3: Duplicate update block; only one update block is allowed here"
    );
    // The HCL parser itself refuses a repeated attribute.
    let e = error("job \"j\" {\n  type = \"batch\"\n  type = \"service\"\n}\n");
    assert!(
        e.starts_with("job.nomad.hcl:3:3: Invalid HCL syntax; "),
        "{e}"
    );
    assert!(e.contains("redefined attribute"), "{e}");
    assert_eq!(
        error("job \"j\" {\n  meta = {}\n  meta {\n  }\n}\n"),
        "job.nomad.hcl:3:3: Attribute redefined; the argument \"meta\" was already set"
    );
}

#[test]
fn job_block_count() {
    assert_eq!(
        error("variable \"x\" {\n  default = 1\n}\n"),
        "job.nomad.hcl: Missing job block; a job file must contain one job block"
    );
    assert_eq!(
        error("job \"a\" {\n}\njob \"b\" {\n}\n"),
        "job.nomad.hcl:3:1: Duplicate job block; only one job block is allowed per file"
    );
}

#[test]
fn hook_errors_name_the_block() {
    let src = "job \"j\" {\n  group \"g\" {\n    task \"t\" {\n      scaling \"disk\" {\n      }\n    }\n  }\n}\n";
    assert_eq!(
        error(src),
        "job.nomad.hcl:4:7: Invalid scaling block; task scaling blocks must be named \"cpu\" or \"mem\", not \"disk\""
    );
}

#[test]
fn functions_and_expressions() {
    assert_eq!(
        error("job \"j\" {\n  name = timestamp()\n}\n"),
        "job.nomad.hcl:2:10: Call to unknown function; there is no function named \"timestamp\""
    );
    let e = error("job \"j\" {\n  priority = 1 + \"x\"\n}\n");
    assert!(
        e.starts_with("job.nomad.hcl:2:14: Invalid expression; "),
        "{e}"
    );
    let e = error("job \"j\" {\n  name = upper(1, 2)\n}\n");
    assert!(
        e.starts_with("job.nomad.hcl:2:10: Invalid expression; "),
        "{e}"
    );
}

#[test]
fn error_positions_are_exposed() {
    let err = parse_str(
        "job \"j\" {\n  foo = 1\n}\n",
        "x.hcl",
        &ParseOptions::default(),
    )
    .err();
    assert_eq!(
        err.as_ref().and_then(JobspecError::pos),
        Some(Pos { line: 2, column: 3 })
    );
    assert!(matches!(err, Some(JobspecError::UnknownAttribute { .. })));
}

#[test]
fn missing_file() {
    let e = parse_file(
        std::path::Path::new("/nonexistent/nomad/job.hcl"),
        &ParseOptions::default(),
    )
    .err()
    .map(|e| e.to_string())
    .unwrap_or_default();
    assert!(e.starts_with("/nonexistent/nomad/job.hcl: "), "{e}");
    assert!(!e.contains('\n'));
}
