//! The `[digest]` section: its file format (serde, unknown keys rejected)
//! and its validation into [`Settings`]. Kept beside the digest until the
//! configuration is split per section; `config.rs` then holds a
//! `digest: RawDigest` field and calls [`RawDigest::validate`].
//!
//! ```toml
//! [digest]
//! enabled = true
//! at = "07:00"                 # desk time zone; business days of [calendar]
//! to = ["managers"]            # every [[staff]] with role = "manager", or addresses
//! recurring_threshold = 3
//! recurring_window = "7d"
//! font = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"
//! ```

use std::path::PathBuf;

use chrono::NaiveTime;
use serde::Deserialize;

use crate::config::{ConfigError, Role, Staff, parse_duration};
use crate::domain::EmailAddress;

/// The font the charts are drawn with when `font` is not set (Debian's
/// `fonts-dejavu-core`, which `scripts/setup.sh` installs).
pub const DEFAULT_FONT: &str = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf";

/// `[digest]` as written in the file; every field has a default.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawDigest {
    /// Send the daily digest (the daemon's tick); `posko digest` works either way.
    #[serde(default)]
    pub enabled: bool,
    /// Local time of sending, `HH:MM`, on business days.
    #[serde(default = "default_at")]
    pub at: String,
    /// `"managers"` or addresses.
    #[serde(default = "default_to")]
    pub to: Vec<String>,
    /// How many similar incidents make a problem candidate.
    #[serde(default = "default_threshold")]
    pub recurring_threshold: u32,
    /// How far back the incidents of a problem candidate may lie.
    #[serde(default = "default_window")]
    pub recurring_window: String,
    /// The TrueType font of the charts.
    #[serde(default)]
    pub font: Option<PathBuf>,
}

impl Default for RawDigest {
    fn default() -> RawDigest {
        RawDigest {
            enabled: false,
            at: default_at(),
            to: default_to(),
            recurring_threshold: default_threshold(),
            recurring_window: default_window(),
            font: None,
        }
    }
}

fn default_at() -> String {
    "07:00".into()
}
fn default_to() -> Vec<String> {
    vec!["managers".into()]
}
fn default_threshold() -> u32 {
    3
}
fn default_window() -> String {
    "7d".into()
}

/// Who gets the desk-wide digest.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum To {
    /// Every staff member with `role = "manager"`.
    Managers,
    Address(EmailAddress),
}

/// The validated section.
#[derive(Debug, Clone)]
pub struct Settings {
    pub enabled: bool,
    pub at: NaiveTime,
    pub to: Vec<To>,
    pub recurring_threshold: usize,
    /// Seconds.
    pub recurring_window: i64,
    pub font: PathBuf,
}

impl Default for Settings {
    fn default() -> Settings {
        RawDigest::default()
            .validate("-")
            .expect("the defaults are valid")
    }
}

impl RawDigest {
    /// Checks the section; `file` names the configuration in errors.
    pub fn validate(self, file: &str) -> Result<Settings, ConfigError> {
        let err = |key: &str, reason: String| ConfigError {
            file: file.to_string(),
            key: format!("digest.{key}"),
            reason,
        };
        let at = NaiveTime::parse_from_str(self.at.trim(), "%H:%M").map_err(|_| {
            err(
                "at",
                format!("{:?} is not a time such as \"07:00\"", self.at),
            )
        })?;
        let mut to = Vec::new();
        for entry in &self.to {
            let e = entry.trim();
            if e.eq_ignore_ascii_case("managers") {
                to.push(To::Managers);
            } else {
                let a = EmailAddress::parse(e).ok_or_else(|| {
                    err(
                        "to",
                        format!("{e:?} is neither \"managers\" nor an address"),
                    )
                })?;
                to.push(To::Address(a));
            }
        }
        if self.recurring_threshold < 2 {
            return Err(err(
                "recurring_threshold",
                "a problem takes at least 2 incidents".into(),
            ));
        }
        let window = parse_duration(&self.recurring_window)
            .map_err(|e| err("recurring_window", e))?
            .as_secs() as i64;
        if window < 3600 {
            return Err(err(
                "recurring_window",
                "at least an hour, e.g. \"7d\"".into(),
            ));
        }
        Ok(Settings {
            enabled: self.enabled,
            at,
            to,
            recurring_threshold: self.recurring_threshold as usize,
            recurring_window: window,
            font: self.font.unwrap_or_else(|| PathBuf::from(DEFAULT_FONT)),
        })
    }
}

impl Settings {
    /// The addresses of the desk-wide digest, each once: `managers` expands
    /// to the staff with that role.
    pub fn recipients(&self, staff: &[Staff]) -> Vec<EmailAddress> {
        let mut out: Vec<EmailAddress> = Vec::new();
        let mut add = |a: &EmailAddress| {
            if !out.iter().any(|o| o.base() == a.base()) {
                out.push(a.clone());
            }
        };
        for t in &self.to {
            match t {
                To::Managers => staff
                    .iter()
                    .filter(|s| s.role == Role::Manager)
                    .for_each(|s| add(&s.email)),
                To::Address(a) => add(a),
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn raw(text: &str) -> Result<RawDigest, toml::de::Error> {
        toml::from_str(text)
    }

    #[test]
    fn defaults_and_the_documented_section() {
        let s = Settings::default();
        assert_eq!(s.at, NaiveTime::from_hms_opt(7, 0, 0).unwrap());
        assert_eq!(s.to, vec![To::Managers]);
        assert_eq!((s.recurring_threshold, s.recurring_window), (3, 7 * 86_400));
        assert_eq!(s.font, PathBuf::from(DEFAULT_FONT));
        let s = raw(
            "enabled = true\nat = \"06:30\"\nto = [\"managers\", \"dir@corp.test\"]\n\
                     recurring_threshold = 4\nrecurring_window = \"14d\"",
        )
        .unwrap()
        .validate("posko.toml")
        .unwrap();
        assert!(s.enabled);
        assert_eq!(s.to.len(), 2);
        assert_eq!(s.recurring_window, 14 * 86_400);
    }

    #[test]
    fn bad_values_name_the_key() {
        assert!(raw("colour = 1").is_err());
        let e = raw("at = \"7 o'clock\"")
            .unwrap()
            .validate("f")
            .unwrap_err();
        assert_eq!(e.key, "digest.at");
        let e = raw("to = [\"not an address\"]")
            .unwrap()
            .validate("f")
            .unwrap_err();
        assert_eq!(e.key, "digest.to");
        let e = raw("recurring_threshold = 1")
            .unwrap()
            .validate("f")
            .unwrap_err();
        assert_eq!(e.key, "digest.recurring_threshold");
        let e = raw("recurring_window = \"7x\"")
            .unwrap()
            .validate("f")
            .unwrap_err();
        assert_eq!(e.key, "digest.recurring_window");
    }
}
