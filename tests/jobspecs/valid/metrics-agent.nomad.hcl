# A metrics agent on every node of the "monitored" class, tagged with the
# datacenter it runs in.
job "metrics-agent" {
  type = "system"

  constraint {
    attribute = "${node.class}"
    operator  = "="
    value     = "monitored"
  }

  group "agent" {
    task "telegraf" {
      driver = "docker"

      config {
        image = "telegraf:1.32"
        args  = ["--config", "/local/telegraf.conf"]
      }

      template {
        data        = <<EOT
[global_tags]
  datacenter = "{{ env "NOMAD_DC" }}"
[[outputs.prometheus_client]]
  listen = ":9273"
EOT
        destination = "local/telegraf.conf"
      }

      env {
        DC = "${node.datacenter}"
      }

      resources {
        cpu    = 100
        memory = 96
      }
    }
  }
}
