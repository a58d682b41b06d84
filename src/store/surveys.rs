//! Queries of the `surveys` table and of the closure columns of `tickets`
//! (`auto_close_at`, `closed_by`), issue 11.
//!
//! Every change a person or the lifecycle worker makes is claimed with a
//! conditional `UPDATE … WHERE state = 'open'` (or `status = 'resolved'`)
//! as the first statement of its transaction: of two requests at once, or
//! two instances, exactly one sees a row changed and goes on to write the
//! event and the mail.

use anyhow::Result;
use sqlx::Row;

use super::Conn;
use super::script::Script;
pub use super::survey_answers::{
    Answered, AnsweredEvent, Claim, TokenClaim, answer_by_token_sql, answer_by_token_with,
    answered_events_sql, claim_answers, claim_answers_sql, claim_answers_with,
    insert_answered_events_with,
};
use crate::domain::TicketId;

/// A new survey row, as `#resolve` writes it.
#[derive(Debug, Clone)]
pub struct NewSurvey<'a> {
    pub ticket_id: TicketId,
    pub token_hash: &'a str,
    pub language: &'a str,
    pub sent_at: i64,
    pub expires_at: i64,
    pub remind_at: Option<i64>,
}

/// Ends the links of the ticket's open survey (a new resolution, or the
/// ticket reopened), as part of `w`. Answered surveys keep their answers.
pub fn push_supersede(w: &mut Script, ticket_id: TicketId) {
    w.push(
        "UPDATE surveys SET state = 'superseded', remind_at = NULL \
         WHERE ticket_id = $1 AND state = 'open'",
        vec![ticket_id.into()],
    );
}

/// Inserts `s`, open, as part of `w`.
pub fn push_insert(w: &mut Script, s: &NewSurvey<'_>) {
    w.push(
        "INSERT INTO surveys (ticket_id, token_hash, state, language, sent_at, expires_at, remind_at) \
         VALUES ($1, $2, 'open', $3, $4, $5, $6)",
        vec![
            s.ticket_id.into(),
            s.token_hash.into(),
            s.language.into(),
            s.sent_at.into(),
            s.expires_at.into(),
            s.remind_at.into(),
        ],
    );
}

/// Sets when the resolved ticket closes by itself (`None`: never).
pub fn push_auto_close_at(w: &mut Script, ticket_id: TicketId, at: Option<i64>) {
    w.push(
        "UPDATE tickets SET auto_close_at = $1 WHERE id = $2",
        vec![at.into(), ticket_id.into()],
    );
}

/// Records who closed the ticket (`requester`, `staff`, `auto`).
pub fn push_closed_by(w: &mut Script, ticket_id: TicketId, who: &str) {
    w.push(
        "UPDATE tickets SET closed_by = $1 WHERE id = $2 AND status = 'closed'",
        vec![who.into(), ticket_id.into()],
    );
}

/// A survey found by a token's hash, with what the pages need of its
/// ticket.
#[derive(Debug, Clone)]
pub struct Found {
    pub id: i64,
    pub ticket_id: TicketId,
    pub state: String,
    pub language: String,
    pub expires_at: i64,
    /// A newer survey of the same ticket exists.
    pub newer: bool,
    /// `None`: the ticket row is gone.
    pub ticket_status: Option<String>,
    pub merged: bool,
    pub subject: String,
    pub requester: String,
    pub requester_name: Option<String>,
    pub assignee: Option<String>,
    pub group_key: Option<String>,
}

/// What the pages read of a survey and its ticket.
const FOUND: &str = "s.token_hash, s.reminder_token_hash, s.id, s.ticket_id, s.state, s.language, \
     s.expires_at, \
     (SELECT COUNT(*) FROM surveys n WHERE n.ticket_id = s.ticket_id AND n.id > s.id) AS newer, \
     t.status, t.merged_into, t.subject, t.requester, t.requester_name, t.assignee, t.group_key \
     FROM surveys s LEFT JOIN tickets t ON t.id = s.ticket_id";

/// The survey whose first or reminder token hashes to `hash`: one
/// statement, read by the two unique indexes on the hashes (no
/// transaction: what it reads is one row's state).
pub async fn find(c: &mut Conn, hash: &str) -> Result<Option<Found>> {
    Ok(find_many(c, &[hash]).await?.pop().map(|(_, f)| f))
}

