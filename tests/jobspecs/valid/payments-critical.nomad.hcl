# A high-priority job pinned to a region, namespace and node pool. All
# allocations must be placed in one go or none are.
job "payments-critical" {
  region      = "eu-west"
  namespace   = "payments"
  datacenters = ["eu-west-1a", "eu-west-1b", "eu-west-1c"]
  node_pool   = "pci"
  priority    = 90
  all_at_once = true

  group "ledger" {
    count = 3

    task "ledger" {
      driver = "exec"

      config {
        command = "/opt/ledger/bin/ledger"
        args    = ["serve"]
      }

      resources {
        cpu    = 1500
        memory = 2048
      }
    }
  }
}
