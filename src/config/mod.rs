//! Agent configuration: Nomad's agent HCL files ([`file`], [`load`]), the `-dev` layer ([`defaults`]), the
//! command-line flags ([`flags`]) and the checked result ([`AgentConfig`]). Layers, lowest first:
//! `-dev` defaults, then each `-config` path in order, then flags. [`build`] is the one entry point.

pub mod agent_config;
pub mod defaults;
pub mod file;
pub mod flags;
pub mod gossip;
pub mod load;

use std::path::PathBuf;

use thiserror::Error;

pub use agent_config::{AgentConfig, ClientSettings, ServerSettings, ServiceAddrs};
pub use file::FileConfig;
pub use flags::Flags;
pub use gossip::{GossipProfile, TlsSettings};

#[derive(Debug, Error)]
pub enum ConfigError {
    #[error("Error loading configuration from {}: {source}", path.display())]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("Error loading configuration from {}: {message}", path.display())]
    Parse { path: PathBuf, message: String },
    /// A value is missing or wrong; the message is Nomad's wording.
    #[error("{0}")]
    Invalid(String),
}

pub type Result<T> = std::result::Result<T, ConfigError>;

/// Merges `-dev` defaults (when asked), the `-config` files and the flags, then validates.
pub fn build(flags: &Flags) -> Result<AgentConfig> {
    let base = if flags.dev {
        defaults::dev()
    } else {
        FileConfig::default()
    };
    let (files, loaded) = load::load(&flags.config)?;
    let merged = base.merge(files).merge(flags.to_overlay());
    AgentConfig::from_file(flags.dev, merged, loaded)
}
