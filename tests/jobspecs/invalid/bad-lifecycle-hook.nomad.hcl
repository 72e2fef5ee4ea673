# Lifecycle hooks are prestart, poststart and poststop.
job "bad-lifecycle-hook" {
  group "app" {
    task "setup" {
      driver = "exec"

      lifecycle {
        hook = "midstart"
      }

      config {
        command = "/bin/true"
      }
    }

    task "app" {
      driver = "exec"

      config {
        command = "/bin/true"
      }
    }
  }
}
