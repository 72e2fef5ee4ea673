# region_name has no default and no value is given for it.

variable "region_name" {
  type = string
}

job "required-variable" {
  region = var.region_name

  group "app" {
    task "app" {
      driver = "exec"

      config {
        command = "/bin/true"
      }
    }
  }
}
