//! Old paths of the SLA scan, kept while the house is rebuilt (issue 10):
//! the pure due-time maths are in [`crate::sla::due`], the clock-look use
//! case in [`crate::sla::clocks`], the notices in [`crate::sla::notice`]
//! and the worker in [`crate::sla::scan`]. What is left here records an SLA
//! notice as outgoing mail (to be replaced by the one `record_outgoing`).

use anyhow::Result;
use serde_json::json;
use tracing::warn;

use crate::compose::{self, Outgoing};
use crate::domain::{Direction, EmailAddress, Visibility};
use crate::store::tickets::Ticket;
use crate::store::{Conn, events, messages, outbox};

pub use crate::mail::words::human_duration;
pub use crate::sla::clocks::{calendar_of, record, row_after, row_retargeted};
pub use crate::sla::due::{
    DEFAULT_EVERY, DEFAULT_SCAN_INTERVAL, Due, Policy, Recipient, due_between, next_check,
};
pub use crate::sla::notice::{first_responders, local_time, rfc3339};
pub use crate::sla::scan::{Escalator, ScanStats};

/// Queues the SLA notice `out` (kind `kind`: `sla_warning`, `sla_breach`,
/// `sla_escalated`) to `to`: the outbox row, the message row and its
/// `*_queued` event; a notice that cannot be built is recorded as failed.
pub(crate) async fn queue_notice(
    c: &mut Conn,
    ticket: &Ticket,
    kind: &'static str,
    out: Outgoing,
    to: EmailAddress,
    now: i64,
) -> Result<()> {
    let rcpts = vec![to.as_str().to_string()];
    let subject = compose::clean::subject(&out.subject);
    let mut row = outbox::NewOutgoing {
        ticket_id: Some(ticket.id),
        kind,
        message_id: &out.message_id,
        env_from: out.from.as_str(),
        rcpts: &rcpts,
        primary_rcpt: to.base(),
        subject: &subject,
        raw: &[],
        due_at: now,
        now,
    };
    let raw = match compose::build(&out) {
        Ok(raw) => raw,
        Err(e) => {
            // Recorded as failed, like mail the server refused: the scan
            // goes on, and this threshold is not tried again.
            let reason = format!("cannot build the message: {e:#}");
            warn!(ticket = ticket.id, kind, error = %reason, "SLA notice recorded as failed");
            outbox::insert_failed(c, &row, &reason).await?;
            events::insert(
                c,
                ticket.id,
                "delivery_failed",
                "system",
                now,
                None,
                &json!({ "mail": kind, "to": rcpts, "error": reason, "attempts": 0,
                         "message_id": out.message_id }),
            )
            .await?;
            return Ok(());
        }
    };
    row.raw = &raw;
    let outbox_id = outbox::enqueue(c, &row).await?;
    let to_display = vec![match &out.to[0].0 {
        Some(n) => format!("{n} <{to}>"),
        None => to.to_string(),
    }];
    let mid = messages::insert(
        c,
        &messages::NewMessage {
            ticket_id: ticket.id,
            raw_id: None,
            outbox_id: Some(outbox_id),
            direction: Direction::Out,
            visibility: Visibility::Internal,
            kind,
            message_id: &out.message_id,
            in_reply_to: None,
            refs: None,
            from_addr: out.from.as_str(),
            from_name: Some(&out.from_name),
            to_addrs: &to_display,
            cc_addrs: &[],
            subject: &out.subject,
            body_text: &out.text,
            body_html: out.html.as_deref(),
            quoted_text: None,
            author: "system",
            auto_kind: out.auto_submitted,
            created_at: now,
        },
    )
    .await?;
    events::insert(
        c,
        ticket.id,
        &format!("{kind}_queued"),
        "system",
        now,
        Some(mid),
        &json!({ "to": rcpts, "outbox_id": outbox_id }),
    )
    .await?;
    Ok(())
}
