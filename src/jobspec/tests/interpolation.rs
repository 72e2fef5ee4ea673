//! Runtime interpolations (`${attr.*}`, `${node.*}`, `${meta.*}`, `${NOMAD_*}`, `${env[...]}`)
//! reach the JSON exactly as written; `var`/`local` parts next to them are evaluated.

use super::{task, value};
use serde_json::json;

#[test]
fn runtime_interpolations_are_kept_verbatim() {
    let t = task(
        r#"
      driver = "raw_exec"
      config {
        command = "${NOMAD_TASK_DIR}/run.sh"
        args    = [
          "--node", "${node.unique.name}",
          "--rack", "${meta.rack}",
          "--kernel", "${attr.kernel.name}",
          "--home", "${env["HOME"]}",
          "--alloc", "${NOMAD_ALLOC_INDEX}-${NOMAD_ALLOC_ID}",
        ]
      }
      env {
        ADDR = "${NOMAD_IP_http}:${NOMAD_PORT_http}"
      }
"#,
    );
    assert_eq!(t["Config"]["command"], json!("${NOMAD_TASK_DIR}/run.sh"));
    assert_eq!(
        t["Config"]["args"],
        json!([
            "--node",
            "${node.unique.name}",
            "--rack",
            "${meta.rack}",
            "--kernel",
            "${attr.kernel.name}",
            "--home",
            "${env[\"HOME\"]}",
            "--alloc",
            "${NOMAD_ALLOC_INDEX}-${NOMAD_ALLOC_ID}"
        ])
    );
    assert_eq!(
        t["Env"]["ADDR"],
        json!("${NOMAD_IP_http}:${NOMAD_PORT_http}")
    );
}

#[test]
fn mixed_templates_evaluate_only_variables() {
    let v = value(
        r#"
variable "app" {
  default = "shop"
}
locals {
  dir = "/srv/${var.app}"
}
job "j" {
  meta {
    path = "${local.dir}/${node.unique.name}/${var.app}"
  }
  constraint {
    attribute = "${meta.rack}-${var.app}"
    value     = "${var.app == "shop" ? attr.x : "y"}"
  }
}
"#,
    );
    assert_eq!(
        v["Meta"]["path"],
        json!("/srv/shop/${node.unique.name}/shop")
    );
    assert_eq!(v["Constraints"][0]["LTarget"], json!("${meta.rack}-shop"));
    // An interpolation that refers to `attr` anywhere stays as written, `var` parts included.
    assert_eq!(
        v["Constraints"][0]["RTarget"],
        json!("${var.app == \"shop\" ? attr.x : \"y\"}")
    );
}

#[test]
fn escapes_and_heredocs() {
    let t = task(
        r#"
      template {
        data = <<EOH
addr={{ env "NOMAD_ADDR_db" }}
node=${node.unique.id}
literal=$${var.not_a_var}
EOH
        destination = "local/x"
      }
      env {
        QUOTED = "say \"hi\"\tnow"
      }
"#,
    );
    assert_eq!(
        t["Templates"][0]["EmbeddedTmpl"],
        json!(
            "addr={{ env \"NOMAD_ADDR_db\" }}\nnode=${node.unique.id}\nliteral=${var.not_a_var}\n"
        )
    );
    assert_eq!(t["Env"]["QUOTED"], json!("say \"hi\"\tnow"));
}

#[test]
fn template_directives_with_variables_are_evaluated() {
    let v = value(
        r#"
variable "hosts" {
  type    = list(string)
  default = ["a", "b"]
}
job "j" {
  meta {
    list = "%{ for h in var.hosts }${h};%{ endfor }"
    mode = "%{ if length(var.hosts) > 1 }multi%{ else }single%{ endif }"
  }
}
"#,
    );
    assert_eq!(v["Meta"], json!({"list": "a;b;", "mode": "multi"}));
}
