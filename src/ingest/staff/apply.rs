//! Applying a staff mail's plan: every command recorded, the ticket's
//! changes written in the order they happen (a status change, then what it
//! did to the clocks), and the mail to the requester, the receiving group
//! and the staff member queued.

use anyhow::Result;
use serde_json::{Value, json};

use super::mail::{describe, evidence_text};
use super::plan::Plan;
use super::{StaffMail, Text};
use crate::commands::{self, Command};
use crate::config::Config;
use crate::domain::{EventKind, MailKind, Status, TicketId};
use crate::ingest::Ingestor;
use crate::lifecycle::links;
use crate::mail::context::requester_notice::{self as notice, RequesterNotice};
use crate::mail::context::staff_confirm::StaffConfirm;
use crate::mail::context::{Desk, Named, StatusRef, TicketRef};
use crate::sla::life;
use crate::store::events;
use crate::store::events::MsgRef;
use crate::store::unit::Unit;
use crate::store::{messages, surveys, tickets, watchers};

/// Why a `#merge:N` found no ticket to merge into (known only once the
/// plan is applied: the plan reads nothing).
#[derive(Debug, Clone, Copy)]
enum MergeError {
    Missing { target: TicketId },
    Merged { target: TicketId, into: TicketId },
}

impl From<MergeError> for String {
    fn from(e: MergeError) -> String {
        match e {
            MergeError::Missing { target } => {
                format!("#merge:{target}: there is no ticket #{target}")
            }
            MergeError::Merged { target, into } => format!(
                "#merge:{target}: ticket #{target} was itself merged into #{into}; did you mean #merge:{into}?"
            ),
        }
    }
}

