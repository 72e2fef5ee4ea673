//! HCL2 variables and locals: defaults, `-var`, `-var-file`, `NOMAD_VAR_*`, precedence, types,
//! validation, and the errors for missing and undeclared variables.

use super::super::ParseOptions;
use super::super::hclfile::to_json_with_env;
use super::{error, error_with, value, value_with};
use serde_json::{Value, json};
use std::path::PathBuf;

const JOB: &str = r#"
variable "image" {
  type        = string
  description = "Container image"
  default     = "redis:7"
}

variable "count" {
  type    = number
  default = 1
}

variable "dcs" {
  type    = list(string)
  default = ["dc1"]
}

locals {
  name   = "cache-${var.image}"
  labels = { app = local.short }
  short  = upper(split(":", var.image)[0])
}

job "j" {
  datacenters = var.dcs
  meta {
    name  = local.name
    label = local.labels.app
  }
  group "g" {
    count = var.count
    task "t" {
      driver = "docker"
      config {
        image = var.image
      }
    }
  }
}
"#;

fn opts(vars: &[&str], files: Vec<PathBuf>) -> ParseOptions {
    ParseOptions {
        vars: vars.iter().map(|s| s.to_string()).collect(),
        var_files: files,
        env_vars: false,
    }
}

fn summary(v: &Value) -> Value {
    json!({
        "dcs": v["Datacenters"],
        "count": v["TaskGroups"][0]["Count"],
        "image": v["TaskGroups"][0]["Tasks"][0]["Config"]["image"],
        "name": v["Meta"]["name"],
        "label": v["Meta"]["label"],
    })
}

/// Parses [`JOB`] with `opts` and `env` as the environment.
fn with_env(opts: &ParseOptions, env: &[(&str, &str)]) -> Value {
    let lookup = |name: &str| {
        env.iter()
            .find(|(k, _)| *k == name)
            .map(|(_, v)| v.to_string())
    };
    match to_json_with_env(JOB, "job.nomad.hcl", opts, &lookup) {
        Ok((v, _)) => summary(&v),
        Err(e) => panic!("job should parse: {e}"),
    }
}

#[test]
fn defaults_and_locals() {
    assert_eq!(
        summary(&value(JOB)),
        json!({"dcs": ["dc1"], "count": 1, "image": "redis:7", "name": "cache-redis:7", "label": "REDIS"})
    );
}

#[test]
fn command_line_values_are_converted_to_the_declared_type() {
    let v = value_with(
        JOB,
        &opts(&["count=3", "image=nginx:1", "dcs=[\"a\", \"b\"]"], vec![]),
    );
    assert_eq!(
        summary(&v),
        json!({"dcs": ["a", "b"], "count": 3, "image": "nginx:1", "name": "cache-nginx:1", "label": "NGINX"})
    );
    // A value may itself contain '='.
    let v = value_with(JOB, &opts(&["image=img:a=b"], vec![]));
    assert_eq!(summary(&v)["image"], json!("img:a=b"));
}

#[test]
fn var_files_and_precedence() {
    let dir = tempfile::tempdir().expect("temp dir");
    let first = dir.path().join("a.vars");
    let second = dir.path().join("b.vars.json");
    std::fs::write(&first, "count = 2\nimage = \"a:1\"\nunused = true\n").expect("write");
    std::fs::write(&second, "{\"count\": \"4\"}").expect("write");

    let v = value_with(JOB, &opts(&[], vec![first.clone()]));
    assert_eq!(summary(&v)["count"], json!(2));
    assert_eq!(summary(&v)["image"], json!("a:1"));
    // Later files win; -var beats files; files beat the environment.
    let o = opts(&[], vec![first.clone(), second.clone()]);
    assert_eq!(summary(&value_with(JOB, &o))["count"], json!(4));
    let o = opts(&["count=9"], vec![first.clone(), second]);
    assert_eq!(summary(&value_with(JOB, &o))["count"], json!(9));
    let mut o = opts(&[], vec![first]);
    o.env_vars = true;
    let env = [("NOMAD_VAR_count", "7"), ("NOMAD_VAR_dcs", "[\"e1\"]")];
    let s = with_env(&o, &env);
    assert_eq!(s["count"], json!(2));
    assert_eq!(s["dcs"], json!(["e1"]));
}

