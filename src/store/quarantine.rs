//! Queries of the `quarantine` table: mail that could not become a ticket.

use anyhow::Result;
use sqlx::Row;

use super::Conn;

#[derive(Debug, Clone)]
pub struct Held {
    pub id: i64,
    pub source: String,
    pub reason: String,
    pub size: i64,
    pub truncated: bool,
    pub status: String,
    pub received_at: i64,
}

/// Keeps `raw` with the reason. The same bytes twice are kept once; returns
/// the id either way.
pub async fn insert(
    c: &mut Conn,
    raw: &[u8],
    size: i64,
    truncated: bool,
    source: &str,
    reason: &str,
    now: i64,
) -> Result<i64> {
    use sha2::Digest;
    let sha = hex::encode(sha2::Sha256::digest(raw));
    let existing: Option<i64> = sqlx::query_scalar("SELECT id FROM quarantine WHERE sha256 = $1")
        .bind(&sha)
        .fetch_optional(&mut *c)
        .await?;
    if let Some(id) = existing {
        return Ok(id);
    }
    Ok(sqlx::query_scalar(
        "INSERT INTO quarantine (sha256, source, reason, size, raw, truncated, received_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
    )
    .bind(sha)
    .bind(source)
    .bind(reason)
    .bind(size)
    .bind(raw.to_vec())
    .bind(truncated as i64)
    .bind(now)
    .fetch_one(&mut *c)
    .await?)
}

pub async fn list(c: &mut Conn, include_done: bool) -> Result<Vec<Held>> {
    let filter = if include_done {
        ""
    } else {
        "WHERE status = 'held'"
    };
    let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT id, source, reason, size, truncated, status, received_at FROM quarantine {filter} ORDER BY id"
    )))
    .fetch_all(&mut *c)
    .await?;
    rows.iter()
        .map(|r| {
            Ok(Held {
                id: r.try_get("id")?,
                source: r.try_get("source")?,
                reason: r.try_get("reason")?,
                size: r.try_get("size")?,
                truncated: r.try_get::<i64, _>("truncated")? != 0,
                status: r.try_get("status")?,
                received_at: r.try_get("received_at")?,
            })
        })
        .collect()
}

pub async fn raw(c: &mut Conn, id: i64) -> Result<Option<(Vec<u8>, bool)>> {
    let row = sqlx::query("SELECT raw, truncated FROM quarantine WHERE id = $1")
        .bind(id)
        .fetch_optional(&mut *c)
        .await?;
    row.map(|r| Ok((r.try_get("raw")?, r.try_get::<i64, _>("truncated")? != 0)))
        .transpose()
}

pub async fn set_status(c: &mut Conn, id: i64, status: &str, now: i64) -> Result<()> {
    sqlx::query("UPDATE quarantine SET status = $1, retried_at = $2 WHERE id = $3")
        .bind(status)
        .bind(now)
        .bind(id)
        .execute(&mut *c)
        .await?;
    Ok(())
}

pub async fn count_held(c: &mut Conn) -> Result<i64> {
    Ok(
        sqlx::query_scalar("SELECT COUNT(*) FROM quarantine WHERE status = 'held'")
            .fetch_one(&mut *c)
            .await?,
    )
}
