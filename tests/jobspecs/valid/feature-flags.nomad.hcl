# Variables and locals woven into strings, lists and maps.
variable "env" {
  type    = string
  default = "prod"
}

variable "port" {
  type    = number
  default = 7070
}

variable "flags" {
  type = map(string)
  default = {
    new_checkout = "on"
    dark_mode    = "off"
  }
}

locals {
  name      = "flags-${var.env}"
  log_level = "info"
  args      = ["--listen", ":${var.port}", "--env", var.env]
}

job "feature-flags" {
  datacenters = ["dc1"]

  meta {
    env = var.env
  }

  group "flags" {
    network {
      port "http" {
        static = var.port
      }
    }

    task "server" {
      driver = "raw_exec"

      config {
        command = "/opt/flags/bin/flagd"
        args    = local.args
      }

      env {
        FLAGD_NAME         = local.name
        FLAGD_LOG_LEVEL    = local.log_level
        FLAGD_NEW_CHECKOUT = var.flags["new_checkout"]
        FLAGD_DARK_MODE    = var.flags.dark_mode
      }

      resources {
        cpu    = 100
        memory = 64
      }
    }
  }
}
