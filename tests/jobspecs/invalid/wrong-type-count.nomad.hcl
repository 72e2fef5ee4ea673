# count must be a number.
job "wrong-type-count" {
  group "app" {
    count = "three"

    task "app" {
      driver = "exec"

      config {
        command = "/bin/true"
      }
    }
  }
}