/// The SQL of [`find_many`] for `n` hashes.
pub fn find_many_sql(n: usize) -> String {
    let list = (1..=n)
        .map(|i| format!("${i}"))
        .collect::<Vec<_>>()
        .join(", ");
    format!("SELECT {FOUND} WHERE s.token_hash IN ({list}) OR s.reminder_token_hash IN ({list})")
}

/// The surveys whose first or reminder token hashes to one of `hashes`,
/// in one statement, each with the hash it was found by (a survey asked
/// for by both its tokens comes twice; a hash asked twice, once).
pub async fn find_many(c: &mut Conn, hashes: &[&str]) -> Result<Vec<(String, Found)>> {
    find_many_with(c, &find_many_sql(hashes.len()), hashes).await
}

/// [`find_many`] with its SQL made beforehand ([`find_many_sql`] of
/// `hashes.len()`).
pub async fn find_many_with(
    c: &mut Conn,
    sql: &str,
    hashes: &[&str],
) -> Result<Vec<(String, Found)>> {
    let mut q = sqlx::query(sqlx::AssertSqlSafe(sql.to_string()));
    for h in hashes {
        q = q.bind(*h);
    }
    let rows = q.fetch_all(&mut *c).await?;
    let mut out = Vec::with_capacity(rows.len());
    for r in &rows {
        let first: String = r.try_get("token_hash")?;
        let reminder: Option<String> = r.try_get("reminder_token_hash")?;
        let found = found_of(r)?;
        // Both of a survey's tokens may have been asked for at once.
        if let Some(reminder) = reminder.filter(|h| hashes.contains(&h.as_str())) {
            out.push((reminder, found.clone()));
        }
        if hashes.contains(&first.as_str()) {
            out.push((first, found));
        }
    }
    Ok(out)
}

pub(super) fn found_of(r: &sqlx::any::AnyRow) -> Result<Found> {
    let merged: Option<TicketId> = r.try_get("merged_into")?;
    Ok(Found {
        id: r.try_get("id")?,
        ticket_id: r.try_get("ticket_id")?,
        state: r.try_get("state")?,
        language: r.try_get("language")?,
        expires_at: r.try_get("expires_at")?,
        newer: r.try_get::<i64, _>("newer")? > 0,
        ticket_status: r.try_get("status")?,
        merged: merged.is_some(),
        subject: r
            .try_get::<Option<String>, _>("subject")?
            .unwrap_or_default(),
        requester: r
            .try_get::<Option<String>, _>("requester")?
            .unwrap_or_default(),
        requester_name: r.try_get("requester_name")?,
        assignee: r.try_get("assignee")?,
        group_key: r.try_get("group_key")?,
    })
}

