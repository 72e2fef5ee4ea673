# Dispatched on demand; the payload is optional and all metadata keys too.
job "cache-warmer" {
  type = "batch"

  parameterized {
    payload       = "optional"
    meta_optional = ["prefix"]
  }

  group "warm" {
    task "warm" {
      driver = "raw_exec"

      config {
        command = "/usr/local/bin/warm-cache"
        args    = ["--prefix", "${NOMAD_META_prefix}"]
      }

      dispatch_payload {
        file = "urls.txt"
      }

      resources {
        cpu    = 100
        memory = 64
      }
    }
  }
}
