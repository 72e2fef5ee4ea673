//! `nomad tls ca create` and `nomad tls cert create -server`: a private CA and server certificates for
//! the mesh's mutual TLS, with Nomad's file names (the crypto lives in `nomad_gossip::tls::certs`).

pub mod ca;
pub mod cert;

use std::fs::OpenOptions;
use std::io::Write;
use std::path::Path;
use std::process::ExitCode;

use clap::Subcommand;

use super::CliError;

#[derive(Debug, Subcommand)]
pub enum TlsCommand {
    /// Manage the certificate authority.
    #[command(subcommand)]
    Ca(ca::CaCommand),
    /// Manage certificates.
    #[command(subcommand)]
    Cert(cert::CertCommand),
}

pub fn dispatch(cmd: TlsCommand) -> Result<ExitCode, CliError> {
    match cmd {
        TlsCommand::Ca(c) => ca::dispatch(c),
        TlsCommand::Cert(c) => cert::dispatch(c),
    }
}

/// Writes a file that must not exist yet, as Nomad refuses to overwrite; keys are private to the owner.
pub(crate) fn write_new(path: &Path, contents: &str, secret: bool) -> Result<(), CliError> {
    let mut options = OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    if secret {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    #[cfg(not(unix))]
    let _ = secret;
    let io = |source| CliError::Io {
        path: path.to_path_buf(),
        source,
    };
    let mut file = options.open(path).map_err(io)?;
    file.write_all(contents.as_bytes()).map_err(io)
}
