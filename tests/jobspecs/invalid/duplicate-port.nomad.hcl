# Port labels must be unique within the group's network.
job "duplicate-port" {
  group "app" {
    network {
      port "admin" {
        to = 9000
      }

      port "admin" {
        to = 9001
      }
    }

    task "app" {
      driver = "docker"

      config {
        image = "registry.example.com/app:1.0"
        ports = ["admin"]
      }
    }
  }
}
