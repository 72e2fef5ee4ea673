# The checkout service may be scaled between 2 and 10 instances; the policy
# block is opaque to Nomad and read by the autoscaler.
job "checkout" {
  datacenters = ["dc1"]

  group "checkout" {
    count = 2

    scaling {
      enabled = true
      min     = 2
      max     = 10

      policy {
        cooldown            = "2m"
        evaluation_interval = "30s"

        check "avg_cpu" {
          source = "nomad-apm"
          query  = "avg_cpu-allocated"

          strategy "target-value" {
            target = 70
          }
        }
      }
    }

    network {
      port "http" {
        to = 3000
      }
    }

    service {
      name = "checkout"
      port = "http"

      check {
        type     = "http"
        path     = "/ready"
        method   = "GET"
        interval = "5s"
        timeout  = "1s"
      }
    }

    task "checkout" {
      driver = "docker"

      config {
        image = "registry.example.com/checkout:5.2.0"
        ports = ["http"]
      }

      resources {
        cpu    = 500
        memory = 384
      }
    }
  }
}
