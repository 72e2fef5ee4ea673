# Minute 61 does not exist.
job "bad-cron" {
  type = "batch"

  periodic {
    cron = "61 * * * *"
  }

  group "app" {
    task "app" {
      driver = "exec"

      config {
        command = "/bin/true"
      }
    }
  }
}
