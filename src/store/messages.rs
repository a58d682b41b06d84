//! Queries of the `messages` and `attachments` tables.

use anyhow::Result;
use sqlx::Row;
use sqlx::any::AnyRow;

use super::Conn;
use super::script::Script;
use crate::domain::{Direction, TicketId, Visibility};
use crate::parse::Attachment;

/// A message to record on a ticket.
#[derive(Debug, Clone)]
pub struct NewMessage<'a> {
    pub ticket_id: TicketId,
    pub raw_id: Option<i64>,
    pub outbox_id: Option<i64>,
    pub direction: Direction,
    pub visibility: Visibility,
    /// `request` (opened the ticket), `reply`, `ack`, `notice`, `bounce` …
    pub kind: &'a str,
    pub message_id: &'a str,
    pub in_reply_to: Option<&'a str>,
    pub refs: Option<&'a str>,
    pub from_addr: &'a str,
    pub from_name: Option<&'a str>,
    pub to_addrs: &'a [String],
    pub cc_addrs: &'a [String],
    pub subject: &'a str,
    pub body_text: &'a str,
    pub body_html: Option<&'a str>,
    pub quoted_text: Option<&'a str>,
    /// A staff handle or the sender's address.
    pub author: &'a str,
    pub auto_kind: Option<&'a str>,
    pub created_at: i64,
}

/// A message as stored, with its attachments.
#[derive(Debug, Clone)]
pub struct StoredMessage {
    pub id: i64,
    pub ticket_id: TicketId,
    pub raw_id: Option<i64>,
    pub direction: String,
    pub visibility: String,
    pub kind: String,
    pub message_id: String,
    pub from_addr: String,
    pub from_name: Option<String>,
    pub to_addrs: Vec<String>,
    pub cc_addrs: Vec<String>,
    pub subject: String,
    pub body_text: String,
    pub body_html: Option<String>,
    pub quoted_text: Option<String>,
    pub author: String,
    pub auto_kind: Option<String>,
    pub created_at: i64,
    pub attachments: Vec<Attachment>,
}

pub async fn insert(c: &mut Conn, m: &NewMessage<'_>) -> Result<i64> {
    Ok(sqlx::query_scalar(
        "INSERT INTO messages (ticket_id, raw_id, outbox_id, direction, visibility, kind, message_id, \
         in_reply_to, refs, from_addr, from_name, to_addrs, cc_addrs, subject, body_text, body_html, \
         quoted_text, author, auto_kind, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, \
         $11, $12, $13, $14, $15, $16, $17, $18, $19, $20) RETURNING id",
    )
    .bind(m.ticket_id)
    .bind(m.raw_id)
    .bind(m.outbox_id)
    .bind(m.direction.as_str())
    .bind(m.visibility.as_str())
    .bind(m.kind)
    .bind(m.message_id)
    .bind(m.in_reply_to)
    .bind(m.refs)
    .bind(m.from_addr)
    .bind(m.from_name)
    .bind(serde_json::to_string(m.to_addrs)?)
    .bind(serde_json::to_string(m.cc_addrs)?)
    .bind(m.subject)
    .bind(m.body_text)
    .bind(m.body_html)
    .bind(m.quoted_text)
    .bind(m.author)
    .bind(m.auto_kind)
    .bind(m.created_at)
    .fetch_one(&mut *c)
    .await?)
}

/// Like [`insert`], with a row for each attachment,
/// as part of `w`. `outbox_message_id` links an outgoing message to its
/// outbox row (queued earlier in the same script).
///
/// `raw_key` names the raw message (by dedupe key) when it is stored in
/// the same script, so its id is not known yet.
pub fn push(
    w: &mut Script,
    m: &NewMessage<'_>,
    raw_key: Option<&str>,
    outbox_message_id: Option<&str>,
    attachments: &[Attachment],
) -> Result<()> {
    w.push(
        "INSERT INTO messages (ticket_id, raw_id, outbox_id, direction, visibility, kind, message_id, \
         in_reply_to, refs, from_addr, from_name, to_addrs, cc_addrs, subject, body_text, body_html, \
         quoted_text, author, auto_kind, created_at) VALUES ($1, \
         COALESCE($2, (SELECT id FROM raw_messages WHERE dedupe_key = $21)), \
         (SELECT id FROM outbox WHERE message_id = $3), $4, $5, $6, $7, $8, $9, $10, \
         $11, $12, $13, $14, $15, $16, $17, $18, $19, $20)",
        vec![
            m.ticket_id.into(),
            m.raw_id.into(),
            outbox_message_id.into(),
            m.direction.as_str().into(),
            m.visibility.as_str().into(),
            m.kind.into(),
            m.message_id.into(),
            m.in_reply_to.into(),
            m.refs.into(),
            m.from_addr.into(),
            m.from_name.into(),
            serde_json::to_string(m.to_addrs)?.into(),
            serde_json::to_string(m.cc_addrs)?.into(),
            m.subject.into(),
            m.body_text.into(),
            m.body_html.into(),
            m.quoted_text.into(),
            m.author.into(),
            m.auto_kind.into(),
            m.created_at.into(),
            raw_key.into(),
        ],
    );
    for a in attachments {
        w.push(
            "INSERT INTO attachments (message_id, filename, content_type, size, sha256, content_id) \
             VALUES ((SELECT MAX(id) FROM messages WHERE message_id = $1), $2, $3, $4, $5, $6)",
            vec![
                m.message_id.into(),
                a.filename.as_str().into(),
                a.content_type.as_str().into(),
                (a.size as i64).into(),
                a.sha256.as_str().into(),
                a.content_id.as_deref().into(),
            ],
        );
    }
    Ok(())
}

