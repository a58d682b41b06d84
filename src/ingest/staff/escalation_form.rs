//! The escalation form: what the receiving group needs to pick a ticket
//! up (the request, what was tried, the history), to its members, or its
//! managers when it has none.

use anyhow::Result;
use serde_json::Value;

use super::{StaffMail, ticket};
use crate::catalogue::Group;
use crate::config::{Language, Staff};
use crate::domain::TicketId;
use crate::ingest::Ingestor;
use crate::ingest::open::Internal;
use crate::mail::context::escalation::{
    self as form, Escalation, EscalationForm, HistoryLine, Tried,
};
use crate::notify;
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
                let (text, omitted) = notify::excerpt(m.body_text.trim(), notify::EXCERPT_BYTES);
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
            .map(|m| notify::excerpt(m.body_text.trim(), notify::EXCERPT_BYTES))
            .unwrap_or(("", Value::Null));
        let events: Vec<HistoryLine> = events::list_for_ticket(w.conn().await?, id)
            .await?
            .into_iter()
            .filter(|e| e.kind != "command" && !e.kind.ends_with("_queued"))
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
        let prefix = match desk.language {
            Language::Id => "Eskalasi",
            Language::En => "Escalation",
        };
        let subject = format!("{prefix}: {}", t.subject);
        let mut done = vec![staff.email.base().to_string()];
        for s in to_staff {
            if done.iter().any(|d| d == s.email.base()) {
                continue;
            }
            done.push(s.email.base().to_string());
            let to = Internal {
                kind: "escalation",
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
    let detail = match e.kind.as_str() {
        "status_changed" | "reopened" | "assigned" => format!(
            "{} → {}",
            e.data["from"].as_str().unwrap_or("-"),
            e.data["to"].as_str().unwrap_or("-")
        ),
        "escalated" => format!(
            "{} → {}",
            e.data["from_group"].as_str().unwrap_or("-"),
            e.data["to_group"].as_str().unwrap_or("-")
        ),
        "classified" => e.data["result"]["category"]
            .as_str()
            .unwrap_or("")
            .to_string(),
        "command" => e.data["command"].as_str().unwrap_or("").to_string(),
        _ => String::new(),
    };
    HistoryLine {
        at: at(e.at),
        actor: e.actor,
        kind: e.kind,
        detail,
    }
}
