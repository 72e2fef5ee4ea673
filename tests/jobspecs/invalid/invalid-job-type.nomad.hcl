# The job types are service, batch, system and sysbatch.
job "invalid-job-type" {
  type = "cron"

  group "app" {
    task "app" {
      driver = "exec"

      config {
        command = "/bin/true"
      }
    }
  }
}
