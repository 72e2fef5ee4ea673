# A service that is drained one allocation at a time and, when it keeps
# failing, rescheduled with Fibonacci back-off capped at ten minutes.
job "image-resizer" {
  datacenters = ["dc1"]

  migrate {
    max_parallel     = 1
    health_check     = "task_states"
    min_healthy_time = "5s"
    healthy_deadline = "2m"
  }

  group "resize" {
    count = 3

    reschedule {
      delay          = "15s"
      delay_function = "fibonacci"
      max_delay      = "10m"
      unlimited      = true
    }

    task "resize" {
      driver = "docker"

      config {
        image = "registry.example.com/image-resizer:0.7"
      }

      resources {
        cpu    = 600
        memory = 512
      }
    }
  }
}
