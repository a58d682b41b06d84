//! Tickets as JSON (for scripts) and as text (for people).
//!
//! The JSON field names are an interface other tools rely on; see the
//! README. Times are RFC 3339 in UTC.

use anyhow::{Context, Result};
use serde::Serialize;

use crate::config::{Config, Language};
use crate::display_name::{self, Flag, Known};
use crate::domain::{EmailAddress, TicketId};
use crate::mail::templates::Templates;
use crate::mail::words::human_duration;
use crate::sla::clocks::calendar_of;
use crate::sla::notice::rfc3339;
use crate::store::{Conn, events, messages, sla_clocks, surveys, tickets, watchers};

#[derive(Debug, Serialize)]
pub struct AttachmentJson {
    pub filename: String,
    pub content_type: String,
    pub size: u64,
    pub sha256: String,
}

#[derive(Debug, Serialize)]
pub struct MessageJson {
    pub id: i64,
    pub direction: String,
    pub kind: String,
    pub from: String,
    pub to: Vec<String>,
    pub cc: Vec<String>,
    pub subject: String,
    pub message_id: String,
    pub visibility: String,
    pub author: String,
    pub body_text: String,
    pub quoted_text: Option<String>,
    pub auto: Option<String>,
    pub created_at: String,
    pub attachments: Vec<AttachmentJson>,
    /// Why the sender's display name may mislead (for the text view).
    #[serde(skip)]
    pub flags: Vec<Flag>,
    /// The sender's address (for the text view's warning).
    #[serde(skip)]
    pub from_addr: String,
}

#[derive(Debug, Serialize)]
pub struct EventJson {
    pub kind: String,
    pub actor: String,
    pub at: String,
    pub message: Option<i64>,
    #[serde(flatten)]
    pub details: serde_json::Map<String, serde_json::Value>,
}

#[derive(Debug, Serialize)]
pub struct TicketJson {
    pub id: TicketId,
    pub subject: String,
    pub status: String,
    pub requester: String,
    pub requester_name: Option<String>,
    #[serde(rename = "type")]
    pub ticket_type: Option<String>,
    pub category: Option<String>,
    pub urgency: Option<String>,
    pub impact: Option<String>,
    pub priority: Option<i64>,
    pub group: Option<String>,
    pub assignee: Option<String>,
    pub tags: Vec<String>,
    pub major: bool,
    pub auto: Option<String>,
    pub linked_ticket: Option<TicketId>,
    pub merged_into: Option<TicketId>,
    pub created_at: String,
    pub updated_at: String,
    /// When the requester first heard from staff (SLA response time).
    pub first_response_at: Option<String>,
    pub resolved_at: Option<String>,
    pub closed_at: Option<String>,
    /// The language its requester is answered in (`id`, `en`): set when the
    /// ticket opened or by `#lang`, else the desk's.
    pub language: String,
    /// `{ "response": {...}, "resolution": {...} }`, or `null` when the
    /// ticket has no clocks; left out of lists.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sla: Option<serde_json::Value>,
    /// Addresses added with `#cc:`, who get the public replies; left out
    /// of lists.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub watchers: Option<Vec<String>>,
    /// The newest survey: `null`, or `{sent_at, answered_at, ratings,
    /// comment}`; left out of lists.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub survey: Option<serde_json::Value>,
    /// `null` | `requester` | `staff` | `auto`; left out of lists.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub closed_by: Option<serde_json::Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub messages: Option<Vec<MessageJson>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub events: Option<Vec<EventJson>>,
    /// Why the requester's display name may mislead (for the text view).
    #[serde(skip)]
    pub requester_flags: Vec<Flag>,
}

fn ticket_json(t: tickets::Ticket, desk: Language) -> TicketJson {
    TicketJson {
        language: t.language_or(desk).code().to_string(),
        id: t.id,
        subject: t.subject,
        status: t.status.as_str().into(),
        requester: t.requester,
        requester_name: t.requester_name,
        ticket_type: t.ticket_type,
        category: t.category,
        urgency: t.urgency,
        impact: t.impact,
        priority: t.priority,
        group: t.group_key,
        assignee: t.assignee,
        tags: t.tags,
        major: t.major,
        auto: t.auto_kind,
        linked_ticket: t.linked_ticket_id,
        merged_into: t.merged_into,
        created_at: rfc3339(t.created_at),
        updated_at: rfc3339(t.updated_at),
        first_response_at: t.first_response_at.map(rfc3339),
        resolved_at: t.resolved_at.map(rfc3339),
        closed_at: t.closed_at.map(rfc3339),
        sla: None,
        watchers: None,
        survey: None,
        closed_by: None,
        messages: None,
        events: None,
        requester_flags: Vec::new(),
    }
}

