//! `digest_sends`: which daily digests were queued, one row per date,
//! recipient and scope. The row is the claim: inserted with
//! `ON CONFLICT DO NOTHING` in the transaction that queues the mail, so a
//! digest goes out once however many instances tick and however often the
//! daemon restarts.

use anyhow::Result;

use super::Conn;

/// One digest to claim.
pub struct Claim<'a> {
    /// The digest's date, `YYYY-MM-DD` (desk time zone).
    pub date: &'a str,
    /// The recipient's address as configured.
    pub recipient: &'a str,
    /// `""` for the whole desk, else the group's key.
    pub scope: &'a str,
    pub message_id: &'a str,
    pub now: i64,
}

/// Claims the digest; `false` when another transaction (another instance,
/// an earlier run) holds the claim already and nothing may be sent.
pub async fn claim(c: &mut Conn, k: &Claim<'_>) -> Result<bool> {
    let done = sqlx::query(
        "INSERT INTO digest_sends (date, recipient, scope, message_id, queued_at) \
         VALUES ($1, $2, $3, $4, $5) ON CONFLICT (date, recipient, scope) DO NOTHING",
    )
    .bind(k.date)
    .bind(k.recipient)
    .bind(k.scope)
    .bind(k.message_id)
    .bind(k.now)
    .execute(&mut *c)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// The (recipient, scope) pairs whose digest of `date` is claimed: what a
/// tick skips without computing anything.
pub async fn claimed(c: &mut Conn, date: &str) -> Result<Vec<(String, String)>> {
    Ok(
        sqlx::query_as("SELECT recipient, scope FROM digest_sends WHERE date = $1")
            .bind(date)
            .fetch_all(&mut *c)
            .await?,
    )
}