#[test]
fn environment_only_when_asked() {
    let env = [("NOMAD_VAR_image", "env:1")];
    let mut o = opts(&[], vec![]);
    assert_eq!(with_env(&o, &env)["image"], json!("redis:7"));
    o.env_vars = true;
    assert_eq!(with_env(&o, &env)["image"], json!("env:1"));
}

#[test]
fn missing_required_variable() {
    let src =
        "variable \"region\" {\n  type = string\n}\n\njob \"j\" {\n  region = var.region\n}\n";
    assert_eq!(
        error(src),
        "job.nomad.hcl:1:1: Required variable not set; the variable \"region\" has no default and no value was given (use -var, -var-file or NOMAD_VAR_region)"
    );
    let v = value_with(src, &opts(&["region=west"], vec![]));
    assert_eq!(v["Region"], json!("west"));
}

#[test]
fn undeclared_variables() {
    let src = "job \"j\" {\n  group \"g\" {\n    count = var.nope\n  }\n}\n";
    assert_eq!(
        error(src),
        "job.nomad.hcl:3:13: Unknown variable; there is no variable named \"nope\""
    );
    assert_eq!(
        error_with("job \"j\" {\n}\n", &opts(&["nope=1"], vec![])),
        "job.nomad.hcl: Undefined -var variable; a \"nope\" variable was passed on the command line but is not declared in the job file"
    );
    assert_eq!(
        error_with("job \"j\" {\n}\n", &opts(&["nope"], vec![])),
        "job.nomad.hcl: Invalid -var \"nope\"; the value must be of the form name=value"
    );
    let src = "locals {\n  a = local.b\n}\njob \"j\" {\n}\n";
    assert_eq!(
        error(src),
        "job.nomad.hcl:2:7: Unknown variable; there is no variable named \"local.b\""
    );
}

#[test]
fn bad_values_and_types() {
    assert_eq!(
        error_with(JOB, &opts(&["count=many"], vec![])),
        "job.nomad.hcl: Invalid value for variable \"count\"; a number is required"
    );
    let src = "variable \"n\" {\n  type    = number\n  default = \"x\"\n}\njob \"j\" {\n}\n";
    assert_eq!(
        error(src),
        "job.nomad.hcl:3:13: Invalid value for variable \"n\"; invalid default: a number is required"
    );
    let src = "variable \"n\" {\n  type = strng\n}\njob \"j\" {\n}\n";
    assert!(
        error(src)
            .starts_with("job.nomad.hcl:2:10: Invalid value for variable \"n\"; invalid type")
    );
    let src = "variable \"n\" {\n  default = var.m\n}\njob \"j\" {\n}\n";
    assert!(error(src).contains("no variable named \"m\""));
}

#[test]
fn validation_rules() {
    let src = r#"
variable "count" {
  type    = number
  default = 3
  validation {
    condition     = var.count > 0 && var.count < 10
    error_message = "count must be between 1 and 9"
  }
}
job "j" {
}
"#;
    assert_eq!(value(src)["ID"], json!("j"));
    assert_eq!(
        error_with(src, &opts(&["count=12"], vec![])),
        "job.nomad.hcl:6:21: Invalid value for variable; count must be between 1 and 9"
    );
}

#[test]
fn locals_cycles_and_duplicates() {
    let src = "locals {\n  a = local.b\n  b = local.a\n}\njob \"j\" {\n}\n";
    assert!(error(src).starts_with("job.nomad.hcl:2:3: Cycle in local values"));
    let src = "locals {\n  a = 1\n}\nlocals {\n  a = 2\n}\njob \"j\" {\n}\n";
    assert!(error(src).starts_with("job.nomad.hcl:5:3: Duplicate local value definition"));
    let src = "variable \"a\" {\n}\nvariable \"a\" {\n}\njob \"j\" {\n}\n";
    assert!(error(src).starts_with("job.nomad.hcl:3:1: Duplicate variable declaration"));
}
