# Consumers spread evenly over racks and, more softly, over datacenters; a
# job-wide affinity prefers nodes with local NVMe disks.
job "queue-consumer" {
  datacenters = ["dc1", "dc2"]

  affinity {
    attribute = "${meta.disk}"
    operator  = "="
    value     = "nvme"
    weight    = 40
  }

  spread {
    attribute = "${node.datacenter}"
    weight    = 30
  }

  group "consumers" {
    count = 6

    spread {
      attribute = "${meta.rack}"
      weight    = 70

      target "r1" {
        percent = 34
      }

      target "r2" {
        percent = 33
      }

      target "r3" {
        percent = 33
      }
    }

    affinity {
      attribute = "${attr.cpu.modelname}"
      operator  = "regexp"
      value     = "EPYC"
      weight    = -20
    }

    task "consume" {
      driver = "docker"

      config {
        image = "registry.example.com/consumer:1.8"
      }

      resources {
        cpu    = 250
        memory = 192
      }
    }
  }
}