/// The ticket of the oldest message with Message-ID `$1` (PostgreSQL
/// answers it from the `(message_id, id)` index of migration 0015; its
/// plan is tested in `script_pg`'s tests).
pub(crate) const TICKET_OF_MESSAGE: &str =
    "SELECT ticket_id FROM messages WHERE message_id = $1 ORDER BY id LIMIT 1";

/// The ticket of the newest message of Outlook conversation `$1` (the
/// `(conversation, id)` index of migration 0015, holding only the rows
/// with a conversation since 0016).
pub(crate) const TICKET_OF_CONVERSATION: &str =
    "SELECT ticket_id FROM messages WHERE conversation = $1 ORDER BY id DESC LIMIT 1";

/// The ticket of the first of `ids` that is a known message (ours or theirs).
///
/// `ids` come nearest-first (In-Reply-To, then References from the end), so
/// the most direct parent wins when a thread spans tickets (after a merge).
pub async fn ticket_of_first(c: &mut Conn, ids: &[&str]) -> Result<Option<TicketId>> {
    for id in ids.iter().take(50) {
        let t: Option<i64> = sqlx::query_scalar(TICKET_OF_MESSAGE)
            .bind(*id)
            .fetch_optional(&mut *c)
            .await?;
        if t.is_some() {
            return Ok(t);
        }
    }
    Ok(None)
}

/// Records the Outlook conversation (`Thread-Index`) of the message last
/// pushed with `message_id`, as part of `w`.
pub fn push_conversation(w: &mut Script, message_id: &str, key: &str) {
    w.push(
        "UPDATE messages SET conversation = $1 \
         WHERE id = (SELECT MAX(id) FROM messages WHERE message_id = $2)",
        vec![key.into(), message_id.into()],
    );
}

/// The ticket of the latest message of the Outlook conversation `key`.
pub async fn ticket_of_conversation(c: &mut Conn, key: &str) -> Result<Option<TicketId>> {
    Ok(sqlx::query_scalar(TICKET_OF_CONVERSATION)
        .bind(key)
        .fetch_optional(&mut *c)
        .await?)
}

/// The text of the latest `limit` mails the desk sent the requester on a
/// ticket (public outgoing messages), newest first, each cut to its first
/// `max_chars` characters: what the reply reader recognises as quoted.
pub async fn recent_sent_texts(
    c: &mut Conn,
    ticket_id: TicketId,
    limit: i64,
    max_chars: i64,
) -> Result<Vec<String>> {
    Ok(sqlx::query_scalar(
        "SELECT SUBSTR(body_text, 1, CAST($2 AS INTEGER)) FROM messages \
         WHERE ticket_id = $1 AND direction = 'out' AND visibility = 'public' \
         ORDER BY id DESC LIMIT $3",
    )
    .bind(ticket_id)
    .bind(max_chars)
    .bind(limit)
    .fetch_all(&mut *c)
    .await?)
}

/// The Message-IDs of a ticket's messages, oldest first (for References).
pub async fn thread_ids(c: &mut Conn, ticket_id: TicketId) -> Result<Vec<String>> {
    Ok(sqlx::query_scalar(
        "SELECT message_id FROM messages WHERE ticket_id = $1 AND visibility = 'public' ORDER BY id",
    )
    .bind(ticket_id)
    .fetch_all(&mut *c)
    .await?)
}

