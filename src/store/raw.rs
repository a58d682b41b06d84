//! Queries of the `raw_messages` table: every inbound message, byte for byte.

use std::borrow::Cow;
use std::collections::{HashMap, HashSet};

use anyhow::Result;
use sqlx::AssertSqlSafe;

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

/// How many acknowledgments went to `rcpt` since `since`.
pub async fn acks_to(c: &mut Conn, rcpt: &str, since: i64) -> Result<i64> {
    Ok(sqlx::query_scalar(
        "SELECT COUNT(*) FROM outbox WHERE primary_rcpt = $1 AND kind = 'ack' AND created_at >= $2",
    )
    .bind(rcpt)
    .bind(since)
    .fetch_one(&mut *c)
    .await?)
}

/// How many acknowledgments the whole desk sent since `since`: counted from
/// their `ack_queued` events, which the `(kind, at)` index finds directly
/// (the outbox has no index by kind and time). One such event is written
/// with every acknowledgment queued, in the same transaction.
pub async fn acks_total(c: &mut Conn, since: i64) -> Result<i64> {
    Ok(sqlx::query_scalar(ACKS_TOTAL)
        .bind(since)
        .fetch_one(&mut *c)
        .await?)
}

const ACKS_TOTAL: &str = "SELECT COUNT(*) FROM events WHERE kind = 'ack_queued' AND at >= $1";

/// [`preread`] for many messages at once (a batch): which of `keys` were
/// taken in already, the acknowledgments each of `rcpts` got since `since`
/// (recipients without any are left out of the map), and the desk's
/// acknowledgments since then.
pub async fn preread_many(
    c: &mut Conn,
    keys: &[&str],
    rcpts: &[&str],
    since: i64,
) -> Result<(HashSet<String>, HashMap<String, i64>, i64)> {
    let mut seen = HashSet::new();
    if !keys.is_empty() {
        let sql = format!(
            "SELECT dedupe_key FROM raw_messages WHERE dedupe_key IN ({})",
            placeholders(1, keys.len())
        );
        let mut q = sqlx::query_scalar::<_, String>(AssertSqlSafe(sql));
        for k in keys {
            q = q.bind(*k);
        }
        seen.extend(q.fetch_all(&mut *c).await?);
    }
    let total = acks_total(c, since).await?;
    let mut acks = HashMap::new();
    if !rcpts.is_empty() {
        let sql = format!(
            "SELECT primary_rcpt, COUNT(*) FROM outbox \
             WHERE kind = 'ack' AND created_at >= $1 AND primary_rcpt IN ({}) \
             GROUP BY primary_rcpt",
            placeholders(2, rcpts.len())
        );
        let mut q = sqlx::query_as::<_, (String, i64)>(AssertSqlSafe(sql)).bind(since);
        for r in rcpts {
            q = q.bind(*r);
        }
        acks.extend(q.fetch_all(&mut *c).await?);
    }
    Ok((seen, acks, total))
}

/// Makes the acknowledgment counts of this transaction exact across
/// instances: on PostgreSQL, a transaction-scoped advisory lock that every
/// intake transaction takes first, so no two count the same window at
/// once and both send past a limit. SQLite needs nothing: intake
/// transactions begin IMMEDIATE, one writer at a time.
pub async fn lock_ack_counts(c: &mut Conn, backend: super::Backend) -> Result<()> {
    if backend == super::Backend::Postgres {
        // The function returns `void`, which the Any driver cannot decode:
        // select a constant beside it. The key is "posko" in ASCII.
        sqlx::query("SELECT 1 FROM (SELECT pg_advisory_xact_lock(482921687919)) AS l")
            .execute(&mut *c)
            .await?;
    }
    Ok(())
}

/// `$first, $first+1, …`: `n` parameters.
pub(super) fn placeholders(first: usize, n: usize) -> String {
    (first..first + n)
        .map(|i| format!("${i}"))
        .collect::<Vec<_>>()
        .join(", ")
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
