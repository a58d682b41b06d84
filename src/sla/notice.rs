//! Who hears of an SLA warning, breach or escalation step, and the notice
//! they get: the template `sla_warning` or `sla_breach` in the desk's
//! language, with a Reply-To that carries the staff member's token (so a
//! `#resolve` answered to a warning counts as theirs, like an answer to
//! any other staff notice).

use std::sync::Arc;

use anyhow::Result;
use chrono::TimeZone;

use crate::config::{Config, Staff};
use crate::domain::{EmailAddress, EventKind, MailKind, Visibility};
use crate::mail::compose::{self, Outgoing};
use crate::mail::context::sla_notice::{self, ClockView, Escalation};
use crate::mail::context::{Desk, SlaNotice};
use crate::mail::templates::Templates;
use crate::sla::clocks::calendar_of;
use crate::sla::due::{Due, Recipient};
use crate::staff_token::KeyRing;
use crate::store::sla_clocks::ClockRow;
use crate::store::tickets::Ticket;
use crate::threading;

/// A recipient: the name to show, and the address.
pub type To = (Option<String>, EmailAddress);

/// The addresses a chain entry means for `ticket`.
pub fn resolve(entry: &Recipient, cfg: &Config, ticket: &Ticket) -> Vec<To> {
    let staff = |s: &Staff| (Some(s.name.clone()), s.email.clone());
    let assignee = || {
        ticket
            .assignee
            .as_deref()
            .and_then(|h| cfg.staff_by_handle(h))
            .map(staff)
    };
    match entry {
        Recipient::Group => ticket
            .group_key
            .as_deref()
            .map(|g| cfg.group_members(g).map(staff).collect::<Vec<_>>())
            .unwrap_or_default()
            .into_iter()
            .chain(assignee())
            .collect(),
        Recipient::Assignee => assignee().into_iter().collect(),
        Recipient::GroupKey(g) => cfg.group_members(g).map(staff).collect(),
        Recipient::Level(n) => cfg
            .staff
            .iter()
            .filter(|s| s.level == *n)
            .map(staff)
            .collect(),
        Recipient::Managers => cfg.managers().map(staff).collect(),
        Recipient::Staff(h) => cfg.staff_by_handle(h).map(staff).into_iter().collect(),
        Recipient::Address(a) => {
            vec![(cfg.staff_by_email(a).map(|s| s.name.clone()), a.clone())]
        }
    }
}

/// Who hears first of something on a ticket (an SLA warning, mail from a
/// non-participant): its assignee, or else its group, or else the service
/// desk.
pub fn first_responders(cfg: &Config, ticket: &Ticket) -> Vec<To> {
    let assignee = resolve(&Recipient::Assignee, cfg, ticket);
    let mut to = if assignee.is_empty() {
        resolve(&Recipient::Group, cfg, ticket)
    } else {
        assignee
    };
    if to.is_empty() {
        to = cfg
            .service_desk()
            .map(|s| (Some(s.name.clone()), s.email.clone()))
            .collect();
    }
    to
}

/// What `due` is recorded as (its event kind), who is told (each address
/// once) and, for a breach or step, its step of the chain.
pub fn recipients(cfg: &Config, ticket: &Ticket, due: Due) -> (EventKind, Vec<To>, Option<usize>) {
    let (event, recipients, step) = match due {
        Due::Warning { .. } => (EventKind::SlaWarning, first_responders(cfg, ticket), None),
        Due::Breach { .. } => {
            let mut to = resolve(&Recipient::Group, cfg, ticket);
            if let Some(first) = cfg.escalation.chain.first() {
                to.extend(resolve(first, cfg, ticket));
            }
            (EventKind::SlaBreach, to, Some(1))
        }
        Due::Step { step, .. } => {
            let to = cfg
                .escalation
                .chain
                .get(step - 1)
                .map(|r| resolve(r, cfg, ticket))
                .unwrap_or_default();
            (EventKind::Escalated, to, Some(step))
        }
    };
    let mut seen: Vec<String> = Vec::new();
    let recipients = recipients
        .into_iter()
        .filter(|(_, a)| {
            let new = !seen.iter().any(|s| s == a.base());
            if new {
                seen.push(a.base().to_string());
            }
            new
        })
        .collect();
    (event, recipients, step)
}

/// What the scan needs to mail notices: the configuration, the templates, and the keys of
/// the staff tokens (none: Reply-To is the desk's plain address).
pub struct Notices<'a> {
    pub cfg: &'a Config,
    pub templates: &'a Templates,
    pub keys: Option<Arc<KeyRing>>,
}

