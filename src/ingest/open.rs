//! A message that opens a ticket: classification, the ticket's rows and
//! clocks, the acknowledgment and the notices to staff.

use anyhow::Result;
use serde_json::json;

use super::language::requester_of;
use super::{Arrival, Ingestor, MAX_REFERENCES, Outcome};
use crate::ack_policy::{self, AckCount};
use crate::domain::{EmailAddress, EventKind, Language, MailKind, Status, TicketId, Visibility};
use crate::isolate;
use crate::mail::compose::{self, Outgoing};
use crate::mail::context::new_ticket::NewTicket;
use crate::mail::templates::{Prepared, Rendered, Templates};
use crate::outgoing::{Recording, record_outgoing};
use crate::parse::InboundMessage;
use crate::rules;
use crate::sla::life;
use crate::store::events::{self, MsgRef};
use crate::store::script::Script;
use crate::store::unit::Unit;
use crate::store::{raw, tickets};
use crate::threading;

impl Ingestor {
    /// Opens a ticket for the arrival; `sender_acks` is how many
    /// acknowledgments its answer address got lately (the desk's total is
    /// read here: only mail that opens a ticket needs it).
    pub(super) async fn open_ticket(
        &self,
        u: &mut Unit<'_>,
        numbering: &mut tickets::Numbering,
        a: Arrival<'_>,
        previous: Option<TicketId>,
        sender_acks: i64,
    ) -> Result<Outcome> {
        let backend = u.backend();
        let id = numbering.next(u.conn().await?, backend).await?;
        let acks = AckCount {
            sender: sender_acks,
            total: raw::acks_total(u.conn().await?, self.ack_since(a.now)).await?,
        };
        let earlier = self.earlier_language(u.conn().await?, a.msg).await?;
        self.open_ticket_as(u, a, id, previous, acks, earlier)?;
        Ok(Outcome::NewTicket(id))
    }

    /// [`Self::open_ticket`] with its number `id` given: the writes only, no
    /// database (the batch builds them while the previous message's writes
    /// run). `earlier`: the language of the requester's earlier tickets, when
    /// the mail needs it ([`Self::earlier_language`]). True when they
    /// acknowledge the message.
    pub(super) fn open_ticket_as(
        &self,
        w: &mut Script,
        a: Arrival<'_>,
        id: TicketId,
        previous: Option<TicketId>,
        recent_acks: AckCount,
        earlier: Option<Language>,
    ) -> Result<bool> {
        let (msg, now) = (a.msg, a.now);
        let from = msg.from.as_ref();
        let requester = requester_of(msg);
        let lang = self.ticket_language(msg, earlier);
        isolate::fault_point(&msg.subject);
        isolate::store_fault_point(&msg.subject)?;
        let subject = threading::clean_subject(&msg.subject, &self.cfg.desk.tag);
        let auto_kind = msg.auto.as_ref().map(|a| a.kind.as_str());
        let class = rules::classify(&self.cfg.rules, &self.cfg.catalogue, msg);
        let r = &class.result;
        tickets::push_insert(
            w,
            id,
            &tickets::NewTicket {
                subject: &subject,
                requester: &requester,
                requester_name: from.and_then(|m| m.name.as_deref()),
                auto_kind,
                linked_ticket_id: previous,
                class: Some(tickets::Classified {
                    ticket_type: r.ticket_type,
                    category: &r.category,
                    urgency: &r.urgency,
                    impact: &r.impact,
                    priority: r.priority as i64,
                    group: &r.group,
                    assignee: r.assignee.as_deref(),
                    tags: &r.tags,
                    major: r.major,
                }),
                language: lang.stored(),
                now,
            },
        );
        let author = a.author();
        let mid = self.record_inbound(w, a, id, "request", (&msg.body_text, None), &author)?;
        events::push(
            w,
            id,
            EventKind::Created,
            &author,
            now,
            &mid,
            &json!({
                "source": a.item.source,
                "message_id": msg.message_id,
                "auto": msg.auto.as_ref().map(|a| json!({"kind": a.kind.as_str(), "reason": a.reason})),
                "linked_to": previous,
                "language": { "code": lang.language.code(), "basis": lang.basis.as_str() },
            }),
        );
        if let Some(prev) = previous {
            events::push(
                w,
                prev,
                EventKind::FollowedUp,
                "system",
                now,
                &MsgRef::None,
                &json!({ "new_ticket": id }),
            );
        }
        events::push(
            w,
            id,
            EventKind::Classified,
            "system",
            now,
            &mid,
            &serde_json::to_value(&class)?,
        );
        if r.ignore {
            // Spam or noise: kept on record, closed, and nobody is mailed.
            tickets::push_status(w, id, Status::Closed, now);
            events::push(
                w,
                id,
                EventKind::Ignored,
                "system",
                now,
                &mid,
                &json!({
                    "rules": class.matched.iter().map(|m| &m.rule).collect::<Vec<_>>(),
                }),
            );
            return Ok(false);
        }
        let targets = life::push_start_clocks(w, &self.cfg, id, r.priority, &r.category, now);
        let mut acked = false;
        match self.no_answer_reason(msg) {
            Some(reason) => {
                events::push(
                    w,
                    id,
                    EventKind::AckSuppressed,
                    "system",
                    now,
                    &mid,
                    &json!({ "reason": reason }),
                );
            }
            None => {
                // Staff read the desk's language; the requester their own
                // (a second context only when the two differ).
                let context = |lang: Language| -> Result<NewTicket> {
                    let mut ctx = self.new_ticket_context(msg, id, &subject, &class, now, lang)?;
                    ctx.sla = life::ack_context(&self.templates, targets.as_ref(), lang)?;
                    Ok(ctx)
                };
                // Each context is serialised once for all the mail
                // rendered with it (the acknowledgment and the notices
                // share the desk's).
                let desk_lang = self.cfg.desk.language;
                let ctx = Templates::prepare(&context(desk_lang)?)?;
                let theirs = match lang.language {
                    l if l == desk_lang => None,
                    l => Some(Templates::prepare(&context(l)?)?),
                };
                let ack = (theirs.as_ref().unwrap_or(&ctx), lang.language);
                acked = self.queue_ack(w, a, recent_acks, id, &subject, ack)?;
                self.queue_notices(w, a, id, &subject, &class, &ctx)?;
            }
        }
        Ok(acked)
    }

