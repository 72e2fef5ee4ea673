# Renders its configuration from an inline template, reloads on change with a
# signal, and keeps only a few small log files around.
job "log-shipper" {
  datacenters = ["dc1"]

  group "shipper" {
    task "vector" {
      driver = "docker"

      config {
        image = "timberio/vector:0.40.0-alpine"
        args  = ["--config", "/local/vector.toml"]
      }

      template {
        data = <<EOT
[sources.alloc_logs]
type = "file"
include = ["{{ env "NOMAD_ALLOC_DIR" }}/logs/*"]

[sinks.out]
type = "console"
inputs = ["alloc_logs"]
encoding.codec = "json"
EOT

        destination   = "local/vector.toml"
        change_mode   = "signal"
        change_signal = "SIGHUP"
      }

      logs {
        max_files     = 3
        max_file_size = 5
      }

      resources {
        cpu    = 200
        memory = 128
      }
    }
  }
}
