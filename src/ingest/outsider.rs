//! Mail about a ticket from someone who does not take part in it.
//!
//! Ticket numbers are sequential and the subject tag public: a stranger who
//! writes `[Helpdesk #2] still broken` must not reopen another requester's
//! ticket, restart its clocks or have their text relayed as the requester's
//! conversation. Who takes part is decided in [`crate::participants`]; here
//! is what becomes of everyone else's mail (`desk.non_participant`):
//!
//! - `note` (default): the message is kept on the ticket as an internal
//!   note (kind `non_participant`) with a `non_participant` event, and the
//!   ticket's assignee (or else its group, or else the service desk) gets
//!   a short notice saying so and how to let the sender in (`#cc:`).
//!   Nothing else changes: no reopening, no status, no clocks, nothing to
//!   the requester, and nothing to the sender (an answer to a forged From
//!   would be backscatter). A robot's mail (a bounce, an out-of-office) is
//!   kept the same way, without the notice.
//! - `new_ticket`: the message opens a new ticket of the sender's, linked
//!   to the one they wrote about, as any new mail would (acknowledged
//!   within the desk's limits); the old ticket gets a `non_participant`
//!   event naming the new one.

use anyhow::Result;
use serde_json::json;

use super::open::Internal;
use super::{Arrival, Ingestor, Outcome, reply_parts, sent_texts};
use crate::domain::{EventKind, MailKind, TicketId};
use crate::mail::context::Desk;
use crate::mail::context::non_participant::{self as notice, NonParticipant};
use crate::parse::InboundMessage;
use crate::participants::{self, Role};
use crate::sla::notice::first_responders;
use crate::store::events::MsgRef;
use crate::store::script::Script;
use crate::store::unit::Unit;
use crate::store::{Conn, messages, tickets};

/// How much of the text (bytes) the staff notice carries: enough to judge
/// it, the rest is on the ticket.
const NOTICE_TEXT_MAX: usize = 2000;

impl Ingestor {
    /// The part the sender of `msg` has in `ticket` (as read); `None` when
    /// they take none.
    pub(super) async fn participant(
        &self,
        c: &mut Conn,
        msg: &InboundMessage,
        ticket: &tickets::Ticket,
    ) -> Result<Option<Role>> {
        let Some(from) = msg.from.as_ref() else {
            return Ok(None);
        };
        let desk = self.cfg.desk.is_own_address(&from.address);
        // A From in the staff directory is only a claim: a person's mail
        // with it takes the staff path (which checks it), a robot's is kept
        // internal there (`staff_robot_note`).
        let staff = self.claimed_staff(msg).is_some();
        if desk || staff {
            return Ok(participants::role(
                &from.address,
                &Default::default(),
                staff,
                desk,
            ));
        }
        // Most replies are the requester's: the ticket tells.
        let facts = participants::Facts {
            requesters: vec![ticket.requester.clone()],
            ..Default::default()
        };
        if let Some(role) = participants::role(&from.address, &facts, false, false) {
            return Ok(Some(role));
        }
        let facts = crate::store::participants::facts(c, ticket.id).await?;
        Ok(participants::role(&from.address, &facts, false, false))
    }

    /// A non-participant's message on `ticket`: an internal note, the
    /// event, and the notice to whoever works the ticket.
    pub(super) async fn outsider_note(
        &self,
        w: &mut Unit<'_>,
        a: Arrival<'_>,
        ticket: &tickets::Ticket,
    ) -> Result<Outcome> {
        let (msg, now, id) = (a.msg, a.now, ticket.id);
        let sent = sent_texts(w.conn().await?, id).await?;
        let (body, quoted) = reply_parts(msg, &sent);
        let author = a.author();
        let mid = self.record_inbound(
            w,
            a,
            id,
            "non_participant",
            (&body, quoted.as_deref()),
            &author,
        )?;
        messages::push_set_internal(w, &msg.message_id);
        let name = msg.from.as_ref().and_then(|m| m.name.as_deref());
        let address = sender_address(msg);
        let mut notified: Vec<String> = Vec::new();
        // Robots' mail is kept without a notice: bounces are not news.
        if msg.auto.is_none() {
            let desk = &self.cfg.desk;
            let sender = self
                .templates
                .sender(desk.language, &self.known, name, address)?;
            let (text, omitted) = crate::mail::excerpt::excerpt(&body, NOTICE_TEXT_MAX);
            let truncated = !omitted.is_null();
            let ctx = NonParticipant {
                desk: Desk::of(desk),
                ticket: notice::Ticket {
                    id,
                    subject: ticket.subject.clone(),
                    status: ticket.status.as_str(),
                },
                reference: format!("[{} #{id}]", desk.tag),
                sender,
                text: text.to_string(),
                truncated,
            };
            let rendered = self
                .templates
                .render("non_participant", desk.language, &ctx)?;
            let prefix = self
                .templates
                .subject_prefix(MailKind::NonParticipant, desk.language)?;
            let subject = format!("{prefix}: {}", ticket.subject);
            for (name, addr) in first_responders(&self.cfg, ticket) {
                if notified.iter().any(|n| n == addr.base()) {
                    continue;
                }
                notified.push(addr.base().to_string());
                let to = Internal {
                    kind: MailKind::NonParticipant,
                    id,
                    subject: &subject,
                    name,
                    addr,
                };
                self.queue_internal(w, to, &rendered, now)?;
            }
        }
        crate::store::events::push(
            w,
            id,
            EventKind::NonParticipant,
            &author,
            now,
            &mid,
            &json!({
                "mode": "note",
                "from": crate::display_name::shown(name, address),
                "message_id": msg.message_id,
                "auto": msg.auto.as_ref().map(|a| a.kind.as_str()),
                "notified": notified,
            }),
        );
        Ok(Outcome::Comment(id))
    }

    /// A non-participant's message opened ticket `new` instead of joining
    /// `previous` (`desk.non_participant = "new_ticket"`): the old ticket
    /// records where it went.
    pub(super) fn outsider_diverted(
        &self,
        w: &mut Script,
        a: Arrival<'_>,
        previous: TicketId,
        new: TicketId,
    ) {
        let (msg, now) = (a.msg, a.now);
        let name = msg.from.as_ref().and_then(|m| m.name.as_deref());
        crate::store::events::push(
            w,
            previous,
            EventKind::NonParticipant,
            &a.author(),
            now,
            &MsgRef::None,
            &json!({
                "mode": "new_ticket",
                "from": crate::display_name::shown(name, sender_address(msg)),
                "message_id": msg.message_id,
                "new_ticket": new,
            }),
        );
    }
}

/// The sender's address as written (From, else what the sender header held).
fn sender_address(msg: &InboundMessage) -> &str {
    msg.from
        .as_ref()
        .map(|m| m.address.as_str())
        .or(msg.sender_text.as_deref())
        .unwrap_or("")
}
