# Builds the sales report on weekday mornings and once on Saturday noon.
# Several cron expressions: the job runs at the earliest one that matches.
job "weekday-reports" {
  type = "batch"

  periodic {
    crons = [
      "30 7 * * MON-FRI",
      "0 12 * * SAT",
    ]
    prohibit_overlap = false
    time_zone        = "America/New_York"
  }

  group "reports" {
    task "render" {
      driver = "exec"

      config {
        command = "/opt/reports/render"
        args    = ["--out", "${NOMAD_ALLOC_DIR}/report.pdf"]
      }

      resources {
        cpu    = 500
        memory = 512
      }
    }
  }
}
