//! What every section's check shares: the file name for messages, and
//! addresses, durations and sizes read with the key they came from.

use std::time::Duration;

use super::{ConfigError, parse_duration, parse_size};
use crate::domain::EmailAddress;

/// Checks raw sections of one file into typed values; each section's
/// checks live beside its raw type (`desk.rs`, `inbound.rs`, …).
pub(super) struct Validator<'a> {
    pub(super) file: &'a str,
}

impl Validator<'_> {
    pub(super) fn err(&self, key: &str, reason: impl Into<String>) -> ConfigError {
        ConfigError {
            file: self.file.to_string(),
            key: key.to_string(),
            reason: reason.into(),
        }
    }

    pub(super) fn address(&self, key: &str, value: &str) -> Result<EmailAddress, ConfigError> {
        EmailAddress::parse(value)
            .ok_or_else(|| self.err(key, format!("{value:?} is not an e-mail address")))
    }

    pub(super) fn duration(&self, key: &str, value: &str) -> Result<Duration, ConfigError> {
        parse_duration(value).map_err(|why| self.err(key, why))
    }

    pub(super) fn size(&self, key: &str, value: &str) -> Result<u64, ConfigError> {
        parse_size(value).map_err(|why| self.err(key, why))
    }
}