/// Closes the ticket for its requester (confirm) or the lifecycle
/// (`auto`), when it is still resolved and not merged; true when this
/// call did it. `auto` also needs the auto-close instant due.
pub async fn claim_close(c: &mut Conn, ticket_id: TicketId, who: &str, now: i64) -> Result<bool> {
    let done = sqlx::query(
        "UPDATE tickets SET status = 'closed', closed_at = $1, updated_at = $1, closed_by = $2, \
           auto_close_at = NULL \
         WHERE id = $3 AND status = 'resolved' AND merged_into IS NULL \
           AND ($2 <> 'auto' OR (auto_close_at IS NOT NULL AND auto_close_at <= $1))",
    )
    .bind(now)
    .bind(who)
    .bind(ticket_id)
    .execute(&mut *c)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Reopens the ticket from the requester's page, when it is still in
/// status `from` (resolved or closed) and not merged; true when this call
/// did it. The status itself is written by the caller's script, after
/// the events (as every status change is).
pub async fn claim_reopen(c: &mut Conn, ticket_id: TicketId, from: &str, now: i64) -> Result<bool> {
    let done = sqlx::query(
        "UPDATE tickets SET updated_at = $1, auto_close_at = NULL \
         WHERE id = $2 AND status = $3 AND status IN ('resolved', 'closed') AND merged_into IS NULL",
    )
    .bind(now)
    .bind(ticket_id)
    .bind(from)
    .execute(&mut *c)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Surveys whose reminder is due at `now` (read by the index on
/// `remind_at`). The answers' claim leaves `remind_at` as it was (to stay
/// a HOT update, [`claim_answers_sql`]), so the due entries of surveys no
/// longer open are cleared first, by the same index: the due list holds
/// only open surveys, and the tick still reads only what is due.
pub async fn due_reminders(c: &mut Conn, now: i64, limit: i64) -> Result<Vec<i64>> {
    sqlx::query("UPDATE surveys SET remind_at = NULL WHERE remind_at <= $1 AND state <> 'open'")
        .bind(now)
        .execute(&mut *c)
        .await?;
    Ok(sqlx::query_scalar(
        "SELECT id FROM surveys WHERE remind_at <= $1 AND state = 'open' ORDER BY remind_at LIMIT $2",
    )
    .bind(now)
    .bind(limit)
    .fetch_all(&mut *c)
    .await?)
}

/// Claims survey `id`'s reminder and stores the reminder token's hash;
/// true when this call did it.
pub async fn claim_reminder(c: &mut Conn, id: i64, now: i64, token_hash: &str) -> Result<bool> {
    let done = sqlx::query(
        "UPDATE surveys SET remind_at = NULL, reminded_at = $1, reminder_token_hash = $2 \
         WHERE id = $3 AND state = 'open' AND remind_at IS NOT NULL AND remind_at <= $1",
    )
    .bind(now)
    .bind(token_hash)
    .bind(id)
    .execute(&mut *c)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Clears a reminder that can no longer go out (its survey is no longer
/// open), so the due list moves on.
pub async fn drop_reminder(c: &mut Conn, id: i64) -> Result<()> {
    sqlx::query("UPDATE surveys SET remind_at = NULL WHERE id = $1 AND state <> 'open'")
        .bind(id)
        .execute(&mut *c)
        .await?;
    Ok(())
}

/// The survey's ticket and language (for the reminder mail).
pub async fn ticket_of(c: &mut Conn, id: i64) -> Result<Option<(TicketId, String, i64)>> {
    let row = sqlx::query("SELECT ticket_id, language, expires_at FROM surveys WHERE id = $1")
        .bind(id)
        .fetch_optional(&mut *c)
        .await?;
    row.map(|r| Ok((r.try_get(0)?, r.try_get(1)?, r.try_get(2)?)))
        .transpose()
}

/// Tickets due to close by themselves at `now`, `$2` at most (by the
/// partial index on `auto_close_at` of migration 0016; its plans are
/// tested in `store::partial_index_tests`).
pub(crate) const DUE_AUTO_CLOSE: &str =
    "SELECT id FROM tickets WHERE auto_close_at <= $1 ORDER BY auto_close_at LIMIT $2";

/// Tickets due to close by themselves at `now` ([`DUE_AUTO_CLOSE`]).
pub async fn due_auto_close(c: &mut Conn, now: i64, limit: i64) -> Result<Vec<TicketId>> {
    Ok(sqlx::query_scalar(DUE_AUTO_CLOSE)
        .bind(now)
        .bind(limit)
        .fetch_all(&mut *c)
        .await?)
}

/// Clears an auto-close instant left on a ticket that is not resolved.
pub async fn drop_auto_close(c: &mut Conn, ticket_id: TicketId) -> Result<()> {
    sqlx::query("UPDATE tickets SET auto_close_at = NULL WHERE id = $1 AND status <> 'resolved'")
        .bind(ticket_id)
        .execute(&mut *c)
        .await?;
    Ok(())
}

/// The ticket's newest survey, for the ticket JSON.
#[derive(Debug, Clone)]
pub struct Latest {
    pub sent_at: i64,
    pub answered_at: Option<i64>,
    pub ratings: Option<String>,
    pub comment: Option<String>,
}

pub async fn latest(c: &mut Conn, ticket_id: TicketId) -> Result<Option<Latest>> {
    let row = sqlx::query(
        "SELECT sent_at, answered_at, ratings, comment FROM surveys WHERE ticket_id = $1 \
         ORDER BY id DESC LIMIT 1",
    )
    .bind(ticket_id)
    .fetch_optional(&mut *c)
    .await?;
    row.map(|r| {
        Ok(Latest {
            sent_at: r.try_get(0)?,
            answered_at: r.try_get(1)?,
            ratings: r.try_get(2)?,
            comment: r.try_get(3)?,
        })
    })
    .transpose()
}

/// Who closed the ticket (`requester`, `staff`, `auto`), if it is closed.
pub async fn closed_by(c: &mut Conn, ticket_id: TicketId) -> Result<Option<String>> {
    Ok(
        sqlx::query_scalar("SELECT closed_by FROM tickets WHERE id = $1")
            .bind(ticket_id)
            .fetch_optional(&mut *c)
            .await?
            .flatten(),
    )
}
