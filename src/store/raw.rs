//! Queries of the `raw_messages` table: every inbound message, byte for byte.

use std::borrow::Cow;

use anyhow::Result;

use super::Conn;

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

/// The raw bytes of message `id` (what `rules replay` reclassifies).
pub async fn get(c: &mut Conn, id: i64) -> Result<Option<Vec<u8>>> {
    Ok(
        sqlx::query_scalar("SELECT raw FROM raw_messages WHERE id = $1")
            .bind(id)
            .fetch_optional(&mut *c)
            .await?,
    )
}
