//! Queries of the `tickets` table.

use anyhow::Result;
use sqlx::Row;
use sqlx::any::AnyRow;

use super::Conn;
use super::script::Script;
use crate::domain::{EventKind, Language, Status, TicketId};

/// What a new ticket starts with.
#[derive(Debug, Clone)]
pub struct NewTicket<'a> {
    pub subject: &'a str,
    pub requester: &'a str,
    pub requester_name: Option<&'a str>,
    pub auto_kind: Option<&'a str>,
    pub linked_ticket_id: Option<TicketId>,
    pub class: Option<Classified<'a>>,
    /// The language its requester is answered in; `None`: the desk's.
    pub language: Option<Language>,
    pub now: i64,
}

/// The classification columns of a ticket.
#[derive(Debug, Clone, Copy)]
pub struct Classified<'a> {
    pub ticket_type: &'a str,
    pub category: &'a str,
    pub urgency: &'a str,
    pub impact: &'a str,
    pub priority: i64,
    pub group: &'a str,
    pub assignee: Option<&'a str>,
    pub tags: &'a [String],
    pub major: bool,
}

/// A ticket as stored.
#[derive(Debug, Clone)]
pub struct Ticket {
    pub id: TicketId,
    pub subject: String,
    pub status: Status,
    pub requester: String,
    pub requester_name: Option<String>,
    pub ticket_type: Option<String>,
    pub category: Option<String>,
    pub urgency: Option<String>,
    pub impact: Option<String>,
    pub priority: Option<i64>,
    pub group_key: Option<String>,
    pub assignee: Option<String>,
    pub tags: Vec<String>,
    pub major: bool,
    pub auto_kind: Option<String>,
    pub linked_ticket_id: Option<TicketId>,
    pub merged_into: Option<TicketId>,
    pub created_at: i64,
    pub updated_at: i64,
    pub first_response_at: Option<i64>,
    pub resolved_at: Option<i64>,
    pub closed_at: Option<i64>,
    /// The language its requester is answered in; `None`: the desk's (see
    /// [`Ticket::language_or`]).
    pub language: Option<Language>,
}

impl Ticket {
    /// The language its requester is answered in, `desk` when none is set.
    pub fn language_or(&self, desk: Language) -> Language {
        self.language.unwrap_or(desk)
    }
}

pub(super) const COLUMNS: &str = "id, subject, status, requester, requester_name, type, category, urgency, \
    impact, priority, group_key, assignee, tags, major, auto_kind, linked_ticket_id, merged_into, \
    created_at, updated_at, first_response_at, resolved_at, closed_at, language";

pub(super) fn from_row(r: &AnyRow) -> Result<Ticket> {
    let status: String = r.try_get("status")?;
    let tags: String = r.try_get("tags")?;
    Ok(Ticket {
        id: r.try_get("id")?,
        subject: r.try_get("subject")?,
        status: Status::parse(&status)
            .ok_or_else(|| anyhow::anyhow!("unknown ticket status {status:?} in the database"))?,
        requester: r.try_get("requester")?,
        requester_name: r.try_get("requester_name")?,
        ticket_type: r.try_get("type")?,
        category: r.try_get("category")?,
        urgency: r.try_get("urgency")?,
        impact: r.try_get("impact")?,
        priority: r.try_get("priority")?,
        group_key: r.try_get("group_key")?,
        assignee: r.try_get("assignee")?,
        tags: serde_json::from_str(&tags).unwrap_or_default(),
        major: r.try_get::<i64, _>("major")? != 0,
        auto_kind: r.try_get("auto_kind")?,
        linked_ticket_id: r.try_get("linked_ticket_id")?,
        merged_into: r.try_get("merged_into")?,
        created_at: r.try_get("created_at")?,
        updated_at: r.try_get("updated_at")?,
        first_response_at: r.try_get("first_response_at")?,
        resolved_at: r.try_get("resolved_at")?,
        closed_at: r.try_get("closed_at")?,
        language: r
            .try_get::<Option<String>, _>("language")?
            .and_then(|l| Language::from_code(&l)),
    })
}

