//! `nomad tls ca create [-days N]`: writes `nomad-agent-ca.pem` and `nomad-agent-ca-key.pem` into the
//! current directory.

use std::path::Path;
use std::process::ExitCode;

use clap::{Args, Subcommand};
use nomad_gossip::tls::certs;

use super::write_new;
use crate::cli::CliError;

#[derive(Debug, Subcommand)]
pub enum CaCommand {
    /// Create a certificate authority.
    Create(CaCreateArgs),
}

#[derive(Debug, Args)]
pub struct CaCreateArgs {
    /// Days the CA is valid for (default: 5 years).
    #[arg(long, default_value_t = certs::CA_DAYS)]
    pub days: u32,
}

pub fn dispatch(cmd: CaCommand) -> Result<ExitCode, CliError> {
    match cmd {
        CaCommand::Create(args) => create(&args, Path::new(".")),
    }
}

/// Creates the CA files in `dir`.
pub fn create(args: &CaCreateArgs, dir: &Path) -> Result<ExitCode, CliError> {
    if args.days == 0 {
        return Err(CliError::Message("-days must be at least 1".into()));
    }
    let cert = dir.join(certs::CA_CERT_FILE);
    let key = dir.join(certs::CA_KEY_FILE);
    for path in [&cert, &key] {
        if path.exists() {
            return Err(CliError::Message(format!(
                "{} already exists",
                path.display()
            )));
        }
    }
    let ca = certs::create_ca(args.days).map_err(|e| CliError::Message(e.to_string()))?;
    write_new(&cert, &ca.cert, false)?;
    write_new(&key, &ca.key, true)?;
    println!("==> CA Certificate saved to: {}", certs::CA_CERT_FILE);
    println!("==> CA Certificate key saved to: {}", certs::CA_KEY_FILE);
    Ok(ExitCode::SUCCESS)
}
