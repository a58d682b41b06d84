//! Queries of the `outbox` table: outgoing mail waiting to be sent.
//!
//! A row is claimed with a lease (`status = 'sending'`, `locked_until`), so
//! several instances on one PostgreSQL database never send the same row at
//! the same time, and a row whose sender crashed is picked up again once the
//! lease runs out. Rows are claimed and marked sent in batches (a commit
//! each, not one per row); see [`crate::outbox`].
//!
//! The mail's bytes live in `outbox_raw`, one row per queued mail, written
//! with its `outbox` row and never updated: a claim or a mark rewrites the
//! small `outbox` row only, not the ~5 KB of mail (on SQLite that copy of
//! the overflow pages was about half of a pass's page writes).

use anyhow::Result;
use sqlx::any::AnyRow;
use sqlx::{AssertSqlSafe, Row};

use super::script::{Arg, Script};
use super::{Backend, Conn};
use crate::domain::{MailKind, TicketId};

/// A message to queue.
#[derive(Debug, Clone)]
pub struct NewOutgoing<'a> {
    pub ticket_id: Option<TicketId>,
    pub kind: &'a str,
    pub message_id: &'a str,
    pub env_from: &'a str,
    pub rcpts: &'a [String],
    /// The recipient that counts for rate limits (the requester for acks).
    pub primary_rcpt: &'a str,
    pub subject: &'a str,
    pub raw: &'a [u8],
    pub due_at: i64,
    pub now: i64,
}

/// A row claimed for sending.
#[derive(Debug, Clone)]
pub struct Claimed {
    pub id: i64,
    pub ticket_id: Option<TicketId>,
    pub kind: String,
    pub message_id: String,
    pub env_from: String,
    pub rcpts: Vec<String>,
    pub raw: Vec<u8>,
    /// Including this attempt.
    pub attempts: i64,
}

/// A row as listed for people.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Listed {
    pub id: i64,
    pub ticket_id: Option<TicketId>,
    pub kind: String,
    pub rcpts: Vec<String>,
    pub subject: String,
    pub status: String,
    pub attempts: i64,
    pub due_at: i64,
    pub last_error: Option<String>,
}

pub async fn enqueue(c: &mut Conn, o: &NewOutgoing<'_>) -> Result<i64> {
    let mut args = sqlx::any::AnyArguments::default();
    for a in row_args(o)? {
        super::script::bind(&mut args, a)?;
    }
    let id = sqlx::query_scalar_with(AssertSqlSafe(format!("{INSERT} RETURNING id")), args)
        .fetch_one(&mut *c)
        .await?;
    sqlx::query(RAW_INSERT)
        .bind(o.message_id)
        .bind(o.raw.to_vec())
        .execute(&mut *c)
        .await?;
    Ok(id)
}

/// Like [`enqueue`], as part of `w`.
pub fn push(w: &mut Script, o: &NewOutgoing<'_>) -> Result<()> {
    w.push(INSERT, row_args(o)?);
    w.push(RAW_INSERT, vec![o.message_id.into(), o.raw.into()]);
    note_ack(w, o);
    Ok(())
}

/// An acknowledgment's row counts against its recipient's limit, failed
/// or not (`raw::preread` counts the same rows).
fn note_ack(w: &mut Script, o: &NewOutgoing<'_>) {
    if o.kind == MailKind::Ack.as_str() {
        w.note_ack(o.primary_rcpt);
    }
}

const INSERT: &str = "INSERT INTO outbox (ticket_id, kind, message_id, env_from, rcpts, primary_rcpt, subject, \
     status, due_at, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, 'queued', $8, $9)";

/// The bytes of the mail just queued as `$1` (its Message-ID, unique).
/// A single-row `VALUES` insert, so PostgreSQL's batch merges it like the
/// others ([`super::script_pg`]'s merge, `outbox_raw` after `outbox`).
/// The row is found by its Message-ID alone: with `AND status = 'queued'`
/// PostgreSQL's plan, made while the tables are small, could take the
/// `outbox_due` index and read every queued row for each mail (a 5,000
/// message ingest spent 16 of its 20 s of statements there). Dry runs
/// count this statement as queued mail ([`crate::ingest`]'s dry run).
pub(crate) const RAW_INSERT: &str = "INSERT INTO outbox_raw (outbox_id, raw) VALUES ((SELECT id FROM outbox WHERE message_id = $1), $2)";

/// `o` as the arguments `$1`…`$9` of an insert (its bytes go separately).
fn row_args(o: &NewOutgoing<'_>) -> Result<Vec<Arg>> {
    Ok(vec![
        o.ticket_id.into(),
        o.kind.into(),
        o.message_id.into(),
        o.env_from.into(),
        serde_json::to_string(o.rcpts)?.into(),
        o.primary_rcpt.into(),
        o.subject.into(),
        o.due_at.into(),
        o.now.into(),
    ])
}

