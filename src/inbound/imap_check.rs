//! What `posko check` and `/readyz` say about the IMAP source: a trial
//! login (with the OAuth token's expiry), and the kind of a failed connect.

use anyhow::Result;

use super::imap::{ImapIntake, timed};
use crate::config::ImapSettings;
use crate::ingest::Ingestor;

/// What kind of failure a failed connect was, for `/readyz`.
pub(super) fn connect_failure(e: &anyhow::Error) -> &'static str {
    let text = format!("{e:#}");
    if crate::oauth::is_endpoint_failure(e) {
        "OAuth2 token endpoint failed"
    } else if text.contains("posko auth login") {
        "no OAuth2 refresh token (run posko auth login)"
    } else if text.contains("login as") {
        "login failed"
    } else if text.contains("cannot reach") {
        "cannot connect"
    } else {
        "connection failed"
    }
}

/// For `posko check`: connect, log in, select, and say what was found.
pub async fn check(settings: &ImapSettings, ingestor: Ingestor) -> Result<String> {
    let intake = ImapIntake::new(settings.clone(), ingestor);
    let mut conn = intake.connect().await?;
    let _ = timed(settings.timeout, "LOGOUT", conn.session.logout()).await;
    let how = match conn.token_expires {
        Some(at) => format!(
            " with OAuth2 (access token valid until {})",
            crate::sla::notice::rfc3339(at)
        ),
        None => String::new(),
    };
    Ok(format!(
        "IMAP {}:{} answers; logged in as {}{how}; mailbox {:?} open (UIDVALIDITY {}, IDLE {})",
        settings.host,
        settings.port,
        settings.username,
        settings.mailbox,
        conn.uidvalidity,
        if conn.can_idle {
            "offered"
        } else {
            "not offered"
        }
    ))
}
