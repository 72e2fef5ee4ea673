# A training run that needs two NVIDIA GPUs with enough memory, prefers the
# newer cards, and is retried with growing delays if a node fails under it.
job "ml-training" {
  type = "batch"

  reschedule {
    attempts       = 5
    interval       = "12h"
    delay          = "1m"
    delay_function = "exponential"
    max_delay      = "30m"
    unlimited      = false
  }

  group "train" {
    restart {
      attempts = 2
      interval = "1h"
      delay    = "1m"
      mode     = "fail"
    }

    task "trainer" {
      driver = "docker"

      config {
        image   = "pytorch/pytorch:2.4.0-cuda12.1-cudnn9-runtime"
        command = "python"
        args    = ["/local/train.py", "--epochs", "40"]
      }

      resources {
        cpu    = 4000
        memory = 16384

        device "nvidia/gpu" {
          count = 2

          constraint {
            attribute = "${device.attr.memory}"
            operator  = ">="
            value     = "16 GiB"
          }

          affinity {
            attribute = "${device.model}"
            value     = "Tesla V100-SXM2-16GB"
            weight    = 50
          }
        }
      }
    }
  }
}