/// Records mail that could not be built as a `failed` row (no bytes kept)
/// with the reason, as part of `w`: `outbox list` shows it, nothing tries to
/// send it, and the rest of the work goes on.
pub fn push_failed(w: &mut Script, o: &NewOutgoing<'_>, error: &str) -> Result<()> {
    w.push(FAILED_INSERT, failed_args(o, error)?);
    note_ack(w, o);
    Ok(())
}

/// [`push_failed`] at once, for a caller without a script.
pub async fn insert_failed(c: &mut Conn, o: &NewOutgoing<'_>, error: &str) -> Result<()> {
    let mut args = sqlx::any::AnyArguments::default();
    for a in failed_args(o, error)? {
        super::script::bind(&mut args, a)?;
    }
    sqlx::query_with(FAILED_INSERT, args)
        .execute(&mut *c)
        .await?;
    Ok(())
}

const FAILED_INSERT: &str = "INSERT INTO outbox (ticket_id, kind, message_id, env_from, rcpts, \
     primary_rcpt, subject, status, due_at, created_at, last_error) \
     VALUES ($1, $2, $3, $4, $5, $6, $7, 'failed', $8, $9, $10)";

fn failed_args(o: &NewOutgoing<'_>, error: &str) -> Result<Vec<Arg>> {
    let mut args = row_args(o)?;
    args.push(error.into());
    Ok(args)
}

fn claimed(r: &AnyRow) -> Result<Claimed> {
    let rcpts: String = r.try_get("rcpts")?;
    Ok(Claimed {
        id: r.try_get("id")?,
        ticket_id: r.try_get("ticket_id")?,
        kind: r.try_get("kind")?,
        message_id: r.try_get("message_id")?,
        env_from: r.try_get("env_from")?,
        rcpts: serde_json::from_str(&rcpts)?,
        // Every queued row has its bytes (written in the same
        // transaction); a missing one would be an empty mail.
        raw: r.try_get::<Option<Vec<u8>>, _>("raw")?.unwrap_or_default(),
        attempts: r.try_get("attempts")?,
    })
}

/// Claims up to `limit` due rows for `lease` seconds, oldest due first
/// (empty when nothing is due): one statement, one commit for the lot.
///
/// The outer condition is checked again on each row as it is updated, so
/// a row another instance claimed meanwhile is left out, never shared. On
/// PostgreSQL the rows are picked `FOR UPDATE SKIP LOCKED`: two instances
/// claiming at once take different rows instead of one waiting for the
/// other's and then finding them taken. SQLite has one writer at a time.
pub async fn claim_due(c: &mut Conn, now: i64, lease: i64, limit: i64) -> Result<Vec<Claimed>> {
    let sql = match super::backend_of(c) {
        Backend::Sqlite => CLAIM_SQLITE,
        Backend::Postgres => CLAIM_POSTGRES,
    };
    let rows = sqlx::query(sql)
        .bind(now)
        .bind(now + lease)
        .bind(limit)
        .fetch_all(&mut *c)
        .await?;
    let mut claimed = rows
        .iter()
        .map(|r| Ok((r.try_get::<i64, _>("due_at")?, claimed(r)?)))
        .collect::<Result<Vec<_>>>()?;
    // RETURNING keeps no order.
    claimed.sort_by_key(|(due, row)| (*due, row.id));
    Ok(claimed.into_iter().map(|(_, row)| row).collect())
}

const CLAIM_SQLITE: &str = "UPDATE outbox SET status = 'sending', locked_until = $2, attempts = attempts + 1 \
     WHERE id IN (SELECT id FROM outbox WHERE (status = 'queued' AND due_at <= $1) \
                  OR (status = 'sending' AND locked_until <= $1) ORDER BY due_at, id LIMIT $3) \
     AND (status = 'queued' OR (status = 'sending' AND locked_until <= $1)) \
     RETURNING id, ticket_id, kind, message_id, env_from, rcpts, attempts, due_at, \
     (SELECT raw FROM outbox_raw WHERE outbox_id = outbox.id) AS raw";

/// The rows picked once, in a materialized CTE: a locking subquery inside
/// `IN (…)` may be run again for each row the update visits, and then picks
/// more than `LIMIT` rows.
const CLAIM_POSTGRES: &str = "WITH picked AS MATERIALIZED (SELECT id FROM outbox \
     WHERE (status = 'queued' AND due_at <= $1) OR (status = 'sending' AND locked_until <= $1) \
     ORDER BY due_at, id LIMIT $3 FOR UPDATE SKIP LOCKED) \
     UPDATE outbox SET status = 'sending', locked_until = $2, attempts = attempts + 1 \
     FROM picked WHERE outbox.id = picked.id \
     AND (outbox.status = 'queued' OR (outbox.status = 'sending' AND outbox.locked_until <= $1)) \
     RETURNING outbox.id, ticket_id, kind, message_id, env_from, rcpts, attempts, due_at, \
     (SELECT raw FROM outbox_raw WHERE outbox_id = outbox.id) AS raw";

