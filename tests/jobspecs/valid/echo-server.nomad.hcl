# A tiny HTTP echo service with a Nomad-native service and HTTP check on a
# named port, following the service block examples.
job "echo-server" {
  datacenters = ["dc1"]
  type        = "service"

  group "echo" {
    count = 2

    network {
      port "http" {
        to = 5678
      }
    }

    service {
      name     = "echo"
      port     = "http"
      provider = "nomad"
      tags     = ["demo", "${NOMAD_ALLOC_INDEX}"]

      check {
        name     = "echo-ok"
        type     = "http"
        path     = "/"
        interval = "10s"
        timeout  = "2s"
      }
    }

    task "echo" {
      driver = "docker"

      config {
        image = "hashicorp/http-echo:1.0"
        args  = ["-listen", ":5678", "-text", "hello from ${NOMAD_ALLOC_ID}"]
        ports = ["http"]
      }

      resources {
        cpu    = 50
        memory = 32
      }
    }
  }
}
