# A group's instance count is "count", not "replicas".
job "unknown-attribute" {
  group "app" {
    replicas = 3

    task "app" {
      driver = "exec"

      config {
        command = "/bin/true"
      }
    }
  }
}
