//! `[web]`: the HTTP listener (health, metrics, the survey pages).
//!
//! Without the section the daemon listens on loopback port 8080, so
//! `cargo run -- run` needs nothing; `enabled = false` turns it off.

use std::net::SocketAddr;

use serde::Deserialize;

use super::ConfigError;
use super::validator::Validator;

/// Where the listener binds when `[web] listen` is not given.
pub const DEFAULT_LISTEN: &str = "127.0.0.1:8080";

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawWeb {
    enabled: Option<bool>,
    listen: Option<String>,
    public_url: Option<String>,
    ops_listen: Option<String>,
    posts_per_minute: Option<u32>,
}

/// The checked `[web]` section.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Web {
    pub enabled: bool,
    /// The public pages (and health and metrics, unless `ops_listen` is set).
    pub listen: SocketAddr,
    /// What links in mail start with, without a trailing slash (behind a
    /// reverse proxy: its address).
    pub public_url: String,
    /// A separate address for `/healthz`, `/readyz` and `/metrics`, kept
    /// off the public one.
    pub ops_listen: Option<SocketAddr>,
    /// Form submissions of the survey pages one address may make per
    /// minute; 0: no limit (behind a reverse proxy every request comes
    /// from the proxy's address: set the limit there instead).
    pub posts_per_minute: u32,
}

/// Submissions per address and minute unless `[web] posts_per_minute`
/// says otherwise.
pub const DEFAULT_POSTS_PER_MINUTE: u32 = 30;

impl Default for Web {
    fn default() -> Web {
        Web {
            enabled: true,
            listen: DEFAULT_LISTEN.parse().expect("a socket address"),
            public_url: format!("http://{DEFAULT_LISTEN}"),
            ops_listen: None,
            posts_per_minute: DEFAULT_POSTS_PER_MINUTE,
        }
    }
}

impl Validator<'_> {
    pub(super) fn web(&self, raw: RawWeb) -> Result<Web, ConfigError> {
        let addr = |key: &str, v: &str| {
            v.trim().parse::<SocketAddr>().map_err(|_| {
                self.err(
                    key,
                    format!("{v:?} is not an address and port like \"127.0.0.1:8080\""),
                )
            })
        };
        let listen = addr(
            "web.listen",
            raw.listen.as_deref().unwrap_or(DEFAULT_LISTEN),
        )?;
        let ops_listen = raw
            .ops_listen
            .as_deref()
            .map(|v| addr("web.ops_listen", v))
            .transpose()?;
        if ops_listen == Some(listen) {
            return Err(self.err(
                "web.ops_listen",
                "is the same address as web.listen: leave it out to serve both there",
            ));
        }
        let public_url = match raw.public_url {
            Some(u) => {
                let parsed = url::Url::parse(u.trim())
                    .map_err(|e| self.err("web.public_url", format!("{u:?}: {e}")))?;
                if !matches!(parsed.scheme(), "http" | "https") || parsed.host().is_none() {
                    return Err(self.err(
                        "web.public_url",
                        format!("{u:?} is not an http:// or https:// address"),
                    ));
                }
                u.trim().trim_end_matches('/').to_string()
            }
            None => format!("http://{listen}"),
        };
        Ok(Web {
            enabled: raw.enabled.unwrap_or(true),
            listen,
            public_url,
            ops_listen,
            posts_per_minute: raw.posts_per_minute.unwrap_or(DEFAULT_POSTS_PER_MINUTE),
        })
    }
}
