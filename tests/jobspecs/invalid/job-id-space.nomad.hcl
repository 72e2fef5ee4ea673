# A job ID may not contain spaces.

job "web app" {
  group "app" {
    task "app" {
      driver = "exec"

      config {
        command = "/bin/true"
      }
    }
  }
}
