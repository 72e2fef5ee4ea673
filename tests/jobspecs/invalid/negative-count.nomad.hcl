# A group cannot run a negative number of instances.
job "negative-count" {
  group "app" {
    count = -2

    task "app" {
      driver = "exec"

      config {
        command = "/bin/true"
      }
    }
  }
}
