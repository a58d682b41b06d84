//! Queries of the `raw_messages` table: every inbound message, byte for byte.

use std::borrow::Cow;

use anyhow::Result;

use super::Conn;
use super::script::{Arg, Script};

/// True when a message with this key was already taken in.
pub async fn exists(c: &mut Conn, dedupe_key: &str) -> Result<bool> {
    let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM raw_messages WHERE dedupe_key = $1")
        .bind(dedupe_key)
        .fetch_one(&mut *c)
        .await?;
    Ok(n > 0)
}

/// Stores the raw message and returns its id.
pub async fn insert(
    c: &mut Conn,
    dedupe_key: &str,
    source: &str,
    raw: &[u8],
    now: i64,
) -> Result<i64> {
    Ok(sqlx::query_scalar(
        "INSERT INTO raw_messages (dedupe_key, source, received_at, size, raw) \
         VALUES ($1, $2, $3, $4, $5) RETURNING id",
    )
    .bind(dedupe_key)
    .bind(source)
    .bind(now)
    .bind(raw.len() as i64)
    // The slice itself, not `raw.to_vec()`: binding already copies it once,
    // and a large message should not be held in memory one more time.
    .bind(raw)
    .fetch_one(&mut *c)
    .await?)
}

/// Stores the raw message unless one with this key was taken in before:
/// `Some(id)` when stored, `None` for a duplicate. One statement instead of
/// [`exists`] then [`insert`], which halves the round trips to the database
/// for this step of every message.
///
/// Binding copies the bytes into the query. An owned `raw` is moved in and
/// freed right after that copy, so a large message is not held once more
/// while the database builds the row (see [`crate::ingest::LARGE_MESSAGE`]).
pub async fn insert_new(
    c: &mut Conn,
    dedupe_key: &str,
    source: &str,
    raw: Cow<'_, [u8]>,
    now: i64,
) -> Result<Option<i64>> {
    let query = sqlx::query_scalar(
        "INSERT INTO raw_messages (dedupe_key, source, received_at, size, raw) \
         VALUES ($1, $2, $3, $4, $5) ON CONFLICT (dedupe_key) DO NOTHING RETURNING id",
    )
    .bind(dedupe_key)
    .bind(source)
    .bind(now)
    .bind(raw.len() as i64);
    let query = match raw {
        Cow::Borrowed(b) => query.bind(b),
        Cow::Owned(v) => query.bind(v),
    };
    Ok(query.fetch_optional(&mut *c).await?)
}

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
