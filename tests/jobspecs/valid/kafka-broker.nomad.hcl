# Kafka brokers pinned to whole CPU cores, with room to burst in memory, and
# at most one broker per rack.
job "kafka-broker" {
  datacenters = ["dc1", "dc2"]

  group "broker" {
    count = 3

    constraint {
      attribute = "${meta.rack}"
      operator  = "distinct_property"
      value     = "1"
    }

    network {
      port "kafka" {
        static = 9092
      }
    }

    task "kafka" {
      driver = "docker"

      config {
        image = "apache/kafka:3.8.0"
        ports = ["kafka"]
      }

      env {
        KAFKA_NODE_ID              = "${NOMAD_ALLOC_INDEX}"
        KAFKA_LISTENERS            = "PLAINTEXT://0.0.0.0:9092"
        KAFKA_ADVERTISED_LISTENERS = "PLAINTEXT://${NOMAD_ADDR_kafka}"
      }

      resources {
        cores      = 2
        memory     = 4096
        memory_max = 6144
      }
    }
  }
}
