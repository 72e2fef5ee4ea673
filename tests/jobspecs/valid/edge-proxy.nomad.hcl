# Placement filters with most constraint operators: equality, inequality,
# numeric and version comparisons, regular expressions, sets and presence.
job "edge-proxy" {
  datacenters = ["edge-*"]

  constraint {
    attribute = "${attr.kernel.name}"
    value     = "linux"
  }

  constraint {
    attribute = "${attr.cpu.arch}"
    operator  = "!="
    value     = "arm"
  }

  constraint {
    attribute = "${attr.kernel.version}"
    operator  = "version"
    value     = ">= 5.10"
  }

  group "proxy" {
    count = 3

    constraint {
      attribute = "${attr.nomad.version}"
      operator  = "semver"
      value     = ">= 1.6.0"
    }

    constraint {
      attribute = "${node.unique.name}"
      operator  = "regexp"
      value     = "^edge-[0-9]+$"
    }

    constraint {
      attribute = "${meta.features}"
      operator  = "set_contains"
      value     = "tls13,http3"
    }

    constraint {
      attribute = "${attr.cpu.numcores}"
      operator  = ">="
      value     = "4"
    }

    constraint {
      attribute = "${meta.maintenance}"
      operator  = "is_not_set"
    }

    task "haproxy" {
      driver = "docker"

      constraint {
        attribute = "${attr.driver.docker.version}"
        operator  = "is_set"
      }

      config {
        image = "haproxy:3.0"
      }

      resources {
        cpu    = 400
        memory = 128
      }
    }
  }
}