/// The list view: tickets without their messages; `desk` is the desk's
/// language, for the tickets that have none of their own.
pub async fn list(c: &mut Conn, all: bool, limit: i64, desk: Language) -> Result<Vec<TicketJson>> {
    Ok(tickets::list(c, !all, limit)
        .await?
        .into_iter()
        .map(|t| ticket_json(t, desk))
        .collect())
}

/// One ticket with its messages and events; display names are checked
/// against `known` ([`display_name::check`]); `desk` as in [`list`].
pub async fn show(
    c: &mut Conn,
    id: TicketId,
    known: &Known,
    desk: Language,
) -> Result<Option<TicketJson>> {
    let Some(t) = tickets::get(c, id).await? else {
        return Ok(None);
    };
    let requester_flags = display_name::check(
        t.requester_name.as_deref(),
        EmailAddress::parse(&t.requester).as_ref(),
        known,
    );
    let mut out = ticket_json(t, desk);
    out.requester_flags = requester_flags;
    out.watchers = Some(watchers::list(c, id).await?);
    out.survey = Some(match surveys::latest(c, id).await? {
        None => serde_json::Value::Null,
        Some(s) => serde_json::json!({
            "sent_at": rfc3339(s.sent_at),
            "answered_at": s.answered_at.map(rfc3339),
            "ratings": s.ratings.as_deref()
                .and_then(|r| serde_json::from_str::<serde_json::Value>(r).ok())
                .unwrap_or(serde_json::Value::Null),
            "comment": s.comment,
        }),
    });
    out.closed_by = Some(surveys::closed_by(c, id).await?.into());
    let msgs = messages::list_for_ticket(c, id).await?;
    out.messages = Some(
        msgs.into_iter()
            .map(|m| MessageJson {
                id: m.id,
                direction: m.direction,
                kind: m.kind,
                from: display_name::shown(m.from_name.as_deref(), &m.from_addr),
                flags: display_name::check(
                    m.from_name.as_deref(),
                    EmailAddress::parse(&m.from_addr).as_ref(),
                    known,
                ),
                from_addr: m.from_addr,
                to: m.to_addrs,
                cc: m.cc_addrs,
                subject: m.subject,
                message_id: m.message_id,
                visibility: m.visibility,
                author: m.author,
                body_text: m.body_text,
                quoted_text: m.quoted_text,
                auto: m.auto_kind,
                created_at: rfc3339(m.created_at),
                attachments: m
                    .attachments
                    .into_iter()
                    .map(|a| AttachmentJson {
                        filename: a.filename,
                        content_type: a.content_type,
                        size: a.size,
                        sha256: a.sha256,
                    })
                    .collect(),
            })
            .collect(),
    );
    out.events = Some(
        events::list_for_ticket(c, id)
            .await?
            .into_iter()
            .map(|e| EventJson {
                kind: e.kind,
                actor: e.actor,
                at: rfc3339(e.at),
                message: e.message_id,
                details: match e.data {
                    // The event's own fields win over same-named details.
                    serde_json::Value::Object(mut m) => {
                        for reserved in ["kind", "actor", "at", "message"] {
                            m.remove(reserved);
                        }
                        m
                    }
                    _ => Default::default(),
                },
            })
            .collect(),
    );
    Ok(Some(out))
}

/// One SLA clock as shown.
#[derive(Debug, Serialize)]
pub struct ClockJson {
    pub target_seconds: i64,
    /// When the target runs out; `null` while paused.
    pub due_at: Option<String>,
    /// `running` | `paused` | `met` | `breached` (a running clock past its
    /// target shows as breached).
    pub state: String,
    /// Business seconds counted against the target.
    pub elapsed_seconds: i64,
    /// Business seconds spent paused.
    pub paused_seconds: i64,
    pub business_hours: bool,
    pub started_at: String,
    pub stopped_at: Option<String>,
    pub next_check_at: Option<String>,
}

/// The `sla` of a ticket's JSON as of `now`: its clocks, or `null`.
pub async fn sla(c: &mut Conn, cfg: &Config, id: TicketId, now: i64) -> Result<serde_json::Value> {
    let rows = sla_clocks::for_ticket(c, id).await?;
    if rows.is_empty() {
        return Ok(serde_json::Value::Null);
    }
    let mut out = serde_json::Map::new();
    for r in rows {
        let cal = calendar_of(cfg, r.business_hours);
        let k = r.clock;
        let clock = ClockJson {
            target_seconds: k.target_seconds,
            due_at: k.due_at(cal).map(rfc3339),
            state: k.state_at(now, cal).as_str().into(),
            elapsed_seconds: k.elapsed(now, cal),
            paused_seconds: k.paused_total(now, cal),
            business_hours: r.business_hours,
            started_at: rfc3339(k.started_at),
            stopped_at: k.stopped_at.map(rfc3339),
            next_check_at: r.next_check_at.map(rfc3339),
        };
        out.insert(r.kind.as_str().into(), serde_json::to_value(clock)?);
    }
    Ok(serde_json::Value::Object(out))
}

