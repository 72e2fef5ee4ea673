# Three tiers in one job. Job-level update and meta apply to every group; the
# cart group overrides the update strategy with its own canary settings.
job "online-shop" {
  datacenters = ["dc1"]

  meta {
    team  = "commerce"
    owner = "shop@example.com"
  }

  update {
    max_parallel     = 1
    health_check     = "checks"
    min_healthy_time = "10s"
    healthy_deadline = "5m"
  }

  group "storefront" {
    count = 3

    network {
      port "http" {
        to = 8080
      }
    }

    service {
      name = "storefront"
      port = "http"

      check {
        type     = "http"
        path     = "/"
        interval = "10s"
        timeout  = "2s"
      }
    }

    task "storefront" {
      driver = "docker"

      config {
        image = "registry.example.com/storefront:3.1"
        ports = ["http"]
      }

      resources {
        cpu    = 300
        memory = 256
      }
    }
  }

  group "cart" {
    count = 2

    update {
      canary       = 2
      max_parallel = 2
      health_check = "task_states"
      auto_promote = false
    }

    task "cart" {
      driver = "docker"

      config {
        image = "registry.example.com/cart:2.0"
      }

      resources {
        cpu    = 200
        memory = 256
      }
    }
  }

  group "mailer" {
    task "mailer" {
      driver = "raw_exec"

      config {
        command = "/opt/mailer/mailer"
      }

      resources {
        cpu    = 100
        memory = 64
      }
    }
  }
}
