# "~=" is not a constraint operator.
job "bad-constraint-operator" {
  constraint {
    attribute = "${attr.kernel.name}"
    operator  = "~="
    value     = "linux"
  }

  group "app" {
    task "app" {
      driver = "exec"

      config {
        command = "/bin/true"
      }
    }
  }
}
