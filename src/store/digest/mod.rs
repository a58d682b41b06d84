//! The digest's queries: counts and short lists aggregated in the database
//! from `tickets`, `events`, `sla_clocks` and `surveys`, so a digest of a
//! desk with a million tickets reads a few hundred rows, not the tickets.
//!
//! Every figure is a function of the events and their instants, so any past
//! period can be recomputed (the at-risk list excepted: it reads the clocks
//! as they are now). Event details live in the JSON `data` column; the two
//! backends read a field of it differently ([`field`]).
//!
//! `scope` restricts everything to one group's tickets (a group lead's
//! digest); the empty string means the whole desk.

use anyhow::Result;
use sqlx::Row as _;

use super::Conn;

mod sla;
pub use sla::*;

pub(crate) const LINE_COLUMNS: &str =
    "t.id, t.subject, t.priority, t.group_key, t.assignee, t.created_at";
use crate::digest::figures::{AgeRow, Incident, LowRating, Satisfaction, Share, Tally, TicketLine};

/// `data`'s field `key` as text, in the dialect of the connection.
pub(crate) fn field(c: &Conn, alias: &str, key: &str) -> String {
    if c.backend_name().eq_ignore_ascii_case("sqlite") {
        format!("json_extract({alias}.data, '$.{key}')")
    } else {
        format!("(CAST({alias}.data AS json) ->> '{key}')")
    }
}

/// The scope condition on tickets `t` with its parameter `$n`.
pub(crate) fn scoped(n: usize) -> String {
    format!("(${n} = '' OR t.group_key = ${n})")
}

/// Runs `sql`, whose `$1`, `$2` and `$3` are a period `[from, to)` and the
/// scope, and returns its rows: the shape of most of the digest's queries.
pub(crate) async fn rows_in(
    c: &mut Conn,
    sql: String,
    from: i64,
    to: i64,
    scope: &str,
) -> Result<Vec<sqlx::any::AnyRow>> {
    Ok(sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(from)
        .bind(to)
        .bind(scope)
        .fetch_all(&mut *c)
        .await?)
}

/// Tickets spam rules closed on arrival are not tickets the desk handled.
///
/// In subqueries per ticket, `kind || ''` keeps the planner on the index by
/// ticket (a ticket has a few events) rather than the one by kind (which
/// would read every event of that kind for every ticket: minutes on a
/// million tickets).
pub(crate) const NOT_IGNORED: &str =
    "NOT EXISTS (SELECT 1 FROM events i WHERE i.ticket_id = t.id AND i.kind || '' = 'ignored')";

/// Tickets recorded in `[from, to)`.
pub async fn count_new(c: &mut Conn, from: i64, to: i64, scope: &str) -> Result<i64> {
    let sql = format!(
        "SELECT COUNT(*) FROM tickets t WHERE t.created_at >= $1 AND t.created_at < $2 \
         AND {} AND {NOT_IGNORED}",
        scoped(3)
    );
    Ok(sqlx::query_scalar(sqlx::AssertSqlSafe(sql))
        .bind(from)
        .bind(to)
        .bind(scope)
        .fetch_one(&mut *c)
        .await?)
}

/// Tickets set to `status` (`resolved`, `closed`) in `[from, to)`.
pub async fn count_set_to(
    c: &mut Conn,
    status: &str,
    from: i64,
    to: i64,
    scope: &str,
) -> Result<i64> {
    let sql = format!(
        "SELECT COUNT(DISTINCT e.ticket_id) FROM events e JOIN tickets t ON t.id = e.ticket_id \
         WHERE e.kind = 'status_changed' AND e.at >= $1 AND e.at < $2 AND {} = $3 AND {}",
        field(c, "e", "to"),
        scoped(4)
    );
    Ok(sqlx::query_scalar(sqlx::AssertSqlSafe(sql))
        .bind(from)
        .bind(to)
        .bind(status)
        .bind(scope)
        .fetch_one(&mut *c)
        .await?)
}

