# Every task needs a driver.
job "missing-driver" {
  group "app" {
    task "app" {
      config {
        command = "/bin/true"
      }
    }
  }
}
