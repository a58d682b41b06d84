//! Queries of the `raw_messages` table: every inbound message, byte for byte.

use std::borrow::Cow;

use anyhow::Result;

use super::Conn;
use super::script::{Arg, Script};

/// What ingest needs to know before writing anything, in one round trip:
/// whether a message with this key was taken in already, and how many
/// acknowledgments went to `rcpt` since `since` (for the rate limit).
pub async fn preread(
    c: &mut Conn,
    dedupe_key: &str,
    rcpt: Option<&str>,
    since: i64,
) -> Result<(bool, i64)> {
    let row = sqlx::query(
        "SELECT (SELECT COUNT(*) FROM raw_messages WHERE dedupe_key = $1) AS seen, \
         (SELECT COUNT(*) FROM outbox WHERE primary_rcpt = $2 AND kind = 'ack' AND created_at >= $3) AS acks",
    )
    .bind(dedupe_key)
    .bind(rcpt)
    .bind(since)
    .fetch_one(&mut *c)
    .await?;
    use sqlx::Row;
    Ok((row.try_get::<i64, _>("seen")? > 0, row.try_get("acks")?))
}

/// Stores the raw message as part of `w`. If another instance stored the
/// same key meanwhile, the unique key fails the script, the batch is retried
/// message by message, and [`preread`] then sees the duplicate.
pub fn push(w: &mut Script, dedupe_key: &str, source: &str, raw: Cow<'_, [u8]>, now: i64) {
    let size = raw.len() as i64;
    w.push(
        "INSERT INTO raw_messages (dedupe_key, source, received_at, size, raw) VALUES ($1, $2, $3, $4, $5)",
        vec![
            dedupe_key.into(),
            source.into(),
            now.into(),
            size.into(),
            Arg::Bytes(raw.into_owned()),
        ],
    );
}

/// The raw bytes of message `id` (what `rules replay` reclassifies).
pub async fn get(c: &mut Conn, id: i64) -> Result<Option<Vec<u8>>> {
    Ok(
        sqlx::query_scalar("SELECT raw FROM raw_messages WHERE id = $1")
            .bind(id)
            .fetch_optional(&mut *c)
            .await?,
    )
}
