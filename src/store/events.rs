//! Queries of the `events` table: the record of every change to a ticket.

use anyhow::Result;
use sqlx::Row;

use super::Conn;
use super::script::{Arg, Script};
use crate::domain::{EventKind, TicketId};

/// One change: what, who, when, from which message, and details as JSON.
#[derive(Debug, Clone)]
pub struct Event {
    pub id: i64,
    pub ticket_id: TicketId,
    /// As stored: [`EventKind::parse`] reads it (`None` for a name this
    /// version does not write).
    pub kind: String,
    pub actor: String,
    pub at: i64,
    pub message_id: Option<i64>,
    pub data: serde_json::Value,
}

pub async fn insert(
    c: &mut Conn,
    ticket_id: TicketId,
    kind: EventKind,
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
    .bind(kind.as_str())
    .bind(actor)
    .bind(at)
    .bind(message_id)
    .bind(data.to_string())
    .fetch_one(&mut *c)
    .await?)
}

/// Which message an event came from, when written in a [`Script`] where the
/// message's id is not known yet.
#[derive(Debug, Clone)]
pub enum MsgRef {
    None,
    Id(i64),
    /// The newest message with this Message-ID (the one the script just
    /// inserted).
    Latest(String),
}

/// Like [`insert`], as part of `w`.
pub fn push(
    w: &mut Script,
    ticket_id: TicketId,
    kind: EventKind,
    actor: &str,
    at: i64,
    message: &MsgRef,
    data: &serde_json::Value,
) {
    let head: Vec<Arg> = vec![
        ticket_id.into(),
        kind.as_str().into(),
        actor.into(),
        at.into(),
    ];
    let data: Arg = data.to_string().into();
    match message {
        MsgRef::None => w.push(
            "INSERT INTO events (ticket_id, kind, actor, at, message_id, data) \
             VALUES ($1, $2, $3, $4, NULL, $5)",
            head.into_iter().chain([data]).collect(),
        ),
        MsgRef::Id(id) => w.push(
            "INSERT INTO events (ticket_id, kind, actor, at, message_id, data) \
             VALUES ($1, $2, $3, $4, $5, $6)",
            head.into_iter().chain([(*id).into(), data]).collect(),
        ),
        MsgRef::Latest(mid) => w.push(
            "INSERT INTO events (ticket_id, kind, actor, at, message_id, data) VALUES ($1, $2, $3, $4, \
             (SELECT MAX(id) FROM messages WHERE message_id = $5), $6)",
            head.into_iter().chain([mid.as_str().into(), data]).collect(),
        ),
    }
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
