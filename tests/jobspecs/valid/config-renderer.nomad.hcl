# Downloads a template bundle and renders two files from it: one becomes the
# app's config file, the other is read into the task's environment.
job "config-renderer" {
  datacenters = ["dc1"]

  group "app" {
    task "app" {
      driver = "exec"

      artifact {
        source      = "https://releases.example.com/app/templates-v3.tar.gz"
        destination = "local/templates"

        options {
          checksum = "sha256:9f1a3b0c55d2e8e4c1d07a2f6b8e3d4c5a6b7c8d9e0f1a2b3c4d5e6f7a8b9c0d"
        }
      }

      template {
        source      = "local/templates/app.conf.tpl"
        destination = "local/app.conf"
        change_mode = "restart"
      }

      template {
        data        = <<EOT
LOG_LEVEL=info
DATA_DIR={{ env "NOMAD_ALLOC_DIR" }}/data
EOT
        destination = "secrets/app.env"
        env         = true
        change_mode = "noop"
      }

      config {
        command = "/usr/local/bin/app"
        args    = ["-config", "local/app.conf"]
      }

      resources {
        cpu    = 250
        memory = 256
      }
    }
  }
}
