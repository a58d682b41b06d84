//! A message added to a ticket it belongs to, and the inbound message row
//! every path records.

use anyhow::Result;
use serde_json::json;

use super::{Arrival, Ingestor, Outcome};
use crate::domain::{Direction, EmailAddress, EventKind, Status, TicketId, Visibility};
use crate::parse::InboundMessage;
use crate::reply_trim;
use crate::sla::life;
use crate::store::events::{self, MsgRef};
use crate::store::script::Script;
use crate::store::unit::Unit;
use crate::store::{Conn, messages, ticket_sent, tickets};

impl Ingestor {
    /// The arrival as a comment on `ticket` (as it was read); `reopen` when
    /// threading decided it reopens a closed ticket.
    ///
    /// The timeline reads in causal order: `comment_added`, then what the
    /// comment did to the ticket (`reopened`, `status_changed`), then what
    /// that did to its clocks (`sla_restarted` …).
    pub(super) async fn add_comment(
        &self,
        u: &mut Unit<'_>,
        a: Arrival<'_>,
        ticket: &tickets::Ticket,
        reopen: bool,
    ) -> Result<Outcome> {
        let sent = sent_texts(u.conn().await?, ticket.id).await?;
        self.add_comment_with(u, a, ticket, &sent, reopen).await
    }

    /// [`Self::add_comment`] with the desk's latest mails on the ticket
    /// ([`sent_texts`]) read already, with the ticket.
    pub(super) async fn add_comment_with(
        &self,
        u: &mut Unit<'_>,
        a: Arrival<'_>,
        ticket: &tickets::Ticket,
        sent: &[String],
        reopen: bool,
    ) -> Result<Outcome> {
        let (msg, now) = (a.msg, a.now);
        let id = ticket.id;
        let (body, quoted) = reply_parts(msg, sent);
        let kind = if msg.auto.is_some() { "auto" } else { "reply" };
        let author = a.author();
        let mid = self.record_inbound(u, a, id, kind, (&body, quoted.as_deref()), &author)?;
        events::push(
            u,
            id,
            EventKind::CommentAdded,
            &author,
            now,
            &mid,
            &json!({
                "message_id": msg.message_id,
                "auto": msg.auto.as_ref().map(|a| json!({"kind": a.kind.as_str(), "reason": a.reason})),
            }),
        );
        tickets::push_touch(u, id, now);
        // Robots (an out-of-office, a bounce) change nothing on the ticket.
        if msg.auto.is_some() {
            return Ok(Outcome::Comment(id));
        }
        let from_requester = msg
            .from
            .as_ref()
            .and_then(|m| {
                EmailAddress::parse(&ticket.requester).map(|r| r.base() == m.address.base())
            })
            .unwrap_or(false);
        let new_status = if reopen {
            Some((EventKind::Reopened, Status::InProgress))
        } else if ticket.status == Status::Pending && from_requester {
            // The requester answered what the desk was waiting for.
            Some((EventKind::StatusChanged, Status::InProgress))
        } else {
            None
        };
        if let Some((kind, status)) = new_status {
            events::push(
                u,
                id,
                kind,
                &author,
                now,
                &mid,
                &json!({ "from": ticket.status.as_str(), "to": status.as_str() }),
            );
            // Written after the events above (the unit sends them first),
            // with the ticket as it was.
            life::on_status_change(u.conn().await?, id, ticket.status, status, now, &self.cfg)
                .await?;
            tickets::push_status(u, id, status, now);
        }
        Ok(Outcome::Comment(id))
    }

    /// The inbound message row of the arrival on ticket `ticket_id`, with
    /// its attachments' names and checksums; the reference events use.
    /// `(body, quoted)`: the text kept as new, and what was set aside as
    /// quoted.
    pub(super) fn record_inbound(
        &self,
        w: &mut Script,
        a: Arrival<'_>,
        ticket_id: TicketId,
        kind: &str,
        (body, quoted): (&str, Option<&str>),
        author: &str,
    ) -> Result<MsgRef> {
        let msg = a.msg;
        let to: Vec<String> = msg.to.iter().map(|m| m.display()).collect();
        let cc: Vec<String> = msg.cc.iter().map(|m| m.display()).collect();
        let refs = msg.references.join(" ");
        messages::push(
            w,
            &messages::NewMessage {
                ticket_id,
                raw_id: None,
                outbox_id: None,
                direction: Direction::In,
                visibility: Visibility::Public,
                kind,
                message_id: &msg.message_id,
                in_reply_to: msg.in_reply_to.first().map(String::as_str),
                refs: Some(refs.as_str()).filter(|r| !r.is_empty()),
                from_addr: msg
                    .from
                    .as_ref()
                    .map(|m| m.address.as_str())
                    .or(msg.sender_text.as_deref())
                    .unwrap_or(""),
                from_name: msg.from.as_ref().and_then(|m| m.name.as_deref()),
                to_addrs: &to,
                cc_addrs: &cc,
                subject: &msg.subject,
                body_text: body,
                body_html: msg.body_html.as_deref(),
                quoted_text: quoted,
                author,
                auto_kind: msg.auto.as_ref().map(|a| a.kind.as_str()),
                created_at: a.now,
            },
            Some(a.raw_id()),
            None,
            &msg.attachments,
        )?;
        if let Some(conversation) = msg.conversation() {
            messages::push_conversation(w, &msg.message_id, &conversation.key);
        }
        Ok(MsgRef::Latest(msg.message_id.clone()))
    }
}

/// How many of the desk's latest mails to the requester the reply reader
/// compares a reply with, and how much of each: a reply quotes the mail it
/// answers, which is nearly always one of the last few, and its start.
const SENT_MAILS: i64 = 3;
const SENT_CHARS: i64 = 8 * 1024;

/// The text of the desk's latest mails to the requester on `ticket` (see
/// [`SENT_MAILS`]): what [`reply_parts`] recognises as a quote of ours.
pub(crate) async fn sent_texts(c: &mut Conn, ticket: TicketId) -> Result<Vec<String>> {
    messages::recent_sent_texts(c, ticket, SENT_MAILS, SENT_CHARS).await
}

/// Ticket `id` ([`tickets::get`]) with [`sent_texts`] of it, in one round
/// trip.
pub(super) async fn ticket_with_sent(
    c: &mut Conn,
    id: TicketId,
) -> Result<Option<(tickets::Ticket, Vec<String>)>> {
    ticket_sent::get_with_sent(c, id, SENT_MAILS, SENT_CHARS).await
}

/// The new text of a reply, and what was set aside as quoted (none when
/// nothing is left without it). `sent`: the text of the desk's latest mail
/// to the requester ([`sent_texts`]), so a quote of it without any marker
/// is set aside too.
pub(crate) fn reply_parts(msg: &InboundMessage, sent: &[String]) -> (String, Option<String>) {
    let sent: Vec<&str> = sent.iter().map(String::as_str).collect();
    let trimmed = reply_trim::read(&reply_trim::Reply {
        text: &msg.body_text,
        html: msg.body_html.as_deref(),
        subject: &msg.subject,
        sent: &sent,
    });
    if trimmed.reply.is_empty() {
        (msg.body_text.trim().to_string(), None)
    } else {
        (
            trimmed.reply,
            Some(trimmed.elided).filter(|q| !q.is_empty()),
        )
    }
}
