//! `[inbound]`: where mail comes from (a Maildir or IMAP), and what one
//! message may cost.

use std::path::PathBuf;
use std::time::Duration;

use serde::Deserialize;

use super::ConfigError;
use super::oauth::{MailAuth, RawOAuth};
use super::security::{Security, TlsClient};
use super::validator::Validator;
use crate::budget::Budget;

#[derive(Debug, Clone)]
pub enum Inbound {
    Maildir {
        path: PathBuf,
        max_message_size: u64,
        poll_interval: Duration,
    },
    Imap(ImapSettings),
}

impl Inbound {
    pub fn max_message_size(&self) -> u64 {
        match self {
            Inbound::Maildir {
                max_message_size, ..
            } => *max_message_size,
            Inbound::Imap(s) => s.max_message_size,
        }
    }
}

#[derive(Debug, Clone)]
pub struct ImapSettings {
    pub host: String,
    pub port: u16,
    pub security: Security,
    pub tls: TlsClient,
    pub username: String,
    /// A password, or OAuth 2.0 (`auth = "oauth2"`).
    pub auth: MailAuth,
    pub mailbox: String,
    /// Where processed mail is moved; when absent it is flagged \Seen in place.
    pub processed_mailbox: Option<String>,
    pub idle: bool,
    pub poll_interval: Duration,
    pub timeout: Duration,
    pub max_message_size: u64,
    /// How long an instance's hold on the mailbox lasts unless renewed:
    /// several daemons on one database read it one at a time, and one that
    /// dies is replaced after about this long.
    pub lease: Duration,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawInbound {
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
    mailbox: Option<String>,
    processed_mailbox: Option<String>,
    idle: Option<bool>,
    poll_interval: Option<String>,
    timeout: Option<String>,
    max_message_size: Option<String>,
    max_processing_time: Option<String>,
    max_message_memory: Option<String>,
    lease: Option<String>,
}

impl Validator<'_> {
    /// `inbound.max_processing_time` and `inbound.max_message_memory`,
    /// checked against each other and the size limit.
    pub(super) fn message_budget(&self, r: &RawInbound) -> Result<Budget, ConfigError> {
        let max_size = self.max_message_size(r)?;
        let time_key = "inbound.max_processing_time";
        let time = self.duration(time_key, r.max_processing_time.as_deref().unwrap_or("30s"))?;
        if time < Duration::from_millis(100) {
            return Err(self.err(time_key, "must be at least 100ms"));
        }
        let memory_key = "inbound.max_message_memory";
        let memory = self.size(
            memory_key,
            r.max_message_memory.as_deref().unwrap_or("512MB"),
        )?;
        let least = max_size.saturating_mul(crate::budget::DECODE_FACTOR);
        if memory < least {
            return Err(self.err(
                memory_key,
                format!(
                    "{} MB is less than {} × inbound.max_message_size ({} MB): a message of the \
                     largest size accepted could never be read; raise it or lower the size limit",
                    memory >> 20,
                    crate::budget::DECODE_FACTOR,
                    max_size >> 20
                ),
            ));
        }
        Ok(Budget { time, memory })
    }

    pub(super) fn max_message_size(&self, r: &RawInbound) -> Result<u64, ConfigError> {
        self.size(
            "inbound.max_message_size",
            r.max_message_size.as_deref().unwrap_or("50MB"),
        )
    }

    /// `inbound.lease`: at least 2 s (it is renewed every third of it).
    fn lease(&self, value: Option<&str>) -> Result<Duration, ConfigError> {
        let lease = self.duration("inbound.lease", value.unwrap_or("60s"))?;
        if lease < Duration::from_secs(2) {
            return Err(self.err("inbound.lease", "must be at least 2s"));
        }
        Ok(lease)
    }

    pub(super) fn inbound(&self, r: RawInbound) -> Result<Inbound, ConfigError> {
        let max_message_size = self.max_message_size(&r)?;
        let poll_interval = self.duration(
            "inbound.poll_interval",
            r.poll_interval.as_deref().unwrap_or("30s"),
        )?;
        match r.kind.as_str() {
            "maildir" => {
                let path = r
                    .path
                    .ok_or_else(|| self.err("inbound.path", "required when kind = \"maildir\""))?;
                Ok(Inbound::Maildir {
                    path,
                    max_message_size,
                    poll_interval,
                })
            }
            "imap" => {
                let host = r
                    .host
                    .ok_or_else(|| self.err("inbound.host", "required when kind = \"imap\""))?;
                let security = self.security("inbound.security", r.security.as_deref())?;
                self.check_plain_host("inbound.security", security, &host)?;
                let port = r.port.unwrap_or(match security {
                    Security::Tls => 993,
                    _ => 143,
                });
                let username = r
                    .username
                    .ok_or_else(|| self.err("inbound.username", "required when kind = \"imap\""))?;
                let auth = self
                    .mail_auth("inbound", r.auth.as_deref(), r.password_env, r.oauth2)?
                    .ok_or_else(|| {
                        self.err(
                            "inbound.password_env",
                            "required when kind = \"imap\": the name of the environment variable holding the password (or auth = \"oauth2\")",
                        )
                    })?;
                Ok(Inbound::Imap(ImapSettings {
                    host,
                    port,
                    security,
                    tls: TlsClient { ca_file: r.ca_file },
                    username,
                    auth,
                    mailbox: r.mailbox.unwrap_or_else(|| "INBOX".into()),
                    processed_mailbox: r.processed_mailbox,
                    idle: r.idle.unwrap_or(true),
                    poll_interval,
                    timeout: self
                        .duration("inbound.timeout", r.timeout.as_deref().unwrap_or("60s"))?,
                    max_message_size,
                    lease: self.lease(r.lease.as_deref())?,
                }))
            }
            other => Err(self.err(
                "inbound.kind",
                format!("{other:?} is not \"maildir\" or \"imap\""),
            )),
        }
    }
}
