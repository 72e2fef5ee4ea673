# A template's change_mode is noop, restart, signal or script.
job "bad-change-mode" {
  group "app" {
    task "app" {
      driver = "exec"

      template {
        data        = "hello"
        destination = "local/hello.txt"
        change_mode = "reload"
      }

      config {
        command = "/bin/true"
      }
    }
  }
}
