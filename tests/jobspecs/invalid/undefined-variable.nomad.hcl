# var.nope was never declared.
variable "replicas" {
  type    = number
  default = 2
}

job "undefined-variable" {
  group "app" {
    count = var.nope

    task "app" {
      driver = "exec"

      config {
        command = "/bin/true"
      }
    }
  }
}
