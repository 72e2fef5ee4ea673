//! Agent logs through `tracing`, at the configured Nomad log level (`RUST_LOG` still wins when set).
//! As in Nomad, log lines written before the banner is printed are held back and released after
//! "Log data will stream in below", so the banner is never interleaved with logs.

use std::io::Write;
use std::sync::Mutex;

use tracing_subscriber::EnvFilter;

/// Lines held until [`release`]; `None` once released.
static HELD: Mutex<Option<Vec<u8>>> = Mutex::new(Some(Vec::new()));

/// Most bytes held before the gate opens on its own (a stuck start must not eat memory).
const MAX_HELD: usize = 1 << 20;

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
    let filter =
        EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(filter_for(level)));
    let ansi = std::io::IsTerminal::is_terminal(&std::io::stdout());
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(ansi)
        .with_writer(|| GatedStdout)
        .try_init();
}

/// Prints the held log lines and lets later ones through.
pub fn release() {
    let held = HELD.lock().unwrap_or_else(|p| p.into_inner()).take();
    if let Some(buf) = held {
        let mut out = std::io::stdout().lock();
        let _ = out.write_all(&buf);
        let _ = out.flush();
    }
}

/// Stdout, or the hold buffer while the gate is closed.
struct GatedStdout;

impl Write for GatedStdout {
    fn write(&mut self, data: &[u8]) -> std::io::Result<usize> {
        {
            let mut held = HELD.lock().unwrap_or_else(|p| p.into_inner());
            if let Some(buf) = held.as_mut()
                && buf.len() + data.len() <= MAX_HELD
            {
                buf.extend_from_slice(data);
                return Ok(data.len());
            }
        }
        release();
        std::io::stdout().lock().write(data)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        std::io::stdout().lock().flush()
    }
}

#[cfg(test)]
mod tests {
    use super::filter_for;

    #[test]
    fn nomad_levels_map_to_tracing_filters() {
        assert_eq!(filter_for("TRACE"), "trace");
        assert_eq!(filter_for("DEBUG"), "debug");
        assert_eq!(filter_for("INFO"), "info");
        assert_eq!(filter_for("WARN"), "warn");
        assert_eq!(filter_for("ERROR"), "error");
    }
}
