# Group names must be unique within the job.
job "duplicate-group" {
  group "frontend" {
    task "web" {
      driver = "exec"

      config {
        command = "/bin/true"
      }
    }
  }

  group "frontend" {
    task "web" {
      driver = "exec"

      config {
        command = "/bin/true"
      }
    }
  }
}
