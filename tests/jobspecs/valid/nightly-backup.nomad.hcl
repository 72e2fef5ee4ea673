# Copies the database dump to object storage every night at 03:00 Berlin time.
# A run that is still going when the next one is due makes the next one wait.
job "nightly-backup" {
  datacenters = ["dc1"]
  type        = "batch"

  periodic {
    cron             = "0 3 * * *"
    prohibit_overlap = true
    time_zone        = "Europe/Berlin"
  }

  group "backup" {
    task "upload" {
      driver = "raw_exec"

      config {
        command = "local/bin/backup.sh"
        args    = ["--target", "s3://backups/${NOMAD_JOB_NAME}"]
      }

      artifact {
        source      = "https://releases.example.com/tools/backup.sh"
        destination = "local/bin/backup.sh"
        mode        = "file"
      }

      resources {
        cpu    = 200
        memory = 256
      }
    }
  }
}
