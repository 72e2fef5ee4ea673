# sidecar is a bool.
job "wrong-type-sidecar" {
  group "app" {
    task "helper" {
      driver = "exec"

      lifecycle {
        hook    = "poststart"
        sidecar = "maybe"
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