    /// Why no automatic answer may go to this message's sender, if any.
    fn no_answer_reason(&self, msg: &InboundMessage) -> Option<String> {
        if let Some(v) = &msg.auto {
            return Some(format!("{}: {}", v.kind.as_str(), v.reason));
        }
        match msg.reply_address() {
            None => Some("no address to answer".into()),
            Some(a) if self.cfg.desk.is_own_address(a) => {
                Some(format!("sent from the desk's own address {a}"))
            }
            Some(_) => None,
        }
    }

    fn queue_ack(
        &self,
        w: &mut Script,
        a: Arrival<'_>,
        recent: AckCount,
        id: TicketId,
        subject: &str,
        (ctx, lang): (&Prepared, Language),
    ) -> Result<bool> {
        let (msg, now) = (a.msg, a.now);
        let desk = &self.cfg.desk;
        let Some(to) = msg.reply_address().cloned() else {
            return Ok(false);
        };
        if let Some(reason) = ack_policy::refusal(desk, &to, recent) {
            events::push(
                w,
                id,
                EventKind::AckSuppressed,
                "system",
                now,
                &MsgRef::None,
                &json!({ "reason": reason }),
            );
            return Ok(false);
        }
        let rendered = self.templates.render_prepared("ack", lang, ctx)?;
        let mut references: Vec<String> = msg.references.clone();
        references.push(msg.message_id.clone());
        let skip = references.len().saturating_sub(MAX_REFERENCES);
        let name = msg
            .reply_to
            .as_ref()
            .or(msg.from.as_ref())
            .and_then(|m| m.name.clone());
        let out = Outgoing {
            from_name: desk.name.clone(),
            from: desk.address.clone(),
            reply_to: desk.address.clone(),
            to: vec![(name, to.clone())],
            subject: threading::tagged_subject(&desk.tag, id, subject),
            text: rendered.text,
            html: Some(rendered.html),
            message_id: compose::new_message_id(Some(id), "ack", desk.domain()),
            in_reply_to: Some(msg.message_id.clone()),
            references: references.into_iter().skip(skip).collect(),
            auto_submitted: Some("auto-replied"),
            ticket_id: Some(id),
            date: now,
        };
        let recording = Recording {
            kind: MailKind::Ack,
            visibility: Visibility::Public,
            primary: to.base(),
        };
        record_outgoing(w, &out, recording, now)?;
        Ok(true)
    }

