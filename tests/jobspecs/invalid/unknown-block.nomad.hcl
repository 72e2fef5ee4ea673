# "healthcheck" is not a block Nomad knows (health checks live in service).
job "unknown-block" {
  group "app" {
    task "app" {
      driver = "exec"

      config {
        command = "/bin/true"
      }

      healthcheck {
        path = "/health"
      }
    }
  }
}