impl Ingestor {
    /// Writes what `plan` says, records every command, and queues the mail.
    pub(super) async fn apply(
        &self,
        w: &mut Unit<'_>,
        m: StaffMail<'_>,
        ticket: tickets::Ticket,
        plan: Plan,
        text: &Text,
        new_ticket: bool,
    ) -> Result<()> {
        let (msg, staff, parsed, verdict, mid, now) =
            (m.msg(), m.staff, m.parsed, m.verdict, m.mid, m.a.now);
        let cfg = &self.cfg;
        let id = ticket.id;
        let actor = staff.handle.as_str();
        let evidence = verdict.json();
        // The merge target is looked up inside the transaction.
        let mut merge = None;
        if let Some(target) = plan.merge {
            match tickets::get(w.conn().await?, target).await? {
                Some(t) if t.merged_into.is_none() => merge = Some(t),
                other => {
                    let why = match other {
                        Some(t) => MergeError::Merged {
                            target,
                            into: t.merged_into.unwrap_or_default(),
                        },
                        None => MergeError::Missing { target },
                    };
                    messages::push_set_internal(w, &msg.message_id);
                    return self.reject(w, m, &ticket, vec![why.into()], !new_ticket);
                }
            }
        }
        for l in &parsed.commands {
            events::push(
                w,
                id,
                EventKind::Command,
                actor,
                now,
                mid,
                &json!({
                    "command": l.command.to_string(),
                    "name": l.command.name(),
                    "value": l.command.value(),
                    "raw": l.raw,
                    "source": match l.source {
                        commands::Source::Subject => "subject".to_string(),
                        commands::Source::Body { line } => format!("body line {line}"),
                    },
                    "auth": evidence,
                    "source_message": msg.message_id,
                }),
            );
        }
        // Urgency and impact: the matrix gives the priority, unless the same
        // mail set the priority itself.
        let urgency = plan.urgency.clone().or(ticket.urgency.clone());
        let impact = plan.impact.clone().or(ticket.impact.clone());
        let mut priority = plan.priority.map(i64::from);
        if priority.is_none()
            && (plan.urgency.is_some() || plan.impact.is_some())
            && let (Some(u), Some(i)) = (&urgency, &impact)
        {
            priority = cfg.catalogue.priority.priority(u, i).map(i64::from);
        }
        let retarget = retargeted_ticket(&ticket, priority, &plan);
        // The clocks follow a new priority or category while they run: before
        // a `#resolve` in this mail stops them (so it is judged against the
        // new targets), or after a `#reopen` runs them again.
        let clocks_stopped = matches!(ticket.status, Status::Resolved | Status::Closed);
        let mut retargeted = Vec::new();
        if let Some(t) = retarget.as_ref().filter(|_| !clocks_stopped) {
            retargeted = life::on_retarget(w.conn().await?, t, now, cfg).await?;
        }
        let mut update = tickets::Update::default();
        let mut status = ticket.status;
        let private_text = plan.internal || plan.escalate.is_some() || text.new.trim().is_empty();
        let mut set_status = |to: Status,
                              kind: EventKind,
                              why: Value|
         -> Option<(Status, Status, EventKind, Value)> {
            (to != status).then(|| {
                let from = status;
                status = to;
                (from, to, kind, why)
            })
        };
        let mut changes = Vec::new();
        if plan.reopen {
            changes.extend(set_status(
                Status::InProgress,
                EventKind::Reopened,
                json!({}),
            ));
        }
        if let Some(s) = plan.status {
            changes.extend(set_status(s, EventKind::StatusChanged, json!({})));
        }
        if merge.is_some() {
            changes.extend(set_status(
                Status::Closed,
                EventKind::StatusChanged,
                json!({ "reason": "merged" }),
            ));
        }
        if plan.status.is_none() && !plan.reopen && !private_text && !new_ticket {
            changes.extend(
                set_status(
                    Status::InProgress,
                    EventKind::StatusChanged,
                    json!({ "reason": "first staff reply" }),
                )
                .filter(|(from, ..)| *from == Status::New),
            );
        }
        // The closure's borrow ends here.
        let status = if changes.is_empty() {
            ticket.status
        } else {
            changes.last().map(|c| c.1).unwrap_or(ticket.status)
        };
        for (from, to, kind, why) in &changes {
            let mut data = json!({ "from": from.as_str(), "to": to.as_str() });
            if let (Some(d), Some(w)) = (data.as_object_mut(), why.as_object()) {
                d.extend(w.clone());
            }
            // The change, then what it did to the clocks (written after it).
            events::push(w, id, *kind, actor, now, mid, &data);
            life::on_status_change(w.conn().await?, id, *from, *to, now, cfg).await?;
            tickets::push_status(w, id, *to, now);
        }
        if status == Status::Closed && ticket.status != Status::Closed {
            surveys::push_closed_by(w, id, "staff");
        }
        if let Some(t) = retarget.filter(|_| clocks_stopped) {
            let t = tickets::Ticket { status, ..t };
            retargeted = life::on_retarget(w.conn().await?, &t, now, cfg).await?;
        }
        let mut assignee = ticket.assignee.clone();
        if let Some(s) = &plan.assign {
            update.assignee = Some(Some(s.handle.as_str()));
            assignee = Some(s.handle.clone());
            events::push(
                w,
                id,
                EventKind::Assigned,
                actor,
                now,
                mid,
                &json!({ "from": ticket.assignee, "to": s.handle }),
            );
        }
        let mut group_key = ticket.group_key.clone();
        if let Some((from, to)) = &plan.escalate {
            update.group = Some(to.key.as_str());
            group_key = Some(to.key.clone());
            if plan.assign.is_none() {
                // The receiving group picks it up.
                update.assignee = Some(None);
                assignee = None;
            }
            events::push(
                w,
                id,
                EventKind::Escalated,
                actor,
                now,
                mid,
                &json!({
                    "from_group": from.key, "from_level": from.level,
                    "to_group": to.key, "to_level": to.level,
                    "reason": text.new.trim(),
                }),
            );
        }
        update.urgency = plan.urgency.as_deref();
        update.impact = plan.impact.as_deref();
        update.priority = priority;
        if plan.urgency.is_some() || plan.impact.is_some() || plan.priority.is_some() {
            events::push(
                w,
                id,
                EventKind::PriorityChanged,
                actor,
                now,
                mid,
                &json!({
                    "from": { "urgency": ticket.urgency, "impact": ticket.impact, "priority": ticket.priority },
                    "to": { "urgency": urgency, "impact": impact, "priority": priority.or(ticket.priority) },
                    "rule": if plan.priority.is_some() { "set by #priority" } else { "urgency × impact matrix" },
                }),
            );
        }
        if let Some(r) = &plan.recategorise {
            // The `command` event names the message.
            tickets::recategorise(
                w.conn().await?,
                id,
                &r.category,
                &r.ticket_type,
                actor,
                None,
                now,
            )
            .await?;
        }
        for a in &plan.cc {
            if watchers::add(w.conn().await?, id, a.base(), actor, now).await? {
                events::push(
                    w,
                    id,
                    EventKind::WatcherAdded,
                    actor,
                    now,
                    mid,
                    &json!({ "address": a.base() }),
                );
            }
        }
        if let Some(l) = plan.language.filter(|l| ticket.language != Some(*l)) {
            tickets::push_language(w, id, l, now);
            events::push(
                w,
                id,
                EventKind::LanguageSet,
                actor,
                now,
                mid,
                &json!({
                    "from": ticket.language_or(cfg.desk.language).code(),
                    "to": l.code(),
                }),
            );
        }
        if let Some(target) = &merge {
            update.merged_into = Some(target.id);
            events::push(
                w,
                id,
                EventKind::Merged,
                actor,
                now,
                mid,
                &json!({ "into": target.id }),
            );
            events::push(
                w,
                target.id,
                EventKind::MergedFrom,
                actor,
                now,
                &MsgRef::None,
                &json!({ "ticket": id }),
            );
        }

        // Mail to the requester and the watchers.
        let notice = if merge.is_some() {
            Some(MailKind::Merged)
        } else if status == Status::Resolved && status != ticket.status {
            Some(MailKind::Resolved)
        } else if plan.escalate.is_some() {
            Some(MailKind::Escalated)
        } else if status != ticket.status {
            Some(MailKind::StatusChanged)
        } else if plan.assign.is_some() {
            Some(MailKind::Assigned)
        } else {
            None
        };
        let note = (!private_text).then(|| text.new.trim().to_string());
        let template = match (notice, &note) {
            (Some(n), _) => Some(n),
            (None, Some(_)) => Some(MailKind::StaffReply),
            (None, None) => None,
        };
        let mut relayed: Vec<String> = Vec::new();
        let told = !new_ticket && !plan.internal;
        // The requester's language; `#lang` in this very mail already
        // counts.
        let lang = plan
            .language
            .unwrap_or_else(|| ticket.language_or(cfg.desk.language));
        // A resolution: when it closes by itself, and (told) the survey.
        let survey = match notice {
            Some(MailKind::Resolved) => links::push_resolution(w, cfg, id, now, told, lang),
            _ => None,
        };
        if let Some(template) = template.filter(|_| told) {
            let mut ctx = RequesterNotice {
                desk: Desk::of(&cfg.desk),
                ticket: TicketRef::of(&ticket),
                reference: format!("[{} #{id}]", cfg.desk.tag),
                staff: notice::Staff {
                    name: staff.name.clone(),
                    handle: staff.handle.clone(),
                },
                requester: notice::Requester {
                    display: ticket
                        .requester_name
                        .clone()
                        .unwrap_or_else(|| ticket.requester.clone()),
                },
                note: note.clone(),
                status: StatusRef {
                    code: status.as_str(),
                    name: self.templates.status_name(status, lang)?,
                },
                pending: status == Status::Pending,
                assignee: assignee_named(cfg, assignee.as_deref()),
                group: group_key
                    .as_deref()
                    .and_then(|g| cfg.catalogue.group(g))
                    .map(|g| notice::Group {
                        key: g.key.clone(),
                        name: g.name.clone(),
                        level: g.level,
                    }),
                merged_into: merge.as_ref().map(TicketRef::of),
                survey: None,
            };
            // Watchers get the notice without the requester's links.
            let plain = self.templates.render(template.template(), lang, &ctx)?;
            let rendered = match survey {
                Some(links) => {
                    ctx.survey = Some(links);
                    self.templates.render(template.template(), lang, &ctx)?
                }
                None => plain.clone(),
            };
            relayed = self
                .queue_to_requester(w, m, &ticket, template, (&rendered, &plain), note.is_some())
                .await?;
            if !relayed.is_empty() && ticket.first_response_at.is_none() {
                update.first_response_at = Some(now);
                life::on_first_response(w.conn().await?, id, now, cfg).await?;
                events::push(
                    w,
                    id,
                    EventKind::FirstResponse,
                    actor,
                    now,
                    mid,
                    &json!({ "seconds": now - ticket.created_at, "via": template.as_str() }),
                );
            }
        }
        tickets::update(w.conn().await?, id, &update, now).await?;

        if let Some((from, to)) = &plan.escalate {
            self.queue_escalation(w, m, id, (from, to), text.new.trim())
                .await?;
        }
        if plan.help {
            self.queue_help(w, m.a, staff, Some(&ticket)).await?;
        }
        if plan.show {
            // After the update: the record shows what this mail changed.
            self.queue_show(w, m, staff, id).await?;
        }
        // `#help` and `#show` are answered by their own mail.
        let applied: Vec<String> = parsed
            .commands
            .iter()
            .filter(|l| !matches!(l.command, Command::Help | Command::Show))
            .map(|l| describe(&l.command, staff, cfg))
            .collect();
        if !applied.is_empty() {
            let lang = cfg.desk.language;
            // What the ticket is now (the script has not run yet).
            let ctx = StaffConfirm {
                desk: Desk::of(&cfg.desk),
                ticket: TicketRef::of(&ticket),
                applied,
                sla: life::confirm_lines(cfg, &self.templates, &retargeted)?,
                status: StatusRef {
                    code: status.as_str(),
                    name: self.templates.status_name(status, lang)?,
                },
                assignee: assignee_named(cfg, assignee.as_deref()),
                group: group_key
                    .as_deref()
                    .and_then(|g| cfg.catalogue.group(g))
                    .map(|g| Named {
                        name: g.name.clone(),
                    }),
                relayed: relayed.clone(),
                internal: !text.new.trim().is_empty() && private_text,
                evidence: evidence_text(verdict),
            };
            let rendered = self.templates.render("staff_confirm", lang, &ctx)?;
            self.queue_to_staff(w, m.a, staff, MailKind::StaffConfirm, &ticket, &rendered)?;
        }
        Ok(())
    }
}

/// The ticket as a mail leaves its priority and category, when the mail
/// changes either: what its SLA clocks are re-targeted to.
fn retargeted_ticket(
    ticket: &tickets::Ticket,
    priority: Option<i64>,
    plan: &Plan,
) -> Option<tickets::Ticket> {
    let category = plan.recategorise.as_ref().map(|r| r.category.clone());
    if priority.is_none() && category.is_none() {
        return None;
    }
    Some(tickets::Ticket {
        priority: priority.or(ticket.priority),
        category: category.or(ticket.category.clone()),
        ..ticket.clone()
    })
}

/// The staff member `handle` names, by name.
fn assignee_named(cfg: &Config, handle: Option<&str>) -> Option<Named> {
    handle.and_then(|h| cfg.staff_by_handle(h)).map(|s| Named {
        name: s.name.clone(),
    })
}
