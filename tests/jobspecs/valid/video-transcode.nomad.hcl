# A parameterized batch job: every `nomad job dispatch` hands it a video
# manifest as payload plus the target codec in the dispatch metadata.
job "video-transcode" {
  type = "batch"

  parameterized {
    payload       = "required"
    meta_required = ["codec"]
    meta_optional = ["bitrate", "priority_lane"]
  }

  group "transcode" {
    task "ffmpeg" {
      driver = "exec"

      config {
        command = "/usr/bin/ffmpeg-wrapper"
        args = [
          "--manifest", "${NOMAD_TASK_DIR}/manifest.json",
          "--codec", "${NOMAD_META_codec}",
        ]
      }

      dispatch_payload {
        file = "manifest.json"
      }

      resources {
        cpu    = 2000
        memory = 2048
      }
    }
  }
}
