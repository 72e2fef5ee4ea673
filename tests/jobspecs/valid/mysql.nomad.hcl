# Metadata at every level (job, group, task); the task reads the merged meta
# from its environment and picks a node by client metadata.
job "mysql" {
  datacenters = ["dc1"]

  meta {
    service_owner = "dba"
    cost_center   = "cc-1042"
  }

  group "primary" {
    meta {
      role = "primary"
    }

    constraint {
      attribute = "${meta.storage}"
      value     = "ssd"
    }

    network {
      port "mysql" {
        static = 3306
      }
    }

    task "mysqld" {
      driver = "docker"

      meta {
        version = "8.4"
      }

      config {
        image = "mysql:8.4"
        ports = ["mysql"]
      }

      env {
        MYSQL_DATABASE = "app"
        MYSQL_ROLE     = "${NOMAD_META_role}"
        RACK           = "${meta.rack}"
      }

      resources {
        cpu    = 2000
        memory = 4096
      }
    }
  }
}
