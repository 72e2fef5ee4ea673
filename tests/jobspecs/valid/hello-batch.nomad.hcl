# The smallest useful batch job: print a greeting and exit.
job "hello-batch" {
  type = "batch"

  group "hello" {
    task "say-hello" {
      driver = "raw_exec"

      config {
        command = "/bin/echo"
        args    = ["hello from", "${NOMAD_JOB_NAME}"]
      }
    }
  }
}
