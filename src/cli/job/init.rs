//! `nomad job init [-short] [file]`: write the example job (service "example", group "cache", a docker
//! redis task with port "db") for a new user to edit.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Args;

use crate::cli::CliError;

const DEFAULT_FILE: &str = "example.nomad.hcl";

#[derive(Debug, Args)]
pub struct InitArgs {
    /// Write the example without its explanatory comments.
    #[arg(long)]
    pub short: bool,
    /// Where to write it.
    #[arg(default_value = DEFAULT_FILE)]
    pub file: PathBuf,
}

pub fn run(args: &InitArgs) -> Result<ExitCode, CliError> {
    if args.file.exists() {
        return Err(CliError::Message(format!(
            "Job '{}' already exists",
            args.file.display()
        )));
    }
    let text = if args.short { SHORT } else { LONG };
    std::fs::write(&args.file, text).map_err(|source| CliError::Io {
        path: args.file.clone(),
        source,
    })?;
    println!("Example job file written to {}", args.file.display());
    Ok(ExitCode::SUCCESS)
}

const SHORT: &str = r#"job "example" {
  group "cache" {
    network {
      port "db" {
        to = 6379
      }
    }

    task "redis" {
      driver = "docker"

      config {
        image          = "redis:7"
        ports          = ["db"]
        auth_soft_fail = true
      }

      resources {
        cpu    = 500
        memory = 256
      }
    }
  }
}
"#;

const LONG: &str = r#"# An example job: one Redis container. Every block below is optional unless it says otherwise;
# the full reference is the job specification: https://developer.hashicorp.com/nomad/docs/job-specification
job "example" {
  # Where the job may run. "*" (the default) matches every datacenter of the region.
  datacenters = ["*"]

  # service: long-running work that is restarted and rescheduled. Other types: batch, system, sysbatch.
  type = "service"

  # How new versions roll out: one allocation at a time, each healthy for 10s before the next.
  update {
    max_parallel      = 1
    min_healthy_time  = "10s"
    healthy_deadline  = "3m"
    progress_deadline = "10m"
    auto_revert       = false
    canary            = 0
  }

  # How allocations move off a draining node.
  migrate {
    max_parallel     = 1
    health_check     = "checks"
    min_healthy_time = "10s"
    healthy_deadline = "5m"
  }

  # A group is the unit of placement: its tasks always run together on one node.
  group "cache" {
    # How many copies of this group to run.
    count = 1

    # Ports for the group. "db" gets a dynamic host port, mapped to 6379 inside the container.
    network {
      port "db" {
        to = 6379
      }
    }

    # Restart a failed task in place up to 2 times in 30 minutes, then fail the allocation.
    restart {
      attempts = 2
      interval = "30m"
      delay    = "15s"
      mode     = "fail"
    }

    # Scratch space the allocation may use, in MB.
    ephemeral_disk {
      size = 300
    }

    # A task is one process (here a container) run by a driver.
    task "redis" {
      driver = "docker"

      # Driver-specific settings.
      config {
        image          = "redis:7"
        ports          = ["db"]
        auth_soft_fail = true
      }

      # What the task needs: CPU in MHz, memory in MB.
      resources {
        cpu    = 500
        memory = 256
      }
    }
  }
}
"#;
