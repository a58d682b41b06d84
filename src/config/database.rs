//! `[database]`: which database, and how long a write waits for a lock.

use std::time::Duration;

use serde::Deserialize;

use super::ConfigError;
use super::validator::Validator;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawDatabase {
    url: String,
    busy_timeout: Option<String>,
}

impl Validator<'_> {
    /// The URL (SQLite or PostgreSQL) and SQLite's busy timeout.
    pub(super) fn database(&self, raw: RawDatabase) -> Result<(String, Duration), ConfigError> {
        let url = raw.url.trim().to_string();
        if !(url.starts_with("sqlite:")
            || url.starts_with("postgres://")
            || url.starts_with("postgresql://"))
        {
            return Err(self.err(
                "database.url",
                format!("{url:?} is neither sqlite:… nor postgres://…"),
            ));
        }
        let busy_timeout = match &raw.busy_timeout {
            Some(v) => self.duration("database.busy_timeout", v)?,
            None => Duration::from_secs(10),
        };
        Ok((url, busy_timeout))
    }
}
