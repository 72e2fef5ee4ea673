# Long-lived websocket connections need time to drain: the service is
# deregistered first, then the task is asked to stop with SIGINT and given
# a full minute before it is killed.
job "chat-relay" {
  datacenters = ["dc1"]

  group "relay" {
    count          = 2
    shutdown_delay = "5s"

    network {
      port "ws" {
        to = 4000
      }
    }

    service {
      name = "chat-relay"
      port = "ws"

      check {
        type     = "tcp"
        interval = "10s"
        timeout  = "2s"
      }
    }

    task "relay" {
      driver         = "docker"
      kill_signal    = "SIGINT"
      kill_timeout   = "60s"
      shutdown_delay = "20s"

      config {
        image = "registry.example.com/chat-relay:1.3"
        ports = ["ws"]
      }

      resources {
        cpu    = 300
        memory = 256
      }
    }
  }
}
