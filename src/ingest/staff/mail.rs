//! The mail a staff mail causes: the requester's (and the watchers'),
//! the answer to the staff member, and the command reference.

use anyhow::Result;

use super::StaffMail;
use crate::commands::{self, Assignee, Command};
use crate::config::Staff;
use crate::domain::{EmailAddress, MailKind, Visibility};
use crate::ingest::{Arrival, Ingestor, MAX_REFERENCES};
use crate::mail::compose::{self, Outgoing};
use crate::mail::context::Desk;
use crate::mail::context::help::Help;
use crate::mail::templates::Rendered;
use crate::outgoing::{Recording, record_outgoing};
use crate::staff_auth::{Check, Verdict};
use crate::store::script::Script;
use crate::store::unit::Unit;
use crate::store::{messages, tickets, watchers};

impl Ingestor {
    /// The requester's mail, and a copy to each watcher; returns who got it.
    pub(super) async fn queue_to_requester(
        &self,
        w: &mut Unit<'_>,
        m: StaffMail<'_>,
        ticket: &tickets::Ticket,
        kind: MailKind,
        rendered: &Rendered,
        written: bool,
    ) -> Result<Vec<String>> {
        let (msg, staff, now) = (m.msg(), m.staff, m.a.now);
        let desk = &self.cfg.desk;
        let sender = msg.from.as_ref().map(|m| m.address.base().to_string());
        let mut to: Vec<(Option<String>, EmailAddress)> = Vec::new();
        if let Some(r) = EmailAddress::parse(&ticket.requester) {
            to.push((ticket.requester_name.clone(), r));
        }
        for x in watchers::list(w.conn().await?, ticket.id).await? {
            if let Some(a) = EmailAddress::parse(&x) {
                to.push((None, a));
            }
        }
        // Thread it in the requester's conversation: their messages and our
        // earlier mail to them.
        let history = messages::list_for_ticket(w.conn().await?, ticket.id).await?;
        let requester = EmailAddress::parse(&ticket.requester);
        let mut thread: Vec<String> = history
            .iter()
            .filter(|m| {
                let theirs = m.direction == "in"
                    && requester
                        .as_ref()
                        .and_then(|r| {
                            EmailAddress::parse(&m.from_addr).map(|f| f.base() == r.base())
                        })
                        .unwrap_or(false);
                let ours = m.direction == "out"
                    && m.visibility == "public"
                    && requester.as_ref().is_some_and(|r| {
                        m.to_addrs
                            .iter()
                            .any(|t| t.to_lowercase().contains(r.base()))
                    });
                theirs || ours
            })
            .map(|m| m.message_id.clone())
            .collect();
        if thread.len() > MAX_REFERENCES {
            // The first (the thread's root) and the latest.
            let tail = thread.split_off(thread.len() - (MAX_REFERENCES - 1));
            thread.truncate(1);
            thread.extend(tail);
        }
        let mut done: Vec<String> = sender.into_iter().collect();
        let mut sent = Vec::new();
        for (name, addr) in to {
            if done.iter().any(|d| d == addr.base()) || desk.is_own_address(&addr) {
                continue;
            }
            done.push(addr.base().to_string());
            let reply_to = self.reply_to_for(&addr, Some(ticket.id), now);
            let out = Outgoing {
                from_name: format!("{} via {}", staff.name, desk.name),
                from: desk.address.clone(),
                reply_to,
                to: vec![(name, addr.clone())],
                subject: crate::threading::tagged_subject(&desk.tag, ticket.id, &ticket.subject),
                text: rendered.text.clone(),
                html: Some(rendered.html.clone()),
                message_id: compose::new_message_id(Some(ticket.id), kind.as_str(), desk.domain()),
                in_reply_to: thread.last().cloned(),
                references: thread.clone(),
                // A person wrote it; a bare notice is automatic.
                auto_submitted: (!written).then_some("auto-generated"),
                ticket_id: Some(ticket.id),
                date: now,
            };
            let recording = Recording {
                kind,
                visibility: Visibility::Public,
                primary: addr.base(),
            };
            record_outgoing(w, &out, recording, now)?;
            sent.push(addr.base().to_string());
        }
        Ok(sent)
    }

