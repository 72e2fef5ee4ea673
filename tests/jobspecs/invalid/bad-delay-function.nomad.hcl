# delay_function is constant, exponential or fibonacci.
job "bad-delay-function" {
  group "app" {
    reschedule {
      delay          = "30s"
      delay_function = "linear"
    }

    task "app" {
      driver = "exec"

      config {
        command = "/bin/true"
      }
    }
  }
}
