//! `[auth]`: how staff commands are authenticated, and what needs a
//! manager. The settings type is the core's ([`Auth`]); this file reads and
//! checks the section.

use std::time::Duration;

use serde::Deserialize;

use super::validator::Validator;
use super::{Auth, AuthMode, ConfigError, DEFAULT_TOKEN_LIFETIME, Role};

/// Headers a sender writes: never where a delivery says it went.
const SENDER_HEADERS: [&str; 9] = [
    "to",
    "cc",
    "bcc",
    "from",
    "sender",
    "reply-to",
    "subject",
    "resent-to",
    "resent-cc",
];

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawAuth {
    mode: Option<String>,
    secret_env: Option<String>,
    token_lifetime: Option<String>,
    recipient_header: Option<String>,
    authserv_id: Option<String>,
    close_requires: Option<String>,
    move_requires: Option<String>,
}

impl Validator<'_> {
    pub(super) fn role(&self, key: &str, v: Option<&str>) -> Result<Role, ConfigError> {
        match v.unwrap_or("manager") {
            "agent" => Ok(Role::Agent),
            "manager" => Ok(Role::Manager),
            other => Err(self.err(key, format!("{other:?} is not \"agent\" or \"manager\""))),
        }
    }

    pub(super) fn auth(&self, a: RawAuth) -> Result<Auth, ConfigError> {
        let mode = match a.mode.as_deref().unwrap_or("token") {
            "token" => AuthMode::Token,
            "dkim" => AuthMode::Dkim,
            "both" => AuthMode::Both,
            other => {
                return Err(self.err(
                    "auth.mode",
                    format!("{other:?} is not \"token\", \"dkim\" or \"both\""),
                ));
            }
        };
        let authserv_id = a.authserv_id.map(|s| s.trim().to_string());
        if mode != AuthMode::Token && authserv_id.as_deref().is_none_or(str::is_empty) {
            return Err(self.err(
                "auth.authserv_id",
                format!(
                    "required when mode = {:?}: the authserv-id your mail server writes in Authentication-Results",
                    mode.as_str()
                ),
            ));
        }
        if let Some(e) = &a.secret_env
            && (e.is_empty() || e.contains(['=', '\0']))
        {
            return Err(self.err("auth.secret_env", format!("{e:?} is not a variable name")));
        }
        let token_lifetime = match &a.token_lifetime {
            Some(v) => self.duration("auth.token_lifetime", v)?,
            None => DEFAULT_TOKEN_LIFETIME,
        };
        if token_lifetime < Duration::from_secs(60) {
            return Err(self.err(
                "auth.token_lifetime",
                "must be at least a minute (tokens count in minutes); the default is \"60d\"",
            ));
        }
        let recipient_header = a.recipient_header.map(|h| h.trim().to_string());
        if let Some(h) = &recipient_header {
            let valid = !h.is_empty() && h.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-');
            if !valid || SENDER_HEADERS.contains(&h.to_ascii_lowercase().as_str()) {
                return Err(self.err(
                    "auth.recipient_header",
                    format!(
                        "{h:?} is not a header your mail server adds on delivery: name one such as \
                         \"Delivered-To\" or \"X-Original-To\", or leave it out to read To and Cc"
                    ),
                ));
            }
        }
        Ok(Auth {
            mode,
            secret_env: a.secret_env,
            token_lifetime,
            recipient_header,
            authserv_id,
            close_requires: self.role("auth.close_requires", a.close_requires.as_deref())?,
            move_requires: self.role("auth.move_requires", a.move_requires.as_deref())?,
        })
    }
}
