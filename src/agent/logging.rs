//! Agent logs through `tracing`, at the configured Nomad log level (`RUST_LOG` still wins when set).

use tracing_subscriber::EnvFilter;

/// The `tracing` filter for a Nomad log level.
pub fn filter_for(level: &str) -> &'static str {
    match level {
        "TRACE" => "trace",
        "DEBUG" => "debug",
        "WARN" => "warn",
        "ERROR" => "error",
        _ => "info",
    }
}

/// Installs the global subscriber; a second call (tests, embedding) keeps the first.
pub fn init(level: &str) {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(filter_for(level)));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stdout)
        .try_init();
}
