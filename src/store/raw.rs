//! Queries of the `raw_messages` table: every inbound message, byte for byte.

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
    .bind(raw.to_vec())
    .fetch_one(&mut *c)
    .await?)
}

pub async fn get(c: &mut Conn, id: i64) -> Result<Option<Vec<u8>>> {
    Ok(
        sqlx::query_scalar("SELECT raw FROM raw_messages WHERE id = $1")
            .bind(id)
            .fetch_optional(&mut *c)
            .await?,
    )
}