    /// An internal mail to the staff member who sent `msg`, at their
    /// directory address, answering their mail.
    pub(super) fn queue_to_staff(
        &self,
        w: &mut Script,
        a: Arrival<'_>,
        staff: &Staff,
        kind: MailKind,
        ticket: &tickets::Ticket,
        rendered: &Rendered,
    ) -> Result<()> {
        let (msg, now, id) = (a.msg, a.now, ticket.id);
        let desk = &self.cfg.desk;
        let mut references = msg.references.clone();
        references.push(msg.message_id.clone());
        let skip = references.len().saturating_sub(MAX_REFERENCES);
        let out = Outgoing {
            from_name: desk.name.clone(),
            from: desk.address.clone(),
            reply_to: self.reply_to_for(&staff.email, Some(id), now),
            to: vec![(Some(staff.name.clone()), staff.email.clone())],
            subject: crate::threading::tagged_subject(&desk.tag, id, &ticket.subject),
            text: rendered.text.clone(),
            html: Some(rendered.html.clone()),
            message_id: compose::new_message_id(Some(id), kind.as_str(), desk.domain()),
            in_reply_to: Some(msg.message_id.clone()),
            references: references.into_iter().skip(skip).collect(),
            auto_submitted: Some("auto-replied"),
            ticket_id: Some(id),
            date: now,
        };
        let recording = Recording {
            kind,
            visibility: Visibility::Internal,
            primary: staff.email.base(),
        };
        record_outgoing(w, &out, recording, now)?;
        Ok(())
    }

    /// The command reference, to the staff member's directory address.
    /// On a ticket, it is kept there like any mail to staff; asked outside
    /// one, it has no ticket to be kept on (the outbox row alone).
    pub(super) async fn queue_help(
        &self,
        w: &mut Script,
        a: Arrival<'_>,
        staff: &Staff,
        ticket: Option<&tickets::Ticket>,
    ) -> Result<()> {
        let (msg, now) = (a.msg, a.now);
        let desk = &self.cfg.desk;
        // The address for new tickets with commands: no ticket in it.
        let personal = self.reply_to_for(&staff.email, None, now);
        let lifetime = self.cfg.auth.token_lifetime.as_secs() as i64;
        let ctx = Help {
            desk: Desk::of(desk),
            commands: commands::help_text(desk.language).to_string(),
            personal_address: personal.as_str().to_string(),
            personal_until: self.local_time(now.saturating_add(lifetime)),
        };
        let rendered = self.templates.render("help", desk.language, &ctx)?;
        if let Some(t) = ticket {
            return self.queue_to_staff(w, a, staff, MailKind::Help, t, &rendered);
        }
        let out = Outgoing {
            from_name: desk.name.clone(),
            from: desk.address.clone(),
            reply_to: personal,
            to: vec![(Some(staff.name.clone()), staff.email.clone())],
            subject: self.templates.subject("help", desk.language, &ctx)?,
            text: rendered.text,
            html: Some(rendered.html),
            message_id: compose::new_message_id(None, "help", desk.domain()),
            in_reply_to: Some(msg.message_id.clone()),
            references: vec![msg.message_id.clone()],
            auto_submitted: Some("auto-replied"),
            ticket_id: None,
            date: now,
        };
        let recording = Recording {
            kind: MailKind::Help,
            visibility: Visibility::Internal,
            primary: staff.email.base(),
        };
        record_outgoing(w, &out, recording, now)?;
        Ok(())
    }

    /// An instant as staff read it: the desk's time zone.
    pub(super) fn local_time(&self, t: i64) -> String {
        crate::mail::words::local_time(&self.cfg.desk.timezone, t)
    }
}

/// One line of the staff confirmation.
pub(super) fn describe(c: &Command, staff: &Staff, cfg: &crate::config::Config) -> String {
    match c {
        Command::Assign(Assignee::Me) => format!("{c} → {}", staff.handle),
        Command::Internal => "#internal (note kept for staff)".into(),
        Command::Escalate(None) => "#escalate (next level)".into(),
        Command::Category(k) => match cfg.catalogue.category(k) {
            Some(cat) => format!("{c} ({})", cat.name.get(cfg.desk.language)),
            None => c.to_string(),
        },
        _ => c.to_string(),
    }
}

pub(super) fn evidence_text(v: &Verdict) -> String {
    [&v.token, &v.dkim]
        .into_iter()
        .filter_map(|c| match c {
            Check::Pass(d) => Some(d.clone()),
            _ => None,
        })
        .collect::<Vec<_>>()
        .join("; ")
}
