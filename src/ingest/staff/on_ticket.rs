//! A staff mail on a ticket, and a new staff mail with commands: proved,
//! planned ([`super::plan`]), then applied or refused.

use anyhow::Result;
use serde_json::json;

use super::plan::{self, Rules, Subject};
use super::{StaffMail, Text, staff_text, ticket};
use crate::commands::{Command, Parsed};
use crate::config::Staff;
use crate::domain::EventKind;
use crate::ingest::{Arrival, Ingestor, Outcome};
use crate::parse::Mailbox;
use crate::rules;
use crate::store::events::{self, MsgRef};
use crate::store::unit::Unit;
use crate::store::{messages, raw, tickets};

impl Ingestor {
    /// A staff mail on an existing ticket.
    pub(super) async fn staff_on_ticket(
        &self,
        u: &mut Unit<'_>,
        a: Arrival<'_>,
        staff: &Staff,
        ticket: tickets::Ticket,
        parsed: Parsed,
    ) -> Result<Outcome> {
        let msg = a.msg;
        let id = ticket.id;
        let text = staff_text(&parsed);
        let verdict = self.verify_on_ticket(u.conn().await?, staff, a, id).await?;
        // Their handle and a staff kind only once the mail proved it is
        // theirs; else it is the sender address's reply (kept internal).
        let (author, kind) = if !verdict.passed() {
            (a.author(), "reply")
        } else if parsed
            .commands
            .iter()
            .any(|l| l.command == Command::Internal)
        {
            (staff.handle.clone(), "note")
        } else {
            (staff.handle.clone(), "staff_reply")
        };
        let mid =
            self.record_inbound(u, a, id, kind, (&text.new, text.quoted.as_deref()), &author)?;
        tickets::push_touch(u, id, a.now);
        let m = StaffMail {
            a,
            staff,
            parsed: &parsed,
            verdict: &verdict,
            mid: &mid,
        };
        if !verdict.passed() {
            messages::push_set_internal(u, &msg.message_id);
            self.refuse(u, m, &ticket, true)?;
            return Ok(Outcome::Comment(id));
        }
        let plan = match plan::plan(&Rules::of(&self.cfg), &Subject::of(&ticket), staff, &parsed) {
            Ok(p) => p,
            Err(errors) => {
                messages::push_set_internal(u, &msg.message_id);
                self.reject(u, m, &ticket, messages_of(&errors), true)?;
                return Ok(Outcome::Comment(id));
            }
        };
        if plan.internal || plan.escalate.is_some() {
            messages::push_set_internal(u, &msg.message_id);
        }
        self.apply(u, m, ticket, plan, &text, false).await?;
        Ok(Outcome::Comment(id))
    }

    /// A new mail from staff with commands: `#requester:` opens the ticket
    /// on someone's behalf; other commands apply to the new ticket.
    pub(super) async fn staff_new_ticket(
        &self,
        u: &mut Unit<'_>,
        numbering: &mut tickets::Numbering,
        a: Arrival<'_>,
        staff: &Staff,
        parsed: Parsed,
        recent_acks: i64,
    ) -> Result<Outcome> {
        let msg = a.msg;
        // A new ticket: only the personal address (no ticket) proves it.
        let keys = self.keys(u.conn().await?).await?;
        let verdict = self.verify(&keys, staff, a, None);
        let on_behalf = parsed.commands.iter().find_map(|l| match &l.command {
            Command::Requester(x) => Some(x.clone()),
            _ => None,
        });
        let mut m = msg.clone();
        m.subject = parsed.subject_without_commands.clone();
        m.body_text = parsed.body_without_commands.trim().to_string();
        if let Some(x) = &on_behalf {
            m.from = Some(Mailbox {
                name: None,
                address: x.clone(),
            });
            m.reply_to = None;
            m.in_reply_to.clear();
            m.references.clear();
        }
        // Checked against the ticket-to-be, so nothing opens when a command
        // is wrong.
        let class = rules::classify(&self.cfg.rules, &self.cfg.catalogue, &m);
        let opening = Subject::opening(&class.result.group, &class.result.category);
        let planned = verdict
            .passed()
            .then(|| plan::plan(&Rules::of(&self.cfg), &opening, staff, &parsed));
        let request = MsgRef::Latest(msg.message_id.clone());
        let sm = StaffMail {
            a,
            staff,
            parsed: &parsed,
            verdict: &verdict,
            mid: &request,
        };
        let plan = match planned {
            Some(Ok(p)) => p,
            failed => {
                // Nothing applies: the mail becomes an ordinary ticket of
                // its sender, and the refusal is recorded on it.
                let outcome = self.open_ticket(u, numbering, a, None, recent_acks).await?;
                if let Outcome::NewTicket(id) = outcome {
                    let t = ticket(u.conn().await?, id).await?;
                    match failed {
                        Some(Err(errors)) => self.reject(u, sm, &t, messages_of(&errors), false)?,
                        _ => self.refuse(u, sm, &t, false)?,
                    }
                }
                return Ok(outcome);
            }
        };
        // The acknowledgment to the requester a staff member named counts
        // against that address's limit and the desk's, like any other:
        // `#requester:` must not be a way around them.
        let acks = match &on_behalf {
            Some(x) => raw::acks_to(u.conn().await?, x.base(), self.ack_since(a.now)).await?,
            None => recent_acks,
        };
        let outcome = self
            .open_ticket(u, numbering, a.with_msg(&m), None, acks)
            .await?;
        let Outcome::NewTicket(id) = outcome else {
            return Ok(outcome);
        };
        if let Some(x) = &on_behalf {
            let from = msg.from.as_ref();
            messages::push_set_sender(
                u,
                &msg.message_id,
                from.map(|f| f.address.as_str()).unwrap_or_default(),
                from.and_then(|f| f.name.as_deref()),
                &staff.handle,
            );
            events::push(
                u,
                id,
                EventKind::OpenedOnBehalf,
                &staff.handle,
                a.now,
                &request,
                &json!({ "requester": x.as_str(), "by": staff.handle, "auth": verdict.json(),
                         "source_message": msg.message_id }),
            );
        }
        // The commands below read and update the new ticket (the unit
        // writes it first).
        let t = ticket(u.conn().await?, id).await?;
        let text = Text {
            new: String::new(),
            quoted: None,
        };
        self.apply(u, sm, t, plan, &text, true).await?;
        Ok(outcome)
    }
}

/// The errors as the staff member reads them.
fn messages_of(errors: &[plan::PlanError]) -> Vec<String> {
    errors.iter().map(ToString::to_string).collect()
}
