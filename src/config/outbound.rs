//! `[outbound]`: how mail leaves (SMTP or files), and the outbox's retries.

use std::path::PathBuf;
use std::time::Duration;

use serde::Deserialize;

use super::ConfigError;
use super::oauth::{MailAuth, RawOAuth};
use super::security::{Security, TlsClient};
use super::validator::Validator;

#[derive(Debug, Clone)]
pub enum Outbound {
    File { path: PathBuf },
    Smtp(SmtpSettings),
}

#[derive(Debug, Clone)]
pub struct SmtpSettings {
    pub host: String,
    pub port: u16,
    pub security: Security,
    pub tls: TlsClient,
    /// Who logs in, and how; `None`: no SMTP AUTH.
    pub login: Option<(String, MailAuth)>,
    pub timeout: Duration,
}

/// Retry policy of the outbox, shared by both transports.
#[derive(Debug, Clone)]
pub struct OutboxPolicy {
    pub max_attempts: u32,
    pub poll_interval: Duration,
    /// How long a row being sent is reserved for its sender: longer than a
    /// send can take, since another instance takes the row over after it
    /// (a sender killed mid-send is replaced after this long).
    pub lease: Duration,
    /// The wait before the second attempt; it doubles with each attempt,
    /// up to an hour.
    pub retry_after: Duration,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawOutbound {
    kind: String,
    path: Option<PathBuf>,
    host: Option<String>,
    port: Option<u16>,
    security: Option<String>,
    ca_file: Option<PathBuf>,
    username: Option<String>,
    auth: Option<String>,
    password_env: Option<String>,
    oauth2: Option<RawOAuth>,
    timeout: Option<String>,
    max_attempts: Option<u32>,
    poll_interval: Option<String>,
    lease: Option<String>,
    retry_after: Option<String>,
}

impl Validator<'_> {
    pub(super) fn outbound(&self, r: RawOutbound) -> Result<(Outbound, OutboxPolicy), ConfigError> {
        let policy = OutboxPolicy {
            max_attempts: r.max_attempts.unwrap_or(12),
            poll_interval: self.duration(
                "outbound.poll_interval",
                r.poll_interval.as_deref().unwrap_or("5s"),
            )?,
            lease: self.duration("outbound.lease", r.lease.as_deref().unwrap_or("5m"))?,
            retry_after: self.duration(
                "outbound.retry_after",
                r.retry_after.as_deref().unwrap_or("1m"),
            )?,
        };
        if policy.lease < Duration::from_secs(2) {
            return Err(self.err("outbound.lease", "must be at least 2s"));
        }
        if policy.retry_after < Duration::from_secs(1) {
            return Err(self.err("outbound.retry_after", "must be at least 1s"));
        }
        if policy.max_attempts == 0 {
            return Err(self.err("outbound.max_attempts", "must be at least 1"));
        }
        let outbound = match r.kind.as_str() {
            "file" => Outbound::File {
                path: r
                    .path
                    .ok_or_else(|| self.err("outbound.path", "required when kind = \"file\""))?,
            },
            "smtp" => {
                let host = r
                    .host
                    .ok_or_else(|| self.err("outbound.host", "required when kind = \"smtp\""))?;
                let security = self.security("outbound.security", r.security.as_deref())?;
                self.check_plain_host("outbound.security", security, &host)?;
                let port = r.port.unwrap_or(match security {
                    Security::Tls => 465,
                    Security::StartTls => 587,
                    Security::None => 25,
                });
                let auth =
                    self.mail_auth("outbound", r.auth.as_deref(), r.password_env, r.oauth2)?;
                if r.username.is_some() != auth.is_some() {
                    return Err(self.err(
                        "outbound.password_env",
                        "username and password_env (or auth = \"oauth2\") go together: set both or neither",
                    ));
                }
                Outbound::Smtp(SmtpSettings {
                    host,
                    port,
                    security,
                    tls: TlsClient { ca_file: r.ca_file },
                    login: r.username.zip(auth),
                    timeout: self
                        .duration("outbound.timeout", r.timeout.as_deref().unwrap_or("60s"))?,
                })
            }
            other => {
                return Err(self.err(
                    "outbound.kind",
                    format!("{other:?} is not \"file\" or \"smtp\""),
                ));
            }
        };
        Ok((outbound, policy))
    }
}
