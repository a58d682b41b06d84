//! The escalation form: what the receiving group needs to pick a ticket
//! up (the request, what was tried, the history), to its members, or its
//! managers when it has none.

use anyhow::Result;
use serde_json::Value;

use super::{StaffMail, ticket};
use crate::catalogue::Group;
use crate::config::Staff;
use crate::domain::{EventKind, MailKind, TicketId};
use crate::ingest::Ingestor;
use crate::ingest::open::Internal;
use crate::mail::context::escalation::{
    self as form, Escalation, EscalationForm, HistoryLine, Tried,
};
use crate::mail::excerpt::{EXCERPT_BYTES, excerpt};
use crate::store::unit::Unit;
use crate::store::{events, messages};

impl Ingestor {
    /// The escalation form, to the receiving group (its managers when it
    /// has no members).
    pub(super) async fn queue_escalation(
        &self,
        w: &mut Unit<'_>,
        m: StaffMail<'_>,
        id: TicketId,
        (from, to): (&Group, &Group),
        reason: &str,
    ) -> Result<()> {
        let (msg, staff, now) = (m.msg(), m.staff, m.a.now);
        let cfg = &self.cfg;
        let desk = &cfg.desk;
        let t = ticket(w.conn().await?, id).await?;
        let history = messages::list_for_ticket(w.conn().await?, id).await?;
        let at = |s: i64| self.local_time(s);
        let tried: Vec<Tried> = history
            .iter()
            .filter(|m| {
                m.direction == "in"
                    && matches!(m.kind.as_str(), "staff_reply" | "note")
                    && !m.body_text.trim().is_empty()
                    && m.message_id != msg.message_id
            })
            .map(|m| {
                let (text, omitted) = excerpt(m.body_text.trim(), EXCERPT_BYTES);
                Tried {
                    at: at(m.created_at),
                    author: m.author.clone(),
                    text: text.to_string(),
                    omitted,
                }
            })
            .collect();
        let (request, request_omitted) = history
            .iter()
            .find(|m| m.kind == "request")
            .map(|m| excerpt(m.body_text.trim(), EXCERPT_BYTES))
            .unwrap_or(("", Value::Null));
        let events: Vec<HistoryLine> = events::list_for_ticket(w.conn().await?, id)
            .await?
            .into_iter()
            .filter(|e| {
                // Names this version does not write stay in the history.
                EventKind::parse(&e.kind).is_none_or(|k| k != EventKind::Command && !k.is_queued())
            })
            .map(|e| history_line(e, at))
            .collect();
        let requester = self.templates.sender(
            desk.language,
            &self.known,
            t.requester_name.as_deref(),
            &t.requester,
        )?;
        let ctx = EscalationForm {
            requester,
            ticket: form::Ticket {
                id,
                subject: t.subject.clone(),
                requester: t.requester.clone(),
                status: t.status.as_str(),
                priority: t.priority,
                category: t.category.clone(),
                created_at: at(t.created_at),
            },
            escalation: Escalation {
                by: format!("{} ({}, L{})", staff.name, staff.handle, staff.level),
                to_name: to.name.clone(),
                to_level: to.level,
                from_name: from.name.clone(),
                from_level: from.level,
                at: at(now),
                reason: reason.to_string(),
            },
            tried,
            request: request.to_string(),
            request_omitted,
            history: events,
        };
        let rendered = self.templates.render("escalation", desk.language, &ctx)?;
        let mut to_staff: Vec<&Staff> = cfg.group_members(&to.key).collect();
        if to_staff.is_empty() {
            to_staff = cfg.managers().collect();
        }
        let prefix = self
            .templates
            .subject_prefix(MailKind::Escalation, desk.language)?;
        let subject = format!("{prefix}: {}", t.subject);
        let mut done = vec![staff.email.base().to_string()];
        for s in to_staff {
            if done.iter().any(|d| d == s.email.base()) {
                continue;
            }
            done.push(s.email.base().to_string());
            let to = Internal {
                kind: MailKind::Escalation,
                id,
                subject: &subject,
                name: Some(s.name.clone()),
                addr: s.email.clone(),
            };
            self.queue_internal(w, to, &rendered, now)?;
        }
        Ok(())
    }
}

/// One event as staff read it in a ticket's history: when, who, what, and
/// the change in a few words.
pub(super) fn history_line(e: events::Event, at: impl Fn(i64) -> String) -> HistoryLine {
    let detail = match EventKind::parse(&e.kind) {
        Some(EventKind::StatusChanged | EventKind::Reopened | EventKind::Assigned) => format!(
            "{} → {}",
            e.data["from"].as_str().unwrap_or("-"),
            e.data["to"].as_str().unwrap_or("-")
        ),
        Some(EventKind::Escalated) => format!(
            "{} → {}",
            e.data["from_group"].as_str().unwrap_or("-"),
            e.data["to_group"].as_str().unwrap_or("-")
        ),
        Some(EventKind::Classified) => e.data["result"]["category"]
            .as_str()
            .unwrap_or("")
            .to_string(),
        Some(EventKind::Command) => e.data["command"].as_str().unwrap_or("").to_string(),
        _ => String::new(),
    };
    HistoryLine {
        at: at(e.at),
        actor: e.actor,
        kind: e.kind,
        detail,
    }
}
