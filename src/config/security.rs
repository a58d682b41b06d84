//! `security` and `ca_file` of `[inbound]` and `[outbound]`: how a
//! connection to a mail server is protected.

use std::path::PathBuf;

use super::ConfigError;
use super::validator::Validator;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Security {
    /// Implicit TLS from the first byte (IMAPS 993, SMTPS 465).
    Tls,
    /// Plain connection upgraded with STARTTLS.
    StartTls,
    /// No TLS at all: only allowed on loopback addresses.
    None,
}

#[derive(Debug, Clone)]
pub struct TlsClient {
    /// Extra CA certificate (PEM) to trust, e.g. a private CA.
    pub ca_file: Option<PathBuf>,
}

impl Validator<'_> {
    pub(super) fn security(&self, key: &str, value: Option<&str>) -> Result<Security, ConfigError> {
        match value.unwrap_or("tls") {
            "tls" => Ok(Security::Tls),
            "starttls" => Ok(Security::StartTls),
            "none" => Ok(Security::None),
            other => Err(self.err(
                key,
                format!("{other:?} is not one of \"tls\", \"starttls\", \"none\""),
            )),
        }
    }

    /// Plain-text connections carry passwords in the clear: allowed only on loopback.
    pub(super) fn check_plain_host(
        &self,
        key: &str,
        security: Security,
        host: &str,
    ) -> Result<(), ConfigError> {
        let loopback = host == "localhost"
            || host
                .parse::<std::net::IpAddr>()
                .map(|ip| ip.is_loopback())
                .unwrap_or(false);
        if security == Security::None && !loopback {
            return Err(self.err(
                key,
                format!("security = \"none\" is only allowed for a loopback host, not {host:?}: use \"tls\" or \"starttls\""),
            ));
        }
        Ok(())
    }
}
