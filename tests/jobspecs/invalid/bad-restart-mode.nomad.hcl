# restart mode is either "fail" or "delay".
job "bad-restart-mode" {
  group "app" {
    restart {
      attempts = 2
      mode     = "retry"
    }

    task "app" {
      driver = "exec"

      config {
        command = "/bin/true"
      }
    }
  }
}
