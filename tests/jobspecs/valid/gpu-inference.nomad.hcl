# An inference service asking for one GPU of any vendor model and reserved
# cores, kept close to the model cache by a weighted node affinity.
job "gpu-inference" {
  datacenters = ["dc1"]

  group "inference" {
    count = 2

    affinity {
      attribute = "${meta.model_cache}"
      value     = "warm"
      weight    = 80
    }

    network {
      port "grpc" {
        to = 50051
      }
    }

    task "server" {
      driver = "docker"

      config {
        image = "registry.example.com/inference:2.0"
        ports = ["grpc"]
      }

      resources {
        cores  = 4
        memory = 8192

        device "gpu" {
          count = 1
        }
      }
    }
  }
}
