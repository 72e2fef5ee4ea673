# A job file holds exactly one job.
job "first" {
  group "app" {
    task "app" {
      driver = "exec"

      config {
        command = "/bin/true"
      }
    }
  }
}

job "second" {
  group "app" {
    task "app" {
      driver = "exec"

      config {
        command = "/bin/true"
      }
    }
  }
}
