//! `[log]`: text or JSON lines, and the level.

use serde::Deserialize;

use super::validator::Validator;
use super::{ConfigError, LogSettings};

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawLog {
    format: Option<String>,
    level: Option<String>,
}

impl Validator<'_> {
    pub(super) fn log(&self, raw: RawLog) -> Result<LogSettings, ConfigError> {
        let json = match raw.format.as_deref().unwrap_or("text") {
            "text" => false,
            "json" => true,
            other => {
                return Err(self.err(
                    "log.format",
                    format!("{other:?} is not \"text\" or \"json\""),
                ));
            }
        };
        Ok(LogSettings {
            json,
            level: raw.level.unwrap_or_else(|| "info".into()),
        })
    }
}
