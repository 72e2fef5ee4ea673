# Job priorities run from 1 to 100.
job "priority-out-of-range" {
  datacenters = ["dc1"]
  priority    = 150

  group "app" {
    task "app" {
      driver = "exec"

      config {
        command = "/bin/true"
      }
    }
  }
}
