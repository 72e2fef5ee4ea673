# Input variables with defaults and derived locals. The sidecar file
# search-api.vars sets `replicas` and `image_tag` on the command line.
variable "replicas" {
  type        = number
  default     = 1
  description = "How many search API instances to run."
}

variable "image_tag" {
  type    = string
  default = "1.0.0"
}

variable "datacenters" {
  type    = list(string)
  default = ["dc1", "dc2"]
}

locals {
  image        = "registry.example.com/search-api:${var.image_tag}"
  service_name = "search-api-v${var.image_tag}"
}

job "search-api" {
  datacenters = var.datacenters

  group "api" {
    count = var.replicas

    network {
      port "http" {
        to = 9200
      }
    }

    service {
      name     = local.service_name
      port     = "http"
      provider = "nomad"
    }

    task "api" {
      driver = "docker"

      config {
        image = local.image
        ports = ["http"]
      }

      resources {
        cpu    = 500
        memory = 1024
      }
    }
  }
}
