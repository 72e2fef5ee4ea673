# A parameterized job's payload is optional, required or forbidden.
job "bad-payload" {
  type = "batch"

  parameterized {
    payload = "sometimes"
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
