//! The template context of a new ticket's mail (the acknowledgment, the
//! notice and the alerts to staff).

use anyhow::Result;
use serde_json::json;

use super::Ingestor;
use crate::catalogue::TicketType;
use crate::domain::{Language, TicketId};
use crate::mail::compose;
use crate::mail::context::Desk;
use crate::mail::context::new_ticket::{Attachment, Classification, Message, NewTicket, Ticket};
use crate::mail::excerpt::{EXCERPT_BYTES, excerpt, human_size};
use crate::parse::InboundMessage;
use crate::rules;

impl Ingestor {
    /// The context of the acknowledgment, the notice and the alerts, with
    /// its words in `lang`.
    pub(super) fn new_ticket_context(
        &self,
        msg: &InboundMessage,
        id: TicketId,
        subject: &str,
        class: &rules::Outcome,
        now: i64,
        lang: Language,
    ) -> Result<NewTicket> {
        let desk = &self.cfg.desk;
        let created = crate::mail::words::local_time(&desk.timezone, now);
        let requester_display = msg
            .from
            .as_ref()
            .map(|m| m.name.clone().unwrap_or_else(|| m.address.to_string()))
            .unwrap_or_default();
        // Mail to people carries a bounded part of what a stranger wrote:
        // names and subjects on one line, the text up to EXCERPT_BYTES.
        let one_line = |s: &str| compose::clean::header_text(s, compose::clean::MAX_SUBJECT_CHARS);
        let (body, omitted) = excerpt(msg.body_text.trim(), EXCERPT_BYTES);
        // What staff see of the sender: the name beside the real address,
        // flagged when it pretends to be someone else.
        let mut requester = self.templates.sender(
            lang,
            &self.known,
            msg.from.as_ref().and_then(|m| m.name.as_deref()),
            msg.from
                .as_ref()
                .map(|m| m.address.as_str())
                .or(msg.sender_text.as_deref())
                .unwrap_or(""),
        )?;
        requester["display"] = json!(one_line(&requester_display));
        requester["full"] = json!(msg.from.as_ref().map(|m| one_line(&m.display())));
        requester["address"] = json!(msg.from.as_ref().map(|m| m.address.as_str()));
        Ok(NewTicket {
            classification: self.classification_context(class, lang)?,
            desk: Desk::of(desk),
            ticket: Ticket {
                id,
                subject: one_line(subject),
                created_at: created,
            },
            requester,
            reference: format!("[{} #{id}]", desk.tag),
            message: Message {
                body_text: body.to_string(),
                omitted,
                subject: one_line(&msg.subject),
            },
            attachments: msg
                .attachments
                .iter()
                .map(|a| Attachment {
                    filename: a.filename.clone(),
                    content_type: a.content_type.clone(),
                    size: a.size,
                    size_human: human_size(a.size),
                })
                .collect(),
            sla: serde_json::Value::Null,
        })
    }

    /// The classification as templates see it, in `lang`.
    fn classification_context(
        &self,
        class: &rules::Outcome,
        lang: Language,
    ) -> Result<Classification> {
        let cat = &self.cfg.catalogue;
        let r = &class.result;
        let category_name = cat
            .category(&r.category)
            .map(|c| c.name.get(lang).to_string())
            .unwrap_or_else(|| r.category.clone());
        let group_name = cat
            .group(&r.group)
            .map(|g| g.name.clone())
            .unwrap_or_else(|| r.group.clone());
        let type_name = match TicketType::parse(r.ticket_type) {
            Some(t) => self.templates.type_name(t, lang)?,
            None => r.ticket_type.to_string(),
        };
        Ok(Classification {
            ticket_type: r.ticket_type.to_string(),
            type_name,
            category: r.category.clone(),
            category_name,
            urgency: r.urgency.clone(),
            impact: r.impact.clone(),
            priority: r.priority,
            priority_name: cat
                .priority
                .level(r.priority)
                .map(|l| l.name.get(lang).to_string()),
            priority_text: cat.priority.describe(r.priority, lang),
            group: r.group.clone(),
            group_name,
            assignee: r.assignee.clone(),
            major: r.major,
            tags: r.tags.clone(),
            rules: class.matched.iter().map(|m| m.rule.clone()).collect(),
        })
    }
}
