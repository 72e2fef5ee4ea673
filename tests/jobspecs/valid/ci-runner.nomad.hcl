# CI runners on Linux build hosts with enough disk; artifacts are fetched
# with go-getter options and the runner token comes from a template.
job "ci-runner" {
  datacenters = ["dc1"]

  constraint {
    attribute = "${attr.unique.storage.bytesfree}"
    operator  = ">"
    value     = "50000000000"
  }

  group "runner" {
    count = 2

    ephemeral_disk {
      size = 20480
    }

    task "runner" {
      driver = "exec"

      artifact {
        source      = "git::https://github.com/example/ci-scripts"
        destination = "local/scripts"

        options {
          ref   = "v2.3.0"
          depth = "1"
        }
      }

      template {
        data        = "RUNNER_TOKEN=changeme\nRUNNER_NAME={{ env \"NOMAD_ALLOC_NAME\" }}\n"
        destination = "secrets/runner.env"
        env         = true
      }

      config {
        command = "local/scripts/run.sh"
      }

      resources {
        cpu    = 2000
        memory = 4096
      }
    }
  }
}
