# Serves a static site fetched as an archive at start; the archive is
# checked against a checksum and unpacked into the task's local directory.
job "static-site" {
  datacenters = ["dc1"]

  group "site" {
    count = 2

    network {
      port "http" {
        to = 80
      }
    }

    service {
      name     = "static-site"
      port     = "http"
      provider = "nomad"
      tags     = ["web"]

      check {
        type     = "http"
        path     = "/index.html"
        interval = "30s"
        timeout  = "3s"
      }
    }

    task "caddy" {
      driver = "docker"

      artifact {
        source      = "https://assets.example.com/site/site-2024-10.tar.gz"
        destination = "local/site"

        options {
          checksum = "md5:0e3c5b6d8a9f1e2d3c4b5a697887a6b5"
        }
      }

      config {
        image = "caddy:2.8"
        ports = ["http"]
        args  = ["caddy", "file-server", "--root", "/srv"]

        mount {
          type     = "bind"
          source   = "local/site"
          target   = "/srv"
          readonly = true
        }
      }

      resources {
        cpu    = 100
        memory = 64
      }
    }
  }
}