/// One line per ticket, for people.
pub fn list_text(tickets: &[TicketJson]) -> String {
    if tickets.is_empty() {
        return "no tickets\n".into();
    }
    let mut s = format!(
        "{:>6}  {:<11}  {:<16}  {:<30}  {}\n",
        "ID", "STATUS", "CREATED", "REQUESTER", "SUBJECT"
    );
    for t in tickets {
        let created = t
            .created_at
            .get(..16)
            .unwrap_or(&t.created_at)
            .replace('T', " ");
        s.push_str(&format!(
            "{:>6}  {:<11}  {:<16}  {:<30}  {}\n",
            t.id,
            t.status,
            created,
            truncate(&t.requester, 30),
            t.subject
        ));
    }
    s
}

/// A ticket with its conversation, for people (in English; `templates`
/// word the warnings about misleading display names).
pub fn show_text(t: &TicketJson, templates: &Templates) -> Result<String> {
    let warning = |flags: &[Flag], address: &str| -> Result<String> {
        if flags.is_empty() {
            return Ok(String::new());
        }
        let line = templates.fragment(
            "sender_warning",
            Language::En,
            &serde_json::json!({ "flags": flags, "address": address }),
        )?;
        Ok(format!("{line}\n"))
    };
    let mut s = format!(
        "Ticket #{}: {}\nStatus: {}    Requester: {}\n{}Created: {}    Updated: {}\n",
        t.id,
        t.subject,
        t.status,
        display_name::shown(t.requester_name.as_deref(), &t.requester),
        warning(&t.requester_flags, &t.requester)?,
        t.created_at,
        t.updated_at
    );
    if let (Some(ty), Some(cat)) = (&t.ticket_type, &t.category) {
        s.push_str(&format!(
            "Type: {ty}    Category: {cat}    Priority: {}    Urgency/impact: {}/{}\nGroup: {}    Assignee: {}{}\n",
            t.priority.map(|p| p.to_string()).unwrap_or_else(|| "-".into()),
            t.urgency.as_deref().unwrap_or("-"),
            t.impact.as_deref().unwrap_or("-"),
            t.group.as_deref().unwrap_or("-"),
            t.assignee.as_deref().unwrap_or("-"),
            if t.major { "    MAJOR INCIDENT" } else { "" }
        ));
    }
    if let Some(prev) = t.linked_ticket {
        s.push_str(&format!("Follows up: #{prev}\n"));
    }
    if let Some(w) = t.watchers.as_ref().filter(|w| !w.is_empty()) {
        s.push_str(&format!("Watchers: {}\n", w.join(", ")));
    }
    if let Some(serde_json::Value::Object(clocks)) = &t.sla {
        for (kind, c) in clocks {
            let secs = |k: &str| human_duration(c[k].as_i64().unwrap_or(0), Language::En);
            s.push_str(&format!(
                "SLA {kind:<10}  {:<8}  target {}{}  due {}  elapsed {}  paused {}\n",
                c["state"].as_str().unwrap_or(""),
                secs("target_seconds"),
                if c["business_hours"] == true {
                    " (business hours)"
                } else {
                    " (24x7)"
                },
                c["due_at"].as_str().unwrap_or("- (paused)"),
                secs("elapsed_seconds"),
                secs("paused_seconds"),
            ));
        }
    }
    for m in t.messages.as_ref().context("messages not loaded")? {
        s.push_str(&format!(
            "\n--- {} {} {} [{}{}] {} ---\nFrom: {}\n{}To: {}\nSubject: {}\n",
            if m.direction == "in" { "<<" } else { ">>" },
            // The number `tickets show N --raw M` takes.
            format_args!("#{}", m.id),
            m.created_at,
            m.kind,
            if m.visibility == "internal" {
                ", internal"
            } else {
                ""
            },
            m.message_id,
            m.from,
            warning(&m.flags, &m.from_addr)?,
            m.to.join(", "),
            m.subject
        ));
        for a in &m.attachments {
            s.push_str(&format!(
                "Attachment: {} ({}, {} bytes)\n",
                a.filename, a.content_type, a.size
            ));
        }
        s.push('\n');
        s.push_str(m.body_text.trim_end());
        s.push('\n');
    }
    if let Some(events) = &t.events {
        s.push_str("\n--- events ---\n");
        for e in events {
            s.push_str(&format!("{}  {:<16} {}\n", e.at, e.kind, e.actor));
        }
    }
    Ok(s)
}

fn truncate(s: &str, n: usize) -> String {
    if s.chars().count() <= n {
        s.to_string()
    } else {
        let mut t: String = s.chars().take(n - 1).collect();
        t.push('…');
        t
    }
}
