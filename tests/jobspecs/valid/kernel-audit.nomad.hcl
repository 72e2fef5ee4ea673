# Audits kernel settings on every node each Sunday night. A periodic
# sysbatch job: each launch runs once on all eligible clients.
job "kernel-audit" {
  type     = "sysbatch"
  priority = 30

  periodic {
    crons     = ["0 22 * * SUN"]
    time_zone = "UTC"
  }

  group "audit" {
    task "sysctl-check" {
      driver = "exec"

      config {
        command = "/usr/local/bin/sysctl-audit"
        args    = ["--node", "${node.unique.name}", "--report", "${NOMAD_ALLOC_DIR}/audit.txt"]
      }

      resources {
        cpu    = 50
        memory = 32
      }
    }
  }
}
