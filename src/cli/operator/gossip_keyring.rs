//! `nomad operator gossip keyring generate`: prints a new gossip encryption key (32 random bytes,
//! base64), ready for `server { encrypt = "..." }` or `nomad agent -encrypt`.

use std::process::ExitCode;

use clap::Subcommand;

use crate::cli::CliError;

#[derive(Debug, Subcommand)]
pub enum KeyringCommand {
    /// Generate a new encryption key.
    Generate,
}

pub fn dispatch(cmd: KeyringCommand) -> Result<ExitCode, CliError> {
    match cmd {
        KeyringCommand::Generate => {
            let key = nomad_gossip::generate_gossip_key()
                .map_err(|e| CliError::Message(format!("Error generating key: {e}")))?;
            println!("{key}");
            Ok(ExitCode::SUCCESS)
        }
    }
}
