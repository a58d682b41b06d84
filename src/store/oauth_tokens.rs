//! Queries of `oauth_tokens`: the refresh token of each OAuth 2.0 mailbox
//! ("imap", "smtp"), from `posko auth login`.

use anyhow::{Context, Result};
use sqlx::Row;

use super::Conn;

/// The refresh token stored for `mailbox`, if any.
pub async fn get(c: &mut Conn, mailbox: &str) -> Result<Option<String>> {
    let row = sqlx::query("SELECT refresh_token FROM oauth_tokens WHERE mailbox = $1")
        .bind(mailbox)
        .fetch_optional(&mut *c)
        .await
        .context("cannot read the stored refresh token (table oauth_tokens)")?;
    Ok(row.map(|r| r.try_get("refresh_token")).transpose()?)
}

/// Stores (or replaces) the refresh token of `mailbox`.
pub async fn put(c: &mut Conn, mailbox: &str, refresh_token: &str, now: i64) -> Result<()> {
    sqlx::query(
        "INSERT INTO oauth_tokens (mailbox, refresh_token, updated_at) VALUES ($1, $2, $3) \
         ON CONFLICT (mailbox) DO UPDATE SET refresh_token = excluded.refresh_token, \
         updated_at = excluded.updated_at",
    )
    .bind(mailbox)
    .bind(refresh_token)
    .bind(now)
    .execute(&mut *c)
    .await
    .context("cannot store the refresh token (table oauth_tokens)")?;
    Ok(())
}
