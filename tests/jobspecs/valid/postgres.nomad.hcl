# A single Postgres instance registered in Consul, checked by running
# pg_isready inside the task, plus a plain TCP check on the port.
job "postgres" {
  datacenters = ["dc1"]

  group "db" {
    network {
      port "pg" {
        static = 5432
      }
    }

    task "postgres" {
      driver = "docker"

      config {
        image = "postgres:16"
        ports = ["pg"]
      }

      env {
        POSTGRES_DB = "app"
        PGDATA      = "${NOMAD_TASK_DIR}/pgdata"
      }

      service {
        name = "postgres"
        port = "pg"
        tags = ["primary"]

        check {
          name     = "pg_isready"
          type     = "script"
          command  = "/usr/bin/pg_isready"
          args     = ["-h", "127.0.0.1", "-p", "5432"]
          interval = "20s"
          timeout  = "5s"
        }

        check {
          name     = "pg-port"
          type     = "tcp"
          interval = "10s"
          timeout  = "2s"
        }

        check_restart {
          limit = 5
          grace = "2m"
        }
      }

      resources {
        cpu    = 1000
        memory = 2048
      }
    }
  }
}