impl Notices<'_> {
    /// The Reply-To of a notice to `to` about `ticket`: for staff, the
    /// desk's address with their token; for anyone else, the desk's.
    pub fn reply_to(&self, to: &EmailAddress, ticket: &Ticket, now: i64) -> EmailAddress {
        let keys = self.keys.as_deref();
        crate::lifecycle::mail::reply_to(self.cfg, keys, to, Some(ticket.id), now)
    }

    /// Builds the notice of `due` on `row` for one recipient and queues it.
    pub async fn queue(
        &self,
        c: &mut crate::store::Conn,
        ticket: &Ticket,
        row: &ClockRow,
        due: Due,
        (name, to): To,
        now: i64,
    ) -> Result<()> {
        let desk = &self.cfg.desk;
        let lang = desk.language;
        let kind = match due {
            Due::Warning { .. } => MailKind::SlaWarning,
            Due::Breach { .. } => MailKind::SlaBreach,
            // A further step is the breach notice again.
            Due::Step { .. } => MailKind::SlaEscalated,
        };
        let template = kind.template();
        let ctx = self.context(ticket, row, due)?;
        let rendered = self.templates.render(template, lang, &ctx)?;
        let subject = self.templates.subject(template, lang, &ctx)?;
        let out = Outgoing {
            from_name: desk.name.clone(),
            from: desk.address.clone(),
            reply_to: self.reply_to(&to, ticket, now),
            to: vec![(name, to.clone())],
            subject: threading::tagged_subject(&desk.tag, ticket.id, &subject),
            text: rendered.text,
            html: Some(rendered.html),
            message_id: compose::new_message_id(Some(ticket.id), "sla", desk.domain()),
            in_reply_to: None,
            references: Vec::new(),
            auto_submitted: Some("auto-generated"),
            ticket_id: Some(ticket.id),
            date: now,
        };
        // Recorded like every outgoing mail (crate::outgoing); a mail that
        // cannot be built is recorded as failed, the scan goes on, and this
        // threshold is not tried again.
        let mut w = crate::store::script::Script::new();
        let recording = crate::outgoing::Recording {
            kind,
            visibility: Visibility::Internal,
            primary: to.base(),
        };
        crate::outgoing::record_outgoing(&mut w, &out, recording, now)?;
        w.run(c, crate::store::backend_of(c)).await
    }

    /// The context of the notice of `due` on `row`.
    fn context(&self, ticket: &Ticket, row: &ClockRow, due: Due) -> Result<SlaNotice> {
        let cfg = self.cfg;
        let desk = &cfg.desk;
        let lang = desk.language;
        let cat = &cfg.catalogue;
        let cal = calendar_of(cfg, row.business_hours);
        let clock = row.clock;
        let words = self.templates;
        let (percent, step) = match due {
            Due::Warning { fraction, .. } => ((fraction * 100.0).round() as i64, 0),
            Due::Breach { .. } => (100, 1),
            Due::Step { step, .. } => (100, step),
        };
        let category_name = ticket
            .category
            .as_deref()
            .map(|k| {
                cat.category(k)
                    .map(|c| c.name.get(lang).to_string())
                    .unwrap_or_else(|| k.to_string())
            })
            .unwrap_or_default();
        let group_name = ticket
            .group_key
            .as_deref()
            .map(|g| {
                cat.group(g)
                    .map(|g| g.name.clone())
                    .unwrap_or_else(|| g.to_string())
            })
            .unwrap_or_default();
        let priority_text = ticket
            .priority
            .map(|p| cat.priority.describe(p as u8, lang))
            .unwrap_or_default();
        Ok(SlaNotice {
            requester: words.sender_view(
                lang,
                &cfg.known_names(),
                ticket.requester_name.as_deref(),
                &ticket.requester,
            )?,
            desk: Desk {
                name: desk.name.clone(),
                address: desk.address.to_string(),
            },
            ticket: sla_notice::Ticket {
                id: ticket.id,
                subject: ticket.subject.clone(),
                status: ticket.status.as_str().to_string(),
                requester: ticket.requester.clone(),
                priority_text,
                category_name,
                group_name,
                assignee: ticket.assignee.clone().unwrap_or_default(),
            },
            reference: format!("[{} #{}]", desk.tag, ticket.id),
            clock: ClockView {
                kind: row.kind.as_str(),
                name: words.clock_name(row.kind, lang)?,
                target: words.duration(clock.target_seconds, lang)?,
                business_hours: row.business_hours,
                due_at: clock
                    .due_at(cal)
                    .map(|t| local_time(cfg, t))
                    .unwrap_or_default(),
                elapsed: words.duration(clock.elapsed(due.at(), cal), lang)?,
                percent,
            },
            escalation: Escalation {
                step,
                further: step > 1,
            },
        })
    }
}

/// An instant as RFC 3339 in UTC, for event data.
pub fn rfc3339(t: i64) -> String {
    chrono::Utc
        .timestamp_opt(t, 0)
        .single()
        .map(|d| d.to_rfc3339())
        .unwrap_or_default()
}

/// An instant in the desk's zone, for mail.
pub fn local_time(cfg: &Config, t: i64) -> String {
    crate::mail::words::local_time(&cfg.desk.timezone, t)
}
