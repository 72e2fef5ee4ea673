# A public web tier: rolling updates with canaries, a static HTTPS port,
# placement rules, and an HTTP health check that restarts a stuck task.
job "web-frontend" {
  datacenters = ["us-east-1a", "us-east-1b"]
  type        = "service"

  constraint {
    attribute = "${attr.kernel.name}"
    value     = "linux"
  }

  update {
    max_parallel      = 2
    min_healthy_time  = "15s"
    healthy_deadline  = "3m"
    progress_deadline = "8m"
    canary            = 1
    auto_revert       = true
    auto_promote      = true
    stagger           = "20s"
  }

  group "web" {
    count = 4

    spread {
      attribute = "${node.datacenter}"
      weight    = 100

      target "us-east-1a" {
        percent = 50
      }

      target "us-east-1b" {
        percent = 50
      }
    }

    affinity {
      attribute = "${meta.tier}"
      value     = "frontend"
      weight    = 60
    }

    network {
      port "https" {
        static = 443
        to     = 8443
      }

      port "metrics" {}
    }

    service {
      name     = "web-frontend"
      port     = "https"
      tags     = ["public", "tls"]
      provider = "consul"

      check {
        type     = "http"
        protocol = "https"
        path     = "/healthz"
        interval = "10s"
        timeout  = "2s"

        check_restart {
          limit           = 3
          grace           = "30s"
          ignore_warnings = false
        }
      }
    }

    task "nginx" {
      driver = "docker"

      config {
        image = "nginx:1.27"
        ports = ["https", "metrics"]
      }

      resources {
        cpu    = 300
        memory = 128
      }
    }
  }
}
