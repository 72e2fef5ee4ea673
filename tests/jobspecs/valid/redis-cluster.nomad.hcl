# Three Redis nodes that keep their data on a host volume, never two on the
# same machine, and migrate their scratch disk when rescheduled.
job "redis-cluster" {
  datacenters = ["dc1"]

  group "redis" {
    count = 3

    constraint {
      operator = "distinct_hosts"
      value    = "true"
    }

    volume "redis-data" {
      type      = "host"
      source    = "redis"
      read_only = false
    }

    ephemeral_disk {
      size    = 1024
      sticky  = true
      migrate = true
    }

    network {
      port "redis" {
        to = 6379
      }
    }

    task "redis" {
      driver = "docker"

      config {
        image = "redis:7.2"
        ports = ["redis"]
        args  = ["--appendonly", "yes", "--dir", "/data"]
      }

      volume_mount {
        volume      = "redis-data"
        destination = "/data"
        read_only   = false
      }

      resources {
        cpu    = 400
        memory = 512
      }
    }
  }
}