/// Reopenings in `[from, to)`.
pub async fn count_reopened(c: &mut Conn, from: i64, to: i64, scope: &str) -> Result<i64> {
    let sql = format!(
        "SELECT COUNT(*) FROM events e JOIN tickets t ON t.id = e.ticket_id \
         WHERE e.kind = 'reopened' AND e.at >= $1 AND e.at < $2 AND {}",
        scoped(3)
    );
    Ok(sqlx::query_scalar(sqlx::AssertSqlSafe(sql))
        .bind(from)
        .bind(to)
        .bind(scope)
        .fetch_one(&mut *c)
        .await?)
}

/// The tickets open at instant `$1` (scope `$2`), as a `WITH open_t AS (…)`
/// clause: a ticket not touched since `$1` has its current status; one
/// touched since has the status of its last status event before `$1`.
pub(crate) fn open_at(c: &Conn) -> String {
    format!(
        "WITH open_t AS ( \
           SELECT t.id, t.subject, t.priority, t.group_key, t.assignee, t.created_at \
           FROM tickets t WHERE t.created_at < $1 AND t.updated_at < $1 \
             AND t.status IN ('new', 'in_progress', 'pending') AND {scope} \
           UNION ALL \
           SELECT t.id, t.subject, t.priority, t.group_key, t.assignee, t.created_at \
           FROM tickets t WHERE t.created_at < $1 AND t.updated_at >= $1 AND {scope} \
             AND COALESCE((SELECT {to} FROM events e WHERE e.ticket_id = t.id \
                 AND e.kind || '' IN ('status_changed', 'reopened') AND e.at + 0 < $1 \
                 ORDER BY e.at DESC, e.id DESC LIMIT 1), 'new') \
               IN ('new', 'in_progress', 'pending') \
             AND {NOT_IGNORED} \
         ) ",
        scope = scoped(2),
        to = field(c, "e", "to"),
    )
}

/// Open tickets at instant `at`.
pub async fn count_open(c: &mut Conn, at: i64, scope: &str) -> Result<i64> {
    let sql = format!("{} SELECT COUNT(*) FROM open_t", open_at(c));
    Ok(sqlx::query_scalar(sqlx::AssertSqlSafe(sql))
        .bind(at)
        .bind(scope)
        .fetch_one(&mut *c)
        .await?)
}

/// Open tickets at `at` by priority × age bucket, priorities ascending
/// (without a priority last).
pub async fn aging(c: &mut Conn, at: i64, scope: &str) -> Result<Vec<AgeRow>> {
    let sql = format!(
        "{} SELECT priority, CASE WHEN $1 - created_at < 86400 THEN 0 \
           WHEN $1 - created_at < 259200 THEN 1 WHEN $1 - created_at < 604800 THEN 2 ELSE 3 END \
           AS bucket, COUNT(*) AS n FROM open_t GROUP BY priority, bucket",
        open_at(c)
    );
    let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(at)
        .bind(scope)
        .fetch_all(&mut *c)
        .await?;
    let mut out: Vec<AgeRow> = Vec::new();
    for r in rows {
        let p: Option<i64> = r.try_get("priority")?;
        let b: i64 = r.try_get("bucket")?;
        let n: i64 = r.try_get("n")?;
        let row = match out.iter_mut().position(|x| x.priority == p) {
            Some(i) => &mut out[i],
            None => {
                out.push(AgeRow {
                    priority: p,
                    buckets: [0; 4],
                });
                out.last_mut().expect("just pushed")
            }
        };
        row.buckets[b.clamp(0, 3) as usize] += n;
    }
    out.sort_by_key(|r| (r.priority.is_none(), r.priority));
    Ok(out)
}

pub(crate) fn line(r: &sqlx::any::AnyRow) -> Result<TicketLine> {
    Ok(TicketLine {
        id: r.try_get("id")?,
        subject: r.try_get("subject")?,
        priority: r.try_get("priority")?,
        group: r.try_get("group_key")?,
        assignee: r.try_get("assignee")?,
        created_at: r.try_get("created_at")?,
    })
}

