# A bridge-networked task with its own resolver settings, listening on a
# port bound to the private host network.
job "internal-resolver" {
  datacenters = ["dc1"]

  group "resolver" {
    network {
      mode     = "bridge"
      hostname = "resolver-${NOMAD_ALLOC_INDEX}"

      dns {
        servers  = ["10.0.0.2", "10.0.0.3"]
        searches = ["internal.example.com", "example.com"]
        options  = ["ndots:2", "timeout:1"]
      }

      port "api" {
        to           = 8053
        host_network = "private"
      }
    }

    task "resolver" {
      driver = "docker"

      config {
        image = "registry.example.com/resolver:0.9"
        ports = ["api"]
      }

      resources {
        cpu    = 100
        memory = 64
      }
    }
  }
}