    /// Who is told of a new ticket, and with which mail.
    ///
    /// - The service desk (L1) always gets the new-ticket notice: it is the
    ///   single point of contact and checks every automatic classification.
    /// - The members of the ticket's group, and its assignee, get it too.
    /// - For an information-security ticket the managers (`role =
    ///   "manager"`: the IT head and the IT director) get `security_alert`
    ///   at once; for a major incident they get `major_incident`.
    /// - A rule's `notify` addresses get the alert when there is one, else
    ///   the notice.
    ///
    /// Everyone gets one mail at most (an alert rather than the notice), and
    /// the sender none.
    fn queue_notices(
        &self,
        w: &mut Script,
        a: Arrival<'_>,
        id: TicketId,
        subject: &str,
        class: &rules::Outcome,
        ctx: &Prepared,
    ) -> Result<()> {
        let cfg = &self.cfg;
        let desk = &cfg.desk;
        let r = &class.result;
        let alert = if class.is_security() {
            Some(MailKind::SecurityAlert)
        } else if r.major {
            Some(MailKind::MajorIncident)
        } else {
            None
        };
        let mut alerted: Vec<(Option<String>, EmailAddress)> = Vec::new();
        let mut noticed: Vec<(Option<String>, EmailAddress)> = Vec::new();
        let notify = r.notify.iter().filter_map(|a| EmailAddress::parse(a));
        if alert.is_some() {
            for s in cfg.managers() {
                alerted.push((Some(s.name.clone()), s.email.clone()));
            }
            for a in notify {
                alerted.push((cfg.staff_by_email(&a).map(|s| s.name.clone()), a));
            }
        } else {
            for a in notify {
                noticed.push((cfg.staff_by_email(&a).map(|s| s.name.clone()), a));
            }
        }
        let assignee = r.assignee.as_deref().and_then(|h| cfg.staff_by_handle(h));
        let staff = cfg
            .service_desk()
            .chain(cfg.group_members(&r.group))
            .chain(assignee);
        let mut to_notice: Vec<(Option<String>, EmailAddress)> = staff
            .map(|s| (Some(s.name.clone()), s.email.clone()))
            .collect();
        to_notice.append(&mut noticed);
        let sender = a.msg.from.as_ref().map(|m| m.address.base().to_string());
        let mut done: Vec<String> = sender.into_iter().collect();
        if let Some(kind) = alert {
            let rendered = self
                .templates
                .render_prepared(kind.template(), desk.language, ctx)?;
            let prefix = self.templates.subject_prefix(kind, desk.language)?;
            let alert_subject = format!("{prefix}: {subject}");
            for (name, addr) in alerted {
                if done.iter().any(|d| d == addr.base()) {
                    continue;
                }
                done.push(addr.base().to_string());
                let to = Internal {
                    kind,
                    id,
                    subject: &alert_subject,
                    name,
                    addr,
                };
                self.queue_internal(w, to, &rendered, a.now)?;
            }
        }
        let rendered = self
            .templates
            .render_prepared("staff_new", desk.language, ctx)?;
        for (name, addr) in to_notice {
            if done.iter().any(|d| d == addr.base()) {
                continue;
            }
            done.push(addr.base().to_string());
            let to = Internal {
                kind: MailKind::StaffNew,
                id,
                subject,
                name,
                addr,
            };
            self.queue_internal(w, to, &rendered, a.now)?;
        }
        Ok(())
    }

    /// One internal mail about a ticket to one person.
    pub(super) fn queue_internal(
        &self,
        w: &mut Script,
        to: Internal<'_>,
        rendered: &Rendered,
        now: i64,
    ) -> Result<()> {
        let desk = &self.cfg.desk;
        let Internal {
            kind,
            id,
            subject,
            name,
            addr,
        } = to;
        let out = Outgoing {
            from_name: desk.name.clone(),
            from: desk.address.clone(),
            // Staff get their tokened address: a reply proves itself.
            reply_to: self.reply_to_for(&addr, Some(id), now),
            to: vec![(name, addr.clone())],
            subject: threading::tagged_subject(&desk.tag, id, subject),
            text: rendered.text.clone(),
            html: Some(rendered.html.clone()),
            message_id: compose::new_message_id(
                Some(id),
                match kind {
                    MailKind::StaffNew => "notice",
                    MailKind::Escalation => "escalation",
                    MailKind::NonParticipant => "outsider",
                    _ => "alert",
                },
                desk.domain(),
            ),
            in_reply_to: None,
            references: Vec::new(),
            auto_submitted: Some("auto-generated"),
            ticket_id: Some(id),
            date: now,
        };
        let recording = Recording {
            kind,
            visibility: Visibility::Internal,
            primary: addr.base(),
        };
        record_outgoing(w, &out, recording, now)?;
        Ok(())
    }
}

/// An internal mail's kind, ticket, subject and recipient.
pub(super) struct Internal<'a> {
    pub kind: MailKind,
    pub id: TicketId,
    pub subject: &'a str,
    pub name: Option<String>,
    pub addr: EmailAddress,
}
