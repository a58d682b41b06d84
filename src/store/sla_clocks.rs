//! Queries of the `sla_clocks` table (one row per ticket and clock) and of
//! `sla_marks` (each warning, breach and escalation step, at most once).

use anyhow::{Context, Result};
use sqlx::Row;
use sqlx::any::AnyRow;

use super::Conn;
use super::script::Script;
use crate::domain::TicketId;
use crate::sla::{Clock, ClockKind, ClockState};

/// A stored clock: the pure [`Clock`] and what the row adds.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ClockRow {
    pub ticket_id: TicketId,
    pub kind: ClockKind,
    pub clock: Clock,
    /// Counted in the desk's calendar (else 24×7).
    pub business_hours: bool,
    pub due_at: Option<i64>,
    /// When the scan must look at it next; `None`: only a transition can
    /// make anything fall due.
    pub next_check_at: Option<i64>,
}

const COLUMNS: &str = "ticket_id, kind, target_seconds, started_at, due_at, paused_since, \
    paused_seconds, state, stopped_at, next_check_at, business_hours";

fn from_row(r: &AnyRow) -> Result<ClockRow> {
    let kind: String = r.try_get("kind")?;
    let state: String = r.try_get("state")?;
    Ok(ClockRow {
        ticket_id: r.try_get("ticket_id")?,
        kind: ClockKind::parse(&kind).with_context(|| format!("unknown clock kind {kind:?}"))?,
        clock: Clock {
            target_seconds: r.try_get("target_seconds")?,
            started_at: r.try_get("started_at")?,
            paused_since: r.try_get("paused_since")?,
            paused_seconds: r.try_get("paused_seconds")?,
            state: ClockState::parse(&state)
                .with_context(|| format!("unknown clock state {state:?}"))?,
            stopped_at: r.try_get("stopped_at")?,
        },
        business_hours: r.try_get::<i64, _>("business_hours")? != 0,
        due_at: r.try_get("due_at")?,
        next_check_at: r.try_get("next_check_at")?,
    })
}

/// Like [`insert`], as part of `w`.
pub fn push_insert(w: &mut Script, row: &ClockRow) {
    let k = &row.clock;
    w.push(
        "INSERT INTO sla_clocks (ticket_id, kind, target_seconds, started_at, due_at, \
         paused_since, paused_seconds, state, stopped_at, next_check_at, business_hours) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
        vec![
            row.ticket_id.into(),
            row.kind.as_str().into(),
            k.target_seconds.into(),
            k.started_at.into(),
            row.due_at.into(),
            k.paused_since.into(),
            k.paused_seconds.into(),
            k.state.as_str().into(),
            k.stopped_at.into(),
            row.next_check_at.into(),
            (row.business_hours as i64).into(),
        ],
    );
}

pub async fn insert(c: &mut Conn, row: &ClockRow) -> Result<()> {
    let k = &row.clock;
    sqlx::query(
        "INSERT INTO sla_clocks (ticket_id, kind, target_seconds, started_at, due_at, \
         paused_since, paused_seconds, state, stopped_at, next_check_at, business_hours) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
    )
    .bind(row.ticket_id)
    .bind(row.kind.as_str())
    .bind(k.target_seconds)
    .bind(k.started_at)
    .bind(row.due_at)
    .bind(k.paused_since)
    .bind(k.paused_seconds)
    .bind(k.state.as_str())
    .bind(k.stopped_at)
    .bind(row.next_check_at)
    .bind(row.business_hours as i64)
    .execute(&mut *c)
    .await?;
    Ok(())
}

/// The clocks of one ticket, response first.
pub async fn for_ticket(c: &mut Conn, ticket: TicketId) -> Result<Vec<ClockRow>> {
    let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM sla_clocks WHERE ticket_id = $1 ORDER BY kind DESC"
    )))
    .bind(ticket)
    .fetch_all(&mut *c)
    .await?;
    rows.iter().map(from_row).collect()
}

