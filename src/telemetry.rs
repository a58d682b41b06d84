//! Logging: human-readable lines on stderr by default, JSON on request.

use tracing_subscriber::EnvFilter;

use crate::config::Config;

/// Sets up the global subscriber. `RUST_LOG` overrides `log.level`.
pub fn init(cfg: &Config, format: Option<&str>) {
    let filter = EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| EnvFilter::new(format!("warn,posko={}", cfg.log.level)));
    let json = match format {
        Some(f) => f == "json",
        None => cfg.log.json,
    };
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    // A second init (tests) is harmless: the first subscriber stays.
    let _ = if json {
        builder.json().try_init()
    } else {
        builder.try_init()
    };
}
