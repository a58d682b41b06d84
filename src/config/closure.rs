//! `[closure]`: when a resolved ticket nobody answers closes by itself.

use serde::Deserialize;

use super::ConfigError;
use super::validator::Validator;
use crate::survey::Closure;

/// `[closure]` as written in the file.
///
/// ```toml
/// [closure]
/// auto_close_after = "5d"      # "off" keeps resolved tickets resolved
/// ```
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawClosure {
    auto_close_after: Option<String>,
}

impl Validator<'_> {
    pub(super) fn closure(&self, raw: RawClosure) -> Result<Closure, ConfigError> {
        let auto_close_after = match raw.auto_close_after.as_deref().map(str::trim) {
            None => Closure::default().auto_close_after,
            Some("off") => None,
            Some(v) => {
                let t = self.duration("closure.auto_close_after", v)?;
                if t.is_zero() {
                    return Err(self.err(
                        "closure.auto_close_after",
                        "must be longer than zero (or \"off\")",
                    ));
                }
                Some(t)
            }
        };
        Ok(Closure { auto_close_after })
    }
}