/// Gives rows claimed with the lease ending at `locked_until` back unsent
/// (their attempt not counted), for a sender that stops before it got to
/// them. A row whose lease ran out and was claimed again is not touched.
pub async fn release(c: &mut Conn, ids: &[i64], locked_until: i64) -> Result<()> {
    if ids.is_empty() {
        return Ok(());
    }
    let sql = format!(
        "UPDATE outbox SET status = 'queued', locked_until = NULL, attempts = attempts - 1 \
         WHERE status = 'sending' AND locked_until = $1 AND id IN ({})",
        super::raw::placeholders(2, ids.len())
    );
    let mut q = sqlx::query(AssertSqlSafe(sql)).bind(locked_until);
    for id in ids {
        q = q.bind(*id);
    }
    q.execute(&mut *c).await?;
    Ok(())
}

/// Marks rows `ids` sent, in one statement.
pub async fn mark_sent(c: &mut Conn, ids: &[i64], now: i64) -> Result<()> {
    if ids.is_empty() {
        return Ok(());
    }
    let sql = format!(
        "UPDATE outbox SET status = 'sent', sent_at = $1, locked_until = NULL, last_error = NULL \
         WHERE id IN ({})",
        super::raw::placeholders(2, ids.len())
    );
    let mut q = sqlx::query(AssertSqlSafe(sql)).bind(now);
    for id in ids {
        q = q.bind(*id);
    }
    q.execute(&mut *c).await?;
    Ok(())
}

pub async fn mark_retry(c: &mut Conn, id: i64, due_at: i64, error: &str) -> Result<()> {
    sqlx::query(
        "UPDATE outbox SET status = 'queued', due_at = $1, locked_until = NULL, last_error = $2 WHERE id = $3",
    )
    .bind(due_at)
    .bind(error)
    .bind(id)
    .execute(&mut *c)
    .await?;
    Ok(())
}

pub async fn mark_failed(c: &mut Conn, id: i64, error: &str) -> Result<()> {
    sqlx::query(
        "UPDATE outbox SET status = 'failed', locked_until = NULL, last_error = $1 WHERE id = $2",
    )
    .bind(error)
    .bind(id)
    .execute(&mut *c)
    .await?;
    Ok(())
}

/// Rows not yet sent (queued, sending, failed), oldest first.
pub async fn list_unsent(c: &mut Conn, limit: i64) -> Result<Vec<Listed>> {
    let rows = sqlx::query(
        "SELECT id, ticket_id, kind, rcpts, subject, status, attempts, due_at, last_error FROM outbox \
         WHERE status <> 'sent' ORDER BY id LIMIT $1",
    )
    .bind(limit)
    .fetch_all(&mut *c)
    .await?;
    rows.iter()
        .map(|r| {
            let rcpts: String = r.try_get("rcpts")?;
            Ok(Listed {
                id: r.try_get("id")?,
                ticket_id: r.try_get("ticket_id")?,
                kind: r.try_get("kind")?,
                rcpts: serde_json::from_str(&rcpts)?,
                subject: r.try_get("subject")?,
                status: r.try_get("status")?,
                attempts: r.try_get("attempts")?,
                due_at: r.try_get("due_at")?,
                last_error: r.try_get("last_error")?,
            })
        })
        .collect()
}

/// The earliest due time of a queued row, to know how long the worker may sleep.
pub async fn next_due(c: &mut Conn) -> Result<Option<i64>> {
    Ok(
        sqlx::query_scalar("SELECT MIN(due_at) FROM outbox WHERE status = 'queued'")
            .fetch_one(&mut *c)
            .await?,
    )
}

/// The queue's state for health and metrics: unsent mails (queued or being
/// sent), the oldest, and those whose last attempt failed.
pub async fn backlog(c: &mut Conn) -> Result<crate::monitor::health::Backlog> {
    let row = sqlx::query(
        "SELECT COUNT(*) AS depth, MIN(created_at) AS oldest_at, \
         CAST(COALESCE(SUM(CASE WHEN last_error IS NOT NULL THEN 1 ELSE 0 END), 0) AS BIGINT) AS failing, \
         MIN(CASE WHEN last_error IS NOT NULL THEN created_at END) AS failing_since \
         FROM outbox WHERE status IN ('queued', 'sending')",
    )
    .fetch_one(&mut *c)
    .await?;
    Ok(crate::monitor::health::Backlog {
        depth: row.try_get("depth")?,
        oldest_at: row.try_get("oldest_at")?,
        failing: row.try_get("failing")?,
        failing_since: row.try_get("failing_since")?,
    })
}
