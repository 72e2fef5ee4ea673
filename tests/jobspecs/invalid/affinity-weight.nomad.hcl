# Affinity weights run from -100 to 100.
job "affinity-weight" {
  group "app" {
    affinity {
      attribute = "${node.datacenter}"
      value     = "dc1"
      weight    = 150
    }

    task "app" {
      driver = "exec"

      config {
        command = "/bin/true"
      }
    }
  }
}