/// Clocks whose next check is due at `now`, oldest first: an index range
/// scan on `next_check_at`, whatever the number of open tickets.
pub async fn due(c: &mut Conn, now: i64, limit: i64) -> Result<Vec<ClockRow>> {
    // Several instances scan at once on PostgreSQL: each locks the rows it
    // takes until its transaction (which queues the notices and moves
    // `next_check_at` on) commits, and passes over rows another holds, so a
    // notice is queued once. A row another instance finished meanwhile is
    // re-read under the lock and no longer due. SQLite's scan transaction
    // begins IMMEDIATE: one writer, nothing to lock.
    let lock = match super::backend_of(c) {
        super::Backend::Postgres => " FOR UPDATE SKIP LOCKED",
        super::Backend::Sqlite => "",
    };
    let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM sla_clocks WHERE next_check_at <= $1 \
         ORDER BY next_check_at, ticket_id, kind LIMIT $2{lock}"
    )))
    .bind(now)
    .bind(limit)
    .fetch_all(&mut *c)
    .await?;
    rows.iter().map(from_row).collect()
}

/// Writes a clock's new state after a transition (a retarget may change its
/// calendar too).
pub async fn update(c: &mut Conn, row: &ClockRow) -> Result<()> {
    let k = &row.clock;
    sqlx::query(
        "UPDATE sla_clocks SET target_seconds = $1, started_at = $2, due_at = $3, \
         paused_since = $4, paused_seconds = $5, state = $6, stopped_at = $7, \
         next_check_at = $8, business_hours = $9 WHERE ticket_id = $10 AND kind = $11",
    )
    .bind(k.target_seconds)
    .bind(k.started_at)
    .bind(row.due_at)
    .bind(k.paused_since)
    .bind(k.paused_seconds)
    .bind(k.state.as_str())
    .bind(k.stopped_at)
    .bind(row.next_check_at)
    .bind(row.business_hours as i64)
    .bind(row.ticket_id)
    .bind(row.kind.as_str())
    .execute(&mut *c)
    .await?;
    Ok(())
}

/// Stops keeping a clock (its ticket's new priority and category have no
/// targets); its marks stay, so what was sent is not sent again should the
/// clock come back.
pub async fn delete(c: &mut Conn, ticket: TicketId, kind: ClockKind) -> Result<()> {
    sqlx::query("DELETE FROM sla_clocks WHERE ticket_id = $1 AND kind = $2")
        .bind(ticket)
        .bind(kind.as_str())
        .execute(&mut *c)
        .await?;
    Ok(())
}

/// The scan's write: moves `next_check_at` on, unless a transition changed
/// the clock since the scan read it (then the transition's value stands).
/// Returns whether the row was updated.
pub async fn set_next_check(c: &mut Conn, read: &ClockRow, next: Option<i64>) -> Result<bool> {
    let done = sqlx::query(
        "UPDATE sla_clocks SET next_check_at = $1 WHERE ticket_id = $2 AND kind = $3 \
         AND state = $4 AND paused_seconds = $5 AND next_check_at = $6 \
         AND target_seconds = $7",
    )
    .bind(next)
    .bind(read.ticket_id)
    .bind(read.kind.as_str())
    .bind(read.clock.state.as_str())
    .bind(read.clock.paused_seconds)
    .bind(read.next_check_at)
    .bind(read.clock.target_seconds)
    .execute(&mut *c)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Claims a warning, breach or escalation step of a clock: true the first
/// time for this (ticket, clock, threshold), false ever after, across
/// restarts and instances (the primary key decides).
pub async fn mark(
    c: &mut Conn,
    ticket: TicketId,
    kind: ClockKind,
    threshold: &str,
    at: i64,
) -> Result<bool> {
    let done = sqlx::query(
        "INSERT INTO sla_marks (ticket_id, kind, threshold, at) VALUES ($1, $2, $3, $4) \
         ON CONFLICT DO NOTHING",
    )
    .bind(ticket)
    .bind(kind.as_str())
    .bind(threshold)
    .bind(at)
    .execute(&mut *c)
    .await?;
    Ok(done.rows_affected() == 1)
}
