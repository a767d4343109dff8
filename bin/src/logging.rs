//! Logging setup: `tracing` to stderr. Client commands log warnings only
//! (their output is the user interface); roles log at info. `RUST_LOG`
//! overrides both.

use tracing_subscriber::EnvFilter;

/// Initializes the global subscriber once.
pub fn init(role: bool) {
    let default = if role { "info" } else { "warn" };
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(default));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .with_target(false)
        .try_init();
}
