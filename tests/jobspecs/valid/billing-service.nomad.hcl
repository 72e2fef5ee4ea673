# All settings come from a variable file (billing-service.values.hcl, passed
# with -var-file by the sidecar billing-service.vars). `environment` has no
# default, so running this file without the variable file fails.
variable "environment" {
  type = string
}

variable "instances" {
  type    = number
  default = 1
}

variable "memory_mb" {
  type    = number
  default = 256
}

locals {
  job_name = "billing-${var.environment}"
}

job "billing-service" {
  name = local.job_name

  meta {
    environment = var.environment
  }

  group "billing" {
    count = var.instances

    task "billing" {
      driver = "exec"

      config {
        command = "/opt/billing/bin/server"
        args    = ["--env", var.environment]
      }

      resources {
        cpu    = 300
        memory = var.memory_mb
      }
    }
  }
}
