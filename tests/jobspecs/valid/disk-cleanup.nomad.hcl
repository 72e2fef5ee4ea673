# A one-shot sweep on every worker node: removes stale build caches.
# Runs to completion once per eligible node (sysbatch).
job "disk-cleanup" {
  type = "sysbatch"

  constraint {
    attribute = "${node.class}"
    value     = "builder"
  }

  group "sweep" {
    restart {
      attempts = 1
      interval = "10m"
      delay    = "30s"
      mode     = "fail"
    }

    task "prune" {
      driver = "raw_exec"
      user   = "root"

      config {
        command = "/bin/sh"
        args    = ["-c", "find /var/cache/builds -mtime +7 -delete"]
      }

      resources {
        cpu    = 100
        memory = 64
      }
    }
  }
}