pub async fn insert(c: &mut Conn, t: &NewTicket<'_>) -> Result<TicketId> {
    let k = t.class.as_ref();
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO tickets (subject, status, requester, requester_name, auto_kind, \
         linked_ticket_id, created_at, updated_at, type, category, urgency, impact, priority, \
         group_key, assignee, tags, major, language) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17) \
         RETURNING id",
    )
    .bind(t.subject)
    .bind(Status::New.as_str())
    .bind(t.requester)
    .bind(t.requester_name)
    .bind(t.auto_kind)
    .bind(t.linked_ticket_id)
    .bind(t.now)
    .bind(k.map(|k| k.ticket_type))
    .bind(k.map(|k| k.category))
    .bind(k.map(|k| k.urgency))
    .bind(k.map(|k| k.impact))
    .bind(k.map(|k| k.priority))
    .bind(k.map(|k| k.group))
    .bind(k.and_then(|k| k.assignee))
    .bind(tags_json(k.map(|k| k.tags).unwrap_or_default()))
    .bind(k.is_some_and(|k| k.major) as i64)
    .bind(t.language.map(Language::code))
    .fetch_one(&mut *c)
    .await?;
    Ok(id)
}

/// Ticket numbers handed out inside one transaction.
///
/// A new ticket's number goes into its acknowledgment, so it is needed
/// before the ticket's row is written (in the message's [`Script`]). On
/// SQLite the transaction holds the database's only write lock, so after
/// one look at the highest number the next ones are counted here; on
/// PostgreSQL, where several instances write at once, each comes from the
/// table's sequence.
#[derive(Debug, Default)]
pub struct Numbering {
    next: Option<i64>,
    /// PostgreSQL: numbers taken from the sequence ahead ([`Self::reserve`]).
    reserved: std::collections::VecDeque<i64>,
}

impl Numbering {
    pub async fn next(&mut self, c: &mut Conn, backend: super::Backend) -> Result<TicketId> {
        match backend {
            super::Backend::Sqlite => {
                let id = match self.next {
                    Some(n) => n,
                    None => {
                        // AUTOINCREMENT never reuses a number, even of a
                        // deleted row: sqlite_sequence remembers the highest.
                        sqlx::query_scalar(
                            "SELECT MAX(n) + 1 FROM (SELECT COALESCE(MAX(id), 0) AS n FROM tickets \
                             UNION ALL SELECT seq FROM sqlite_sequence WHERE name = 'tickets') AS t",
                        )
                        .fetch_one(&mut *c)
                        .await?
                    }
                };
                self.next = Some(id + 1);
                Ok(id)
            }
            super::Backend::Postgres => match self.reserved.pop_front() {
                Some(id) => Ok(id),
                None => Ok(sqlx::query_scalar(
                    "SELECT nextval(pg_get_serial_sequence('tickets', 'id'))",
                )
                .fetch_one(&mut *c)
                .await?),
            },
        }
    }

    /// The next number if it is known without asking the database (after
    /// a first [`Self::next`] on SQLite, or a [`Self::reserve`]).
    pub fn ready(&mut self, backend: super::Backend) -> Option<TicketId> {
        match backend {
            super::Backend::Sqlite => {
                let id = self.next?;
                self.next = Some(id + 1);
                Some(id)
            }
            super::Backend::Postgres => self.reserved.pop_front(),
        }
    }

    /// On PostgreSQL, takes `n` numbers from the sequence in one round
    /// trip for the next calls of [`Self::next`] (a batch about to open
    /// `n` tickets); numbers left unused are skipped, as those of a rolled
    /// back transaction are. SQLite counts in memory already.
    pub async fn reserve(&mut self, c: &mut Conn, backend: super::Backend, n: usize) -> Result<()> {
        if backend == super::Backend::Postgres && n > 1 {
            let mut ids: Vec<i64> = sqlx::query_scalar(
                "SELECT nextval(pg_get_serial_sequence('tickets', 'id')) FROM generate_series(1, $1)",
            )
            .bind(n as i64)
            .fetch_all(&mut *c)
            .await?;
            ids.sort_unstable();
            self.reserved.extend(ids);
        }
        Ok(())
    }
}

