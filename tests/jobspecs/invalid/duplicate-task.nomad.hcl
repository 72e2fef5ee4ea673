# Task names must be unique within their group.
job "duplicate-task" {
  group "search" {
    task "indexer" {
      driver = "exec"

      config {
        command = "/bin/true"
      }
    }

    task "indexer" {
      driver = "exec"

      config {
        command = "/bin/false"
      }
    }
  }
}
