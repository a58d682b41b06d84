//! The digest's SLA queries: shares of clocks met, the per-day series of
//! the charts, breaches and the tickets at risk.

use anyhow::Result;
use sqlx::Row as _;

use super::*;

/// Clocks stopped in `[from, to)`: met and decided per (priority, clock).
/// A clock stopped twice (reopened in between) counts each time.
pub async fn sla_shares(
    c: &mut Conn,
    from: i64,
    to: i64,
    scope: &str,
) -> Result<Vec<(Option<i64>, String, Share)>> {
    let sql = format!(
        "SELECT t.priority, {clock} AS clock, \
           SUM(CASE WHEN {state} = 'met' THEN 1 ELSE 0 END) AS met, COUNT(*) AS decided \
         FROM events e JOIN tickets t ON t.id = e.ticket_id \
         WHERE e.kind = 'sla_stopped' AND e.at >= $1 AND e.at < $2 AND {scope} \
         GROUP BY t.priority, {clock}",
        clock = field(c, "e", "clock"),
        state = field(c, "e", "state"),
        scope = scoped(3),
    );
    let rows = rows_in(c, sql, from, to, scope).await?;
    rows.iter()
        .map(|r| {
            Ok((
                r.try_get("priority")?,
                r.try_get::<Option<String>, _>("clock")?.unwrap_or_default(),
                Share {
                    met: r.try_get("met")?,
                    decided: r.try_get("decided")?,
                },
            ))
        })
        .collect()
}

/// Per day of `days` days from `from` (days of 86,400 s from a local
/// midnight; exact in zones without daylight saving, as Indonesia's):
/// tickets opened, tickets resolved, and stopped clocks as
/// (day, clock, share).
pub struct Daily {
    pub opened: Vec<i64>,
    pub resolved: Vec<i64>,
    pub response: Vec<Share>,
    pub resolution: Vec<Share>,
}

pub async fn daily(c: &mut Conn, from: i64, days: usize, scope: &str) -> Result<Daily> {
    let to = from + days as i64 * 86_400;
    let mut out = Daily {
        opened: vec![0; days],
        resolved: vec![0; days],
        response: vec![Share::default(); days],
        resolution: vec![Share::default(); days],
    };
    let slot = |d: i64| usize::try_from(d).ok().filter(|&d| d < days);
    let sql = format!(
        "SELECT (t.created_at - $1) / 86400 AS d, COUNT(*) AS n FROM tickets t \
         WHERE t.created_at >= $1 AND t.created_at < $2 AND {} AND {NOT_IGNORED} GROUP BY d",
        scoped(3)
    );
    for r in sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(from)
        .bind(to)
        .bind(scope)
        .fetch_all(&mut *c)
        .await?
    {
        if let Some(d) = slot(r.try_get("d")?) {
            out.opened[d] = r.try_get("n")?;
        }
    }
    let sql = format!(
        "SELECT (e.at - $1) / 86400 AS d, COUNT(DISTINCT e.ticket_id) AS n \
         FROM events e JOIN tickets t ON t.id = e.ticket_id \
         WHERE e.kind = 'status_changed' AND e.at >= $1 AND e.at < $2 AND {to} = 'resolved' \
         AND {scope} GROUP BY d",
        to = field(c, "e", "to"),
        scope = scoped(3)
    );
    for r in sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(from)
        .bind(to)
        .bind(scope)
        .fetch_all(&mut *c)
        .await?
    {
        if let Some(d) = slot(r.try_get("d")?) {
            out.resolved[d] = r.try_get("n")?;
        }
    }
    let sql = format!(
        "SELECT (e.at - $1) / 86400 AS d, {clock} AS clock, \
           SUM(CASE WHEN {state} = 'met' THEN 1 ELSE 0 END) AS met, COUNT(*) AS decided \
         FROM events e JOIN tickets t ON t.id = e.ticket_id \
         WHERE e.kind = 'sla_stopped' AND e.at >= $1 AND e.at < $2 AND {scope} \
         GROUP BY d, {clock}",
        clock = field(c, "e", "clock"),
        state = field(c, "e", "state"),
        scope = scoped(3),
    );
    for r in sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(from)
        .bind(to)
        .bind(scope)
        .fetch_all(&mut *c)
        .await?
    {
        let Some(d) = slot(r.try_get("d")?) else {
            continue;
        };
        let share = Share {
            met: r.try_get("met")?,
            decided: r.try_get("decided")?,
        };
        match r.try_get::<Option<String>, _>("clock")?.as_deref() {
            Some("response") => out.response[d] = share,
            Some("resolution") => out.resolution[d] = share,
            _ => {}
        }
    }
    Ok(out)
}

/// A breach event of the period with what is needed to say how late.
#[derive(Debug, Clone)]
pub struct BreachRow {
    pub ticket: TicketLine,
    pub clock: String,
    /// The due instant as the event recorded it (RFC 3339).
    pub due_at: Option<String>,
    pub business_hours: bool,
    /// When the clock stopped, if it has.
    pub stopped_at: Option<i64>,
}

/// `sla_breach` events in `[from, to)`, oldest first.
pub async fn breaches(c: &mut Conn, from: i64, to: i64, scope: &str) -> Result<Vec<BreachRow>> {
    let sql = format!(
        "SELECT {LINE_COLUMNS}, {clock} AS clock, {due} AS due_at, \
           k.business_hours, k.stopped_at \
         FROM events e JOIN tickets t ON t.id = e.ticket_id \
         LEFT JOIN sla_clocks k ON k.ticket_id = e.ticket_id AND k.kind = {clock} \
         WHERE e.kind = 'sla_breach' AND e.at >= $1 AND e.at < $2 AND {scope} \
         ORDER BY e.at, e.id",
        clock = field(c, "e", "clock"),
        due = field(c, "e", "due_at"),
        scope = scoped(3),
    );
    let rows = rows_in(c, sql, from, to, scope).await?;
    rows.iter()
        .map(|r| {
            Ok(BreachRow {
                ticket: line(r)?,
                clock: r.try_get::<Option<String>, _>("clock")?.unwrap_or_default(),
                due_at: r.try_get("due_at")?,
                business_hours: r.try_get::<Option<i64>, _>("business_hours")?.unwrap_or(1) != 0,
                stopped_at: r.try_get("stopped_at")?,
            })
        })
        .collect()
}

/// Running clocks due in `[from, to)`, soonest first.
pub async fn at_risk(
    c: &mut Conn,
    from: i64,
    to: i64,
    scope: &str,
) -> Result<Vec<(TicketLine, String, i64)>> {
    let sql = format!(
        "SELECT {LINE_COLUMNS}, k.kind AS clock, k.due_at FROM sla_clocks k \
         JOIN tickets t ON t.id = k.ticket_id \
         WHERE k.state = 'running' AND k.due_at >= $1 AND k.due_at < $2 AND {} \
         ORDER BY k.due_at, t.id LIMIT 100",
        scoped(3)
    );
    let rows = rows_in(c, sql, from, to, scope).await?;
    rows.iter()
        .map(|r| Ok((line(r)?, r.try_get("clock")?, r.try_get("due_at")?)))
        .collect()
}
