# Batch workers that restart in place after a pause instead of failing, and
# are rescheduled at a constant pace when a node goes away.
job "worker-pool" {
  datacenters = ["dc1"]
  type        = "batch"

  group "workers" {
    count = 5

    restart {
      attempts = 3
      interval = "30m"
      delay    = "20s"
      mode     = "delay"
    }

    reschedule {
      attempts       = 3
      interval       = "2h"
      delay          = "30s"
      delay_function = "constant"
      unlimited      = false
    }

    task "crunch" {
      driver = "exec"

      config {
        command = "/opt/crunch/bin/crunch"
        args    = ["--shard", "${NOMAD_ALLOC_INDEX}", "--of", "5"]
      }

      resources {
        cpu    = 1000
        memory = 512
      }
    }
  }
}
