# An API gateway with helper tasks around it: a prestart task that waits for
# the config store, a poststart sidecar that ships access logs for as long as
# the gateway runs, and a poststop task that deregisters the instance.
job "api-gateway" {
  datacenters = ["dc1"]

  group "gateway" {
    count          = 2
    shutdown_delay = "10s"

    network {
      port "http" {
        to = 8080
      }
    }

    task "wait-for-config" {
      driver = "exec"

      lifecycle {
        hook    = "prestart"
        sidecar = false
      }

      config {
        command = "/bin/sh"
        args    = ["-c", "until nc -z config.service.consul 8500; do sleep 2; done"]
      }

      resources {
        cpu    = 50
        memory = 32
      }
    }

    task "gateway" {
      driver       = "docker"
      leader       = true
      kill_timeout = "45s"
      kill_signal  = "SIGTERM"

      config {
        image = "envoyproxy/envoy:v1.31.0"
        ports = ["http"]
      }

      resources {
        cpu    = 800
        memory = 256
      }
    }

    task "log-forwarder" {
      driver = "docker"

      lifecycle {
        hook    = "poststart"
        sidecar = true
      }

      config {
        image = "fluent/fluent-bit:3.1"
        args  = ["-i", "tail", "-p", "path=${NOMAD_ALLOC_DIR}/logs/gateway.stdout.*", "-o", "stdout"]
      }

      resources {
        cpu    = 100
        memory = 64
      }
    }

    task "deregister" {
      driver = "raw_exec"

      lifecycle {
        hook = "poststop"
      }

      config {
        command = "/usr/local/bin/lb-deregister"
        args    = ["--alloc", "${NOMAD_ALLOC_ID}"]
      }

      resources {
        cpu    = 50
        memory = 32
      }
    }
  }
}
