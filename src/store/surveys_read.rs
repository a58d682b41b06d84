//! Reading the satisfaction surveys (migration 0006) for the desk's side:
//! `posko surveys list / export`, the report's satisfaction and closure
//! figures, and the survey part of a ticket's record (`#show`). Writing
//! them (the resolution mail, the pages, the lifecycle tick) is
//! `surveys.rs`'s. Read-only, so both live apart.
//!
//! `ratings` is stored as a JSON object `{question key: 1..5}`; a value
//! that is not such an object reads as no ratings rather than failing a
//! whole listing.

use std::collections::BTreeMap;

use anyhow::Result;
use sqlx::Row as _;

use super::Conn;
use crate::domain::TicketId;

/// One survey row with its ticket's subject.
#[derive(Debug, Clone, PartialEq)]
pub struct SurveyRow {
    pub id: i64,
    pub ticket_id: TicketId,
    pub subject: String,
    /// `open`, `answered` or `superseded`.
    pub state: String,
    pub language: String,
    pub sent_at: i64,
    pub expires_at: i64,
    pub reminded_at: Option<i64>,
    pub answered_at: Option<i64>,
    pub ratings: BTreeMap<String, i64>,
    pub score: Option<i64>,
    pub comment: Option<String>,
}

const COLUMNS: &str = "s.id, s.ticket_id, t.subject, s.state, s.language, s.sent_at, \
     s.expires_at, s.reminded_at, s.answered_at, s.ratings, s.score, s.comment \
     FROM surveys s JOIN tickets t ON t.id = s.ticket_id";

fn row_of(r: &sqlx::any::AnyRow) -> Result<SurveyRow> {
    let ratings: Option<String> = r.try_get("ratings")?;
    Ok(SurveyRow {
        id: r.try_get("id")?,
        ticket_id: r.try_get("ticket_id")?,
        subject: r.try_get("subject")?,
        state: r.try_get("state")?,
        language: r.try_get("language")?,
        sent_at: r.try_get("sent_at")?,
        expires_at: r.try_get("expires_at")?,
        reminded_at: r.try_get("reminded_at")?,
        answered_at: r.try_get("answered_at")?,
        ratings: ratings
            .and_then(|s| serde_json::from_str(&s).ok())
            .unwrap_or_default(),
        score: r.try_get("score")?,
        comment: r.try_get("comment")?,
    })
}

async fn query(c: &mut Conn, sql: String, binds: &[i64]) -> Result<Vec<SurveyRow>> {
    let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
    for b in binds {
        q = q.bind(*b);
    }
    q.fetch_all(&mut *c).await?.iter().map(row_of).collect()
}

/// Surveys sent in `[from, to)` (Unix seconds), oldest first.
pub async fn sent_between(c: &mut Conn, from: i64, to: i64) -> Result<Vec<SurveyRow>> {
    let sql = format!(
        "SELECT {COLUMNS} WHERE s.sent_at >= $1 AND s.sent_at < $2 ORDER BY s.sent_at, s.id"
    );
    query(c, sql, &[from, to]).await
}

/// Answered surveys, in the order they were answered.
pub async fn answered(c: &mut Conn) -> Result<Vec<SurveyRow>> {
    let sql =
        format!("SELECT {COLUMNS} WHERE s.answered_at IS NOT NULL ORDER BY s.answered_at, s.id");
    query(c, sql, &[]).await
}

/// The surveys of the tickets recorded in `[from, to)`: what the report's
/// satisfaction figures are computed from.
pub async fn of_tickets_created(c: &mut Conn, from: i64, to: i64) -> Result<Vec<SurveyRow>> {
    let sql =
        format!("SELECT {COLUMNS} WHERE t.created_at >= $1 AND t.created_at < $2 ORDER BY s.id");
    query(c, sql, &[from, to]).await
}

/// The ticket's latest survey (an earlier one was superseded by a reopen).
pub async fn latest_for_ticket(c: &mut Conn, ticket: TicketId) -> Result<Option<SurveyRow>> {
    let sql = format!("SELECT {COLUMNS} WHERE s.ticket_id = $1 ORDER BY s.id DESC LIMIT 1");
    Ok(query(c, sql, &[ticket]).await?.into_iter().next())
}

/// Who closed the ticket: `requester`, `staff`, `auto`, or `None` (open, or
/// closed before posko recorded it).
pub async fn closed_by(c: &mut Conn, ticket: TicketId) -> Result<Option<String>> {
    let v: Option<Option<String>> =
        sqlx::query_scalar("SELECT closed_by FROM tickets WHERE id = $1")
            .bind(ticket)
            .fetch_optional(&mut *c)
            .await?;
    Ok(v.flatten())
}

/// Of the tickets recorded in `[from, to)` and closed now, how many each
/// `closed_by` value closed (`None`: not recorded, e.g. closed by a merge
/// before migration 0006).
pub async fn closed_by_counts(
    c: &mut Conn,
    from: i64,
    to: i64,
) -> Result<Vec<(Option<String>, i64)>> {
    let rows = sqlx::query(
        "SELECT closed_by, COUNT(*) AS n FROM tickets \
         WHERE created_at >= $1 AND created_at < $2 AND status = 'closed' \
         GROUP BY closed_by ORDER BY closed_by",
    )
    .bind(from)
    .bind(to)
    .fetch_all(&mut *c)
    .await?;
    rows.iter()
        .map(|r| Ok((r.try_get("closed_by")?, r.try_get("n")?)))
        .collect()
}

/// `reopened` events of the tickets recorded in `[from, to)`: each is a
/// ticket brought back after it was resolved or closed.
pub async fn reopen_count(c: &mut Conn, from: i64, to: i64) -> Result<i64> {
    Ok(sqlx::query_scalar(
        "SELECT COUNT(*) FROM events e JOIN tickets t ON t.id = e.ticket_id \
         WHERE t.created_at >= $1 AND t.created_at < $2 AND e.kind = 'reopened'",
    )
    .bind(from)
    .bind(to)
    .fetch_one(&mut *c)
    .await?)
}