/// Like [`insert`] with a number from [`Numbering`], as part of `w`.
pub fn push_insert(w: &mut Script, id: TicketId, t: &NewTicket<'_>) {
    let k = t.class.as_ref();
    w.push(
        "INSERT INTO tickets (id, subject, status, requester, requester_name, auto_kind, \
         linked_ticket_id, created_at, updated_at, type, category, urgency, impact, priority, \
         group_key, assignee, tags, major, language) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18)",
        vec![
            id.into(),
            t.subject.into(),
            Status::New.as_str().into(),
            t.requester.into(),
            t.requester_name.into(),
            t.auto_kind.into(),
            t.linked_ticket_id.into(),
            t.now.into(),
            k.map(|k| k.ticket_type).into(),
            k.map(|k| k.category).into(),
            k.map(|k| k.urgency).into(),
            k.map(|k| k.impact).into(),
            k.map(|k| k.priority).into(),
            k.map(|k| k.group).into(),
            k.and_then(|k| k.assignee).into(),
            tags_json(k.map(|k| k.tags).unwrap_or_default()).into(),
            (k.is_some_and(|k| k.major) as i64).into(),
            t.language.map(Language::code).into(),
        ],
    );
}

fn tags_json(tags: &[String]) -> String {
    serde_json::to_string(tags).unwrap_or_else(|_| "[]".into())
}

/// Staff changed a ticket's category (and with it, possibly, its type).
///
/// Records a `recategorised` event with the old and new values: the KPI
/// "share of tickets whose category was right" counts these against the
/// classification ([`category_accuracy`]). Returns false, recording
/// nothing, when the category and type are already these.
pub async fn recategorise(
    c: &mut Conn,
    id: TicketId,
    category: &str,
    ticket_type: &str,
    actor: &str,
    message_id: Option<i64>,
    now: i64,
) -> Result<bool> {
    let t = get(c, id)
        .await?
        .ok_or_else(|| anyhow::anyhow!("no ticket #{id}"))?;
    if t.category.as_deref() == Some(category) && t.ticket_type.as_deref() == Some(ticket_type) {
        return Ok(false);
    }
    sqlx::query("UPDATE tickets SET category = $1, type = $2, updated_at = $3 WHERE id = $4")
        .bind(category)
        .bind(ticket_type)
        .bind(now)
        .bind(id)
        .execute(&mut *c)
        .await?;
    super::events::insert(
        c,
        id,
        EventKind::Recategorised,
        actor,
        now,
        message_id,
        &serde_json::json!({
            "from": { "category": t.category, "type": t.ticket_type },
            "to": { "category": category, "type": ticket_type },
        }),
    )
    .await?;
    Ok(true)
}

/// For the KPI "share of tickets whose category was right": of the tickets
/// created in `[from, to)` that were classified, how many were never
/// recategorised. Returns (classified, right).
pub async fn category_accuracy(c: &mut Conn, from: i64, to: i64) -> Result<(i64, i64)> {
    let classified: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM tickets WHERE created_at >= $1 AND created_at < $2 \
         AND category IS NOT NULL",
    )
    .bind(from)
    .bind(to)
    .fetch_one(&mut *c)
    .await?;
    let changed: i64 = sqlx::query_scalar(
        "SELECT COUNT(DISTINCT t.id) FROM tickets t JOIN events e ON e.ticket_id = t.id \
         WHERE t.created_at >= $1 AND t.created_at < $2 AND t.category IS NOT NULL \
         AND e.kind = 'recategorised'",
    )
    .bind(from)
    .bind(to)
    .fetch_one(&mut *c)
    .await?;
    Ok((classified, classified - changed))
}

/// Tickets created at or after `since`, oldest first.
pub async fn created_since(c: &mut Conn, since: i64) -> Result<Vec<Ticket>> {
    let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM tickets WHERE created_at >= $1 ORDER BY id"
    )))
    .bind(since)
    .fetch_all(&mut *c)
    .await?;
    rows.iter().map(from_row).collect()
}

