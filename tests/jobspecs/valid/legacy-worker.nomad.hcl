# An old queue worker run in the exec driver's chroot as an unprivileged
# user, with its environment built from Nomad's runtime variables.
job "legacy-worker" {
  datacenters = ["dc1"]

  group "workers" {
    count = 2

    task "worker" {
      driver = "exec"
      user   = "nobody"

      config {
        command = "/usr/bin/php"
        args    = ["/local/worker.php"]
      }

      env {
        WORKER_ID   = "${NOMAD_ALLOC_INDEX}"
        SCRATCH_DIR = "${NOMAD_TASK_DIR}/scratch"
        REGION      = "${NOMAD_REGION}"
        NODE_NAME   = "${node.unique.name}"
      }

      resources {
        cpu    = 200
        memory = 128
      }
    }
  }
}