fn from_row(r: &AnyRow) -> Result<StoredMessage> {
    let to: String = r.try_get("to_addrs")?;
    let cc: String = r.try_get("cc_addrs")?;
    Ok(StoredMessage {
        id: r.try_get("id")?,
        ticket_id: r.try_get("ticket_id")?,
        raw_id: r.try_get("raw_id")?,
        direction: r.try_get("direction")?,
        visibility: r.try_get("visibility")?,
        kind: r.try_get("kind")?,
        message_id: r.try_get("message_id")?,
        from_addr: r.try_get("from_addr")?,
        from_name: r.try_get("from_name")?,
        to_addrs: serde_json::from_str(&to).unwrap_or_default(),
        cc_addrs: serde_json::from_str(&cc).unwrap_or_default(),
        subject: r.try_get("subject")?,
        body_text: r.try_get("body_text")?,
        body_html: r.try_get("body_html")?,
        quoted_text: r.try_get("quoted_text")?,
        author: r.try_get("author")?,
        auto_kind: r.try_get("auto_kind")?,
        created_at: r.try_get("created_at")?,
        attachments: Vec::new(),
    })
}

/// A ticket's messages with their attachments, oldest first.
pub async fn list_for_ticket(c: &mut Conn, ticket_id: TicketId) -> Result<Vec<StoredMessage>> {
    let rows = sqlx::query(
        "SELECT id, ticket_id, raw_id, direction, visibility, kind, message_id, from_addr, from_name, \
         to_addrs, cc_addrs, subject, body_text, body_html, quoted_text, author, auto_kind, created_at \
         FROM messages WHERE ticket_id = $1 ORDER BY id",
    )
    .bind(ticket_id)
    .fetch_all(&mut *c)
    .await?;
    let mut out: Vec<StoredMessage> = rows.iter().map(from_row).collect::<Result<_>>()?;
    let atts = sqlx::query(
        "SELECT a.message_id, a.filename, a.content_type, a.size, a.sha256, a.content_id \
         FROM attachments a JOIN messages m ON m.id = a.message_id WHERE m.ticket_id = $1 ORDER BY a.id",
    )
    .bind(ticket_id)
    .fetch_all(&mut *c)
    .await?;
    for r in atts {
        let mid: i64 = r.try_get("message_id")?;
        let a = Attachment {
            filename: r.try_get("filename")?,
            content_type: r.try_get("content_type")?,
            size: r.try_get::<i64, _>("size")? as u64,
            sha256: r.try_get("sha256")?,
            content_id: r.try_get("content_id")?,
        };
        if let Some(m) = out.iter_mut().find(|m| m.id == mid) {
            m.attachments.push(a);
        }
    }
    Ok(out)
}

/// The raw message (`raw_messages.id`) of the ticket's first inbound
/// request: what its classification was made from.
pub async fn request_raw_id(c: &mut Conn, ticket_id: TicketId) -> Result<Option<i64>> {
    let id: Option<Option<i64>> = sqlx::query_scalar(
        "SELECT raw_id FROM messages WHERE ticket_id = $1 AND direction = 'in' \
         AND kind = 'request' AND raw_id IS NOT NULL ORDER BY id LIMIT 1",
    )
    .bind(ticket_id)
    .fetch_optional(&mut *c)
    .await?;
    Ok(id.flatten())
}

/// Makes the newest message with this Message-ID staff-only (an internal
/// note, or a staff mail whose commands were refused), as part of `w`.
pub fn push_set_internal(w: &mut Script, message_id: &str) {
    w.push(
        "UPDATE messages SET visibility = 'internal' \
         WHERE id = (SELECT MAX(id) FROM messages WHERE message_id = $1)",
        vec![message_id.into()],
    );
}

/// Records who really sent a message (a request a staff member mailed on
/// someone's behalf with `#requester:`), as part of `w`.
pub fn push_set_sender(
    w: &mut Script,
    message_id: &str,
    from_addr: &str,
    from_name: Option<&str>,
    author: &str,
) {
    w.push(
        "UPDATE messages SET from_addr = $1, from_name = $2, author = $3 \
         WHERE id = (SELECT MAX(id) FROM messages WHERE message_id = $4)",
        vec![
            from_addr.into(),
            from_name.into(),
            author.into(),
            message_id.into(),
        ],
    );
}

/// The bytes of message `id` of ticket `ticket`, as they arrived (inbound)
/// or as they were sent (outbound); `None` when the ticket has no such
/// message or its bytes are not kept (an outgoing mail recorded without an
/// outbox row).
pub async fn raw_bytes(c: &mut Conn, ticket: i64, id: i64) -> Result<Option<Vec<u8>>> {
    let row: Option<(Option<Vec<u8>>,)> = sqlx::query_as(
        "SELECT COALESCE(r.raw, o.raw) FROM messages m \
         LEFT JOIN raw_messages r ON r.id = m.raw_id \
         LEFT JOIN outbox_raw o ON o.outbox_id = m.outbox_id \
         WHERE m.id = $1 AND m.ticket_id = $2",
    )
    .bind(id)
    .bind(ticket)
    .fetch_optional(&mut *c)
    .await?;
    Ok(row.and_then(|(raw,)| raw))
}
