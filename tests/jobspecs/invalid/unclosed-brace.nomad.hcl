# The job block is never closed: the file ends inside it.
job "unclosed-brace" {
  group "app" {
    task "app" {
      driver = "exec"

      config {
        command = "/bin/true"
      }
    }
  }