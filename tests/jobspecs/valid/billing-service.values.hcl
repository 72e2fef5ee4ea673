environment = "staging"
instances   = 2
memory_mb   = 512
