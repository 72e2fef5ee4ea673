# Two equals signs in a row: the parser stops at the second one.
job "syntax-error" {
  group "app" {
    count = = 3

    task "app" {
      driver = "exec"

      config {
        command = "/bin/true"
      }
    }
  }
}