pub async fn get(c: &mut Conn, id: TicketId) -> Result<Option<Ticket>> {
    let row = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM tickets WHERE id = $1"
    )))
    .bind(id)
    .fetch_optional(&mut *c)
    .await?;
    row.as_ref().map(from_row).transpose()
}

/// Tickets, newest first; `open_only` leaves out resolved and closed ones.
pub async fn list(c: &mut Conn, open_only: bool, limit: i64) -> Result<Vec<Ticket>> {
    let filter = if open_only {
        "WHERE status NOT IN ('resolved', 'closed')"
    } else {
        ""
    };
    let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM tickets {filter} ORDER BY id DESC LIMIT $1"
    )))
    .bind(limit)
    .fetch_all(&mut *c)
    .await?;
    rows.iter().map(from_row).collect()
}

/// Changes staff make by command; `None` leaves a column as it is.
#[derive(Debug, Clone, Default)]
pub struct Update<'a> {
    /// `Some(None)` clears the assignee.
    pub assignee: Option<Option<&'a str>>,
    pub group: Option<&'a str>,
    pub urgency: Option<&'a str>,
    pub impact: Option<&'a str>,
    pub priority: Option<i64>,
    pub merged_into: Option<TicketId>,
    pub first_response_at: Option<i64>,
}

/// Applies `u` (and bumps `updated_at`).
pub async fn update(c: &mut Conn, id: TicketId, u: &Update<'_>, now: i64) -> Result<()> {
    let mut sets = vec!["updated_at = $1".to_string()];
    let mut n = 1;
    let mut col = |name: &str| {
        n += 1;
        sets.push(format!("{name} = ${n}"));
    };
    if u.assignee.is_some() {
        col("assignee");
    }
    if u.group.is_some() {
        col("group_key");
    }
    if u.urgency.is_some() {
        col("urgency");
    }
    if u.impact.is_some() {
        col("impact");
    }
    if u.priority.is_some() {
        col("priority");
    }
    if u.merged_into.is_some() {
        col("merged_into");
    }
    if u.first_response_at.is_some() {
        // Only the first response counts.
        n += 1;
        sets.push(format!(
            "first_response_at = COALESCE(first_response_at, ${n})"
        ));
    }
    let sql = format!(
        "UPDATE tickets SET {} WHERE id = ${}",
        sets.join(", "),
        n + 1
    );
    let mut q = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(now);
    if let Some(a) = u.assignee {
        q = q.bind(a);
    }
    for v in [u.group, u.urgency, u.impact].into_iter().flatten() {
        q = q.bind(v);
    }
    for v in [u.priority, u.merged_into, u.first_response_at]
        .into_iter()
        .flatten()
    {
        q = q.bind(v);
    }
    q.bind(id).execute(&mut *c).await?;
    Ok(())
}

/// Changes the status and keeps the resolved/closed stamps consistent,
/// as part of `w`.
///
/// What closure keeps follows the status: the auto-close instant lives
/// only while resolved, who closed only while closed, and a ticket open
/// again ends its survey's links ([`super::surveys`]).
pub fn push_status(w: &mut Script, id: TicketId, status: Status, now: i64) {
    w.push(
        "UPDATE tickets SET status = $1, updated_at = $2, \
         resolved_at = CASE WHEN $1 = 'resolved' THEN $2 WHEN $1 = 'closed' THEN resolved_at ELSE NULL END, \
         closed_at = CASE WHEN $1 = 'closed' THEN $2 ELSE NULL END, \
         auto_close_at = CASE WHEN $1 = 'resolved' THEN auto_close_at ELSE NULL END, \
         closed_by = CASE WHEN $1 = 'closed' THEN closed_by ELSE NULL END WHERE id = $3",
        vec![status.as_str().into(), now.into(), id.into()],
    );
    if !matches!(status, Status::Resolved | Status::Closed) {
        super::surveys::push_supersede(w, id);
    }
}

/// Sets the language its requester is answered in (`#lang`), as part of `w`.
pub fn push_language(w: &mut Script, id: TicketId, language: Language, now: i64) {
    w.push(
        "UPDATE tickets SET language = $1, updated_at = $2 WHERE id = $3",
        vec![language.code().into(), now.into(), id.into()],
    );
}

