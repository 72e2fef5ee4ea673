# "10x" is not a duration ("10s" would be).
job "bad-duration" {
  group "app" {
    task "app" {
      driver       = "exec"
      kill_timeout = "10x"

      config {
        command = "/bin/true"
      }
    }
  }
}