/// The `limit` oldest tickets open at `at`.
pub async fn oldest(c: &mut Conn, at: i64, scope: &str, limit: i64) -> Result<Vec<TicketLine>> {
    let sql = format!(
        "{} SELECT * FROM open_t ORDER BY created_at, id LIMIT $3",
        open_at(c)
    );
    let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(at)
        .bind(scope)
        .bind(limit)
        .fetch_all(&mut *c)
        .await?;
    rows.iter().map(line).collect()
}

/// Tickets open at `at` per `column` (`group_key` or `assignee`), most first.
pub async fn open_per(c: &mut Conn, at: i64, scope: &str, column: Per) -> Result<Vec<Tally>> {
    let col = match column {
        Per::Group => "group_key",
        Per::Assignee => "assignee",
    };
    let sql = format!(
        "{} SELECT {col} AS k, COUNT(*) AS n FROM open_t GROUP BY {col} ORDER BY n DESC, {col} IS NULL, {col}",
        open_at(c)
    );
    let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(at)
        .bind(scope)
        .fetch_all(&mut *c)
        .await?;
    rows.iter()
        .map(|r| {
            Ok(Tally {
                key: r.try_get("k")?,
                count: r.try_get("n")?,
            })
        })
        .collect()
}

/// What [`open_per`] counts by.
#[derive(Debug, Clone, Copy)]
pub enum Per {
    Group,
    Assignee,
}

/// `escalated` events in `[from, to)`: the ticket, when, and to what
/// (the `to_group` key, or `step:N` for the SLA chain's step N).
pub async fn escalations(
    c: &mut Conn,
    from: i64,
    to: i64,
    scope: &str,
) -> Result<Vec<(TicketLine, i64, String)>> {
    let sql = format!(
        "SELECT {LINE_COLUMNS}, e.at, {group} AS to_group, {step} AS step \
         FROM events e JOIN tickets t ON t.id = e.ticket_id \
         WHERE e.kind = 'escalated' AND e.at >= $1 AND e.at < $2 AND {scope} \
         ORDER BY e.at, e.id LIMIT 200",
        group = field(c, "e", "to_group"),
        step = field(c, "e", "step"),
        scope = scoped(3),
    );
    let rows = rows_in(c, sql, from, to, scope).await?;
    rows.iter()
        .map(|r| {
            let group: Option<String> = r.try_get("to_group")?;
            // json_extract gives a number, ->> text: read either.
            let step: Option<String> = r.try_get::<Option<String>, _>("step").or_else(|_| {
                r.try_get::<Option<i64>, _>("step")
                    .map(|s| s.map(|s| s.to_string()))
            })?;
            let to = group
                .or(step.map(|s| format!("step:{s}")))
                .unwrap_or_default();
            Ok((line(r)?, r.try_get("at")?, to))
        })
        .collect()
}

/// Tickets recorded in `[from, to)` matching `condition` on `t`
/// (major incidents, security tickets).
pub async fn recorded_where(
    c: &mut Conn,
    from: i64,
    to: i64,
    scope: &str,
    which: Recorded,
) -> Result<Vec<TicketLine>> {
    let condition = match which {
        Recorded::Major => "t.major <> 0",
        Recorded::Security => "t.type = 'security'",
    };
    let sql = format!(
        "SELECT {LINE_COLUMNS} FROM tickets t WHERE t.created_at >= $1 AND t.created_at < $2 \
         AND {condition} AND {} ORDER BY t.created_at, t.id LIMIT 200",
        scoped(3)
    );
    let rows = rows_in(c, sql, from, to, scope).await?;
    rows.iter().map(line).collect()
}

/// Which tickets [`recorded_where`] lists.
#[derive(Debug, Clone, Copy)]
pub enum Recorded {
    Major,
    Security,
}

