//! Queries of the `events` table: the record of every change to a ticket.

use anyhow::Result;
use sqlx::Row;

use super::Conn;
use crate::domain::TicketId;

/// One change: what, who, when, from which message, and details as JSON.
#[derive(Debug, Clone)]
pub struct Event {
    pub id: i64,
    pub ticket_id: TicketId,
    pub kind: String,
    pub actor: String,
    pub at: i64,
    pub message_id: Option<i64>,
    pub data: serde_json::Value,
}

pub async fn insert(
    c: &mut Conn,
    ticket_id: TicketId,
    kind: &str,
    actor: &str,
    at: i64,
    message_id: Option<i64>,
    data: &serde_json::Value,
) -> Result<i64> {
    Ok(sqlx::query_scalar(
        "INSERT INTO events (ticket_id, kind, actor, at, message_id, data) \
         VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
    )
    .bind(ticket_id)
    .bind(kind)
    .bind(actor)
    .bind(at)
    .bind(message_id)
    .bind(data.to_string())
    .fetch_one(&mut *c)
    .await?)
}

pub async fn list_for_ticket(c: &mut Conn, ticket_id: TicketId) -> Result<Vec<Event>> {
    let rows = sqlx::query(
        "SELECT id, ticket_id, kind, actor, at, message_id, data FROM events \
         WHERE ticket_id = $1 ORDER BY id",
    )
    .bind(ticket_id)
    .fetch_all(&mut *c)
    .await?;
    rows.iter()
        .map(|r| {
            let data: String = r.try_get("data")?;
            Ok(Event {
                id: r.try_get("id")?,
                ticket_id: r.try_get("ticket_id")?,
                kind: r.try_get("kind")?,
                actor: r.try_get("actor")?,
                at: r.try_get("at")?,
                message_id: r.try_get("message_id")?,
                data: serde_json::from_str(&data).unwrap_or(serde_json::Value::Null),
            })
        })
        .collect()
}
