# A release job: a prestart task applies schema migrations, the main task
# smoke-tests the new schema, and a poststop task posts the result to chat.
job "db-migrate" {
  type = "batch"

  group "release" {
    task "migrate" {
      driver = "docker"

      lifecycle {
        hook = "prestart"
      }

      config {
        image   = "registry.example.com/app-migrations:42"
        command = "migrate"
        args    = ["up", "--database", "postgres://postgres.service.consul:5432/app"]
      }

      resources {
        cpu    = 200
        memory = 128
      }
    }

    task "smoke-test" {
      driver = "docker"

      config {
        image   = "registry.example.com/app-migrations:42"
        command = "smoke"
      }

      resources {
        cpu    = 100
        memory = 64
      }
    }

    task "notify" {
      driver = "raw_exec"

      lifecycle {
        hook    = "poststop"
        sidecar = false
      }

      config {
        command = "/usr/local/bin/notify-chat"
        args    = ["release finished for ${NOMAD_JOB_ID}"]
      }

      logs {
        disabled = true
      }
    }
  }
}