/// Tickets recorded in `[from, to)` and how many were recategorised.
pub async fn category_accuracy(
    c: &mut Conn,
    from: i64,
    to: i64,
    scope: &str,
) -> Result<(i64, i64)> {
    let sql = format!(
        "SELECT COUNT(*) AS n, COALESCE(SUM(CASE WHEN EXISTS (SELECT 1 FROM events r \
           WHERE r.ticket_id = t.id AND r.kind || '' = 'recategorised') THEN 1 ELSE 0 END), 0) AS re \
         FROM tickets t WHERE t.created_at >= $1 AND t.created_at < $2 AND {} AND {NOT_IGNORED}",
        scoped(3)
    );
    let r = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(from)
        .bind(to)
        .bind(scope)
        .fetch_one(&mut *c)
        .await?;
    Ok((r.try_get("n")?, r.try_get("re")?))
}

/// Incidents recorded in `[from, to)`, for the problem-candidate rule.
pub async fn incidents(c: &mut Conn, from: i64, to: i64, scope: &str) -> Result<Vec<Incident>> {
    let sql = format!(
        "SELECT t.id, t.subject, t.category, t.requester, t.created_at FROM tickets t \
         WHERE t.created_at >= $1 AND t.created_at < $2 AND t.type = 'incident' \
         AND t.merged_into IS NULL AND {} AND {NOT_IGNORED} ORDER BY t.id",
        scoped(3)
    );
    let rows = rows_in(c, sql, from, to, scope).await?;
    rows.iter()
        .map(|r| {
            Ok(Incident {
                id: r.try_get("id")?,
                subject: r.try_get("subject")?,
                category: r.try_get("category")?,
                requester: r.try_get("requester")?,
                created_at: r.try_get("created_at")?,
            })
        })
        .collect()
}

/// Surveys of `[from, to)`: `None` while the desk has never sent one.
pub async fn satisfaction(
    c: &mut Conn,
    from: i64,
    to: i64,
    scope: &str,
) -> Result<Option<Satisfaction>> {
    let any: Option<i64> = sqlx::query_scalar("SELECT 1 FROM surveys LIMIT 1")
        .fetch_optional(&mut *c)
        .await?;
    if any.is_none() {
        return Ok(None);
    }
    let sql = format!(
        "SELECT COALESCE(SUM(CASE WHEN s.sent_at >= $1 AND s.sent_at < $2 THEN 1 ELSE 0 END), 0) AS sent, \
           COALESCE(SUM(CASE WHEN s.answered_at >= $1 AND s.answered_at < $2 AND s.score IS NOT NULL \
             THEN 1 ELSE 0 END), 0) AS answered, \
           COALESCE(SUM(CASE WHEN s.answered_at >= $1 AND s.answered_at < $2 THEN s.score ELSE 0 END), 0) AS total \
         FROM surveys s JOIN tickets t ON t.id = s.ticket_id WHERE {}",
        scoped(3)
    );
    let r = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(from)
        .bind(to)
        .bind(scope)
        .fetch_one(&mut *c)
        .await?;
    let (sent, answered, total): (i64, i64, i64) = (
        r.try_get("sent")?,
        r.try_get("answered")?,
        r.try_get("total")?,
    );
    let sql = format!(
        "SELECT s.ticket_id, s.score, s.comment AS suggestion FROM surveys s \
         JOIN tickets t ON t.id = s.ticket_id \
         WHERE s.answered_at >= $1 AND s.answered_at < $2 AND s.score <= 2 AND {scope} \
         ORDER BY s.answered_at, s.id",
        scope = scoped(3)
    );
    let low = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(from)
        .bind(to)
        .bind(scope)
        .fetch_all(&mut *c)
        .await?
        .iter()
        .map(|r| {
            Ok(LowRating {
                ticket: r.try_get("ticket_id")?,
                score: r.try_get("score")?,
                suggestion: r
                    .try_get::<Option<String>, _>("suggestion")?
                    .unwrap_or_default(),
            })
        })
        .collect::<Result<Vec<_>>>()?;
    Ok(Some(Satisfaction {
        sent,
        answered,
        average: (answered > 0).then(|| total as f64 / answered as f64),
        low,
    }))
}
