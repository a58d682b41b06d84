//! Recording an outgoing mail: the one way every use case does it
//! (ingest's acknowledgments and notices, staff commands' mail and `#help`,
//! the SLA scan's warnings and breaches).
//!
//! Persist first, send later: the mail is built here, queued as an outbox
//! row (sent by [`crate::outbox`] after the commit), and kept on its ticket
//! as a message row — its text, and the outbox row it went out as, whose
//! raw message holds the HTML part — with a `<kind>_queued` event. Mail that cannot even be built (an address the
//! MIME library refuses) is recorded as failed instead: a `failed` outbox
//! row with the reason and a `delivery_failed` event, and the caller's work
//! goes on.

use anyhow::Result;
use serde_json::json;
use tracing::warn;

use crate::domain::{Direction, EventKind, MailKind, Visibility};
use crate::mail::compose::{self, Outgoing};
use crate::store::events::{self, MsgRef};
use crate::store::script::Script;
use crate::store::{messages, outbox};

/// What the mail is, for the records.
#[derive(Debug, Clone, Copy)]
pub struct Recording<'a> {
    /// The outbox row's kind (`ack`, `staff_new`, `sla_warning` …); the
    /// event is `<kind>_queued`.
    pub kind: MailKind,
    /// Who may see it on the ticket.
    pub visibility: Visibility,
    /// The recipient the acknowledgment limits count (its base address).
    pub primary: &'a str,
}

/// Queues `out` into `w` and records it on its ticket (a mail without a
/// ticket, `#help` asked outside one, gets the outbox row alone). Returns
/// false when the mail could not be built and was recorded as failed.
pub fn record_outgoing(w: &mut Script, out: &Outgoing, r: Recording<'_>, now: i64) -> Result<bool> {
    let rcpts: Vec<String> = out.to.iter().map(|(_, a)| a.as_str().to_string()).collect();
    let subject = compose::clean::subject(&out.subject);
    let mut row = outbox::NewOutgoing {
        ticket_id: out.ticket_id,
        kind: r.kind.as_str(),
        message_id: &out.message_id,
        env_from: out.from.as_str(),
        rcpts: &rcpts,
        primary_rcpt: r.primary,
        subject: &subject,
        raw: &[],
        due_at: now,
        now,
    };
    let raw = match compose::build(out) {
        Ok(raw) => raw,
        Err(e) => {
            let reason = format!("cannot build the message: {e:#}");
            warn!(kind = r.kind.as_str(), ticket = ?out.ticket_id, error = %reason, "outgoing mail recorded as failed");
            outbox::push_failed(w, &row, &reason)?;
            if let Some(t) = out.ticket_id {
                events::push(
                    w,
                    t,
                    EventKind::DeliveryFailed,
                    "system",
                    now,
                    &MsgRef::None,
                    &json!({ "mail": r.kind.as_str(), "to": rcpts, "error": reason, "attempts": 0,
                             "message_id": out.message_id }),
                );
            }
            return Ok(false);
        }
    };
    row.raw = &raw;
    outbox::push(w, &row)?;
    let Some(ticket) = out.ticket_id else {
        return Ok(true);
    };
    let to: Vec<String> = out
        .to
        .iter()
        .map(|(n, a)| match n {
            Some(n) => format!("{n} <{a}>"),
            None => a.to_string(),
        })
        .collect();
    let refs = out.references.join(" ");
    messages::push(
        w,
        &messages::NewMessage {
            ticket_id: ticket,
            raw_id: None,
            outbox_id: None,
            direction: Direction::Out,
            visibility: r.visibility,
            kind: r.kind.as_str(),
            message_id: &out.message_id,
            in_reply_to: out.in_reply_to.as_deref(),
            refs: Some(refs.as_str()).filter(|r| !r.is_empty()),
            from_addr: out.from.as_str(),
            from_name: Some(&out.from_name),
            to_addrs: &to,
            cc_addrs: &[],
            subject: &out.subject,
            body_text: &out.text,
            // Not a second copy: the HTML is in the linked outbox row's raw
            // message (a copy would add a fifth to what intake writes).
            body_html: None,
            quoted_text: None,
            author: "system",
            auto_kind: out.auto_submitted,
            created_at: now,
        },
        None,
        // The outbox row just queued, found by its Message-ID.
        Some(&out.message_id),
        &[],
    )?;
    events::push(
        w,
        ticket,
        EventKind::Queued(r.kind),
        "system",
        now,
        &MsgRef::Latest(out.message_id.clone()),
        &json!({ "to": rcpts, "message_id": out.message_id }),
    );
    Ok(true)
}