/// The query of [`latest_language`] (PostgreSQL answers it from the
/// `(requester, id)` index of migration 0015).
pub(crate) const LATEST_LANGUAGE: &str = "SELECT language FROM tickets \
     WHERE requester = $1 AND language IS NOT NULL ORDER BY id DESC LIMIT 1";

/// The language of `requester`'s latest ticket that has one: how a mail
/// too short to tell its language is answered.
pub async fn latest_language(c: &mut Conn, requester: &str) -> Result<Option<Language>> {
    let l: Option<String> = sqlx::query_scalar(LATEST_LANGUAGE)
        .bind(requester)
        .fetch_optional(&mut *c)
        .await?;
    Ok(l.and_then(|l| Language::from_code(&l)))
}

/// Marks the ticket as touched (a new message arrived), as part of `w`.
pub fn push_touch(w: &mut Script, id: TicketId, now: i64) {
    w.push(
        "UPDATE tickets SET updated_at = $1 WHERE id = $2",
        vec![now.into(), id.into()],
    );
}

pub async fn count(c: &mut Conn) -> Result<i64> {
    Ok(sqlx::query_scalar("SELECT COUNT(*) FROM tickets")
        .fetch_one(&mut *c)
        .await?)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::{Db, events};

    #[tokio::test]
    async fn recategorising_is_recorded_and_counts_against_the_classification() {
        let dir = tempfile::tempdir().unwrap();
        let db = Db::connect(&format!("sqlite://{}/t.db", dir.path().display()))
            .await
            .unwrap();
        db.migrate().await.unwrap();
        let mut c = db.pool().acquire().await.unwrap();
        let tags = vec!["net".to_string()];
        let mut ids = Vec::new();
        for subject in ["Internet mati", "Printer macet", "Halo"] {
            let id = insert(
                &mut c,
                &NewTicket {
                    subject,
                    requester: "alice@corp.test",
                    requester_name: None,
                    auto_kind: None,
                    linked_ticket_id: None,
                    class: Some(Classified {
                        ticket_type: "incident",
                        category: "other",
                        urgency: "medium",
                        impact: "medium",
                        priority: 2,
                        group: "servicedesk",
                        assignee: None,
                        tags: &tags,
                        major: false,
                    }),
                    language: None,
                    now: 1000,
                },
            )
            .await
            .unwrap();
            ids.push(id);
        }
        let t = get(&mut c, ids[0]).await.unwrap().unwrap();
        assert_eq!(t.category.as_deref(), Some("other"));
        assert_eq!(t.priority, Some(2));
        assert_eq!(t.tags, ["net"]);

        assert!(
            recategorise(
                &mut c,
                ids[0],
                "network.internet-down",
                "incident",
                "siti",
                None,
                2000
            )
            .await
            .unwrap()
        );
        // The same category again changes nothing and records nothing.
        assert!(
            !recategorise(
                &mut c,
                ids[0],
                "network.internet-down",
                "incident",
                "siti",
                None,
                2001
            )
            .await
            .unwrap()
        );
        let t = get(&mut c, ids[0]).await.unwrap().unwrap();
        assert_eq!(t.category.as_deref(), Some("network.internet-down"));
        assert_eq!(t.updated_at, 2000);
        let ev: Vec<_> = events::list_for_ticket(&mut c, ids[0])
            .await
            .unwrap()
            .into_iter()
            .filter(|e| e.kind == "recategorised")
            .collect();
        assert_eq!(ev.len(), 1);
        assert_eq!(ev[0].actor, "siti");
        assert_eq!(ev[0].data["from"]["category"], "other");
        assert_eq!(ev[0].data["to"]["category"], "network.internet-down");

        assert_eq!(category_accuracy(&mut c, 0, 5000).await.unwrap(), (3, 2));
        assert_eq!(category_accuracy(&mut c, 1001, 5000).await.unwrap(), (0, 0));
        assert!(
            recategorise(&mut c, 999, "other", "incident", "siti", None, 1)
                .await
                .is_err()
        );
    }
}
