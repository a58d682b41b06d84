//! `#show`: the ticket's whole record, mailed to the staff member who
//! asked (at their directory address, like every answer to staff).
//!
//! It is read after the mail's other commands are written, so
//! `#assign:me #show` shows the ticket assigned. What keeps it safe and
//! small:
//! - only a mail that proved it is the staff member's, for this ticket,
//!   gets here (the plan runs after [`crate::staff_auth`]); a requester's
//!   `#show` is never a command at all;
//! - each message's text is cut at [`MESSAGE_TEXT_BYTES`] and all of them
//!   together at [`RECORD_TEXT_BYTES`], saying what was left out (the
//!   notices cut at 16 KiB and point here for the whole text, so the record
//!   keeps far more);
//! - earlier records (the `show` mail kept on the ticket) are listed but
//!   their text is not repeated, so asking twice does not double the mail.

use anyhow::Result;

use super::escalation_form::history_line;
use super::{StaffMail, ticket};
use crate::config::Staff;
use crate::domain::survey::question_columns;
use crate::domain::{MailKind, TicketId};
use crate::ingest::Ingestor;
use crate::mail::context::show::{self as record, Rating, TicketRecord};
use crate::mail::context::{Desk, StatusRef};
use crate::mail::excerpt::{excerpt, human_size};
use crate::sla::clocks::calendar_of;
use crate::store::unit::Unit;
use crate::store::{events, messages, sla_clocks, surveys_read, watchers};

/// The most text of one message a record carries.
pub const MESSAGE_TEXT_BYTES: usize = 256 * 1024;

/// The most message text one record carries: the mail stays well under
/// what mail servers accept (10 MB and up) even on a ticket with hundreds
/// of long messages.
pub const RECORD_TEXT_BYTES: usize = 1024 * 1024;

impl Ingestor {
    /// Queues the record of ticket `id` to `staff`.
    pub(super) async fn queue_show(
        &self,
        w: &mut Unit<'_>,
        m: StaffMail<'_>,
        staff: &Staff,
        id: TicketId,
    ) -> Result<()> {
        let ctx = self.record(w, id, m.a.now).await?;
        let rendered = self
            .templates
            .render("show", self.cfg.desk.language, &ctx)?;
        let t = ticket(w.conn().await?, id).await?;
        self.queue_to_staff(w, m.a, staff, MailKind::Show, &t, &rendered)
    }

    /// The record of ticket `id` as of `now`.
    async fn record(&self, w: &mut Unit<'_>, id: TicketId, now: i64) -> Result<TicketRecord> {
        let cfg = &self.cfg;
        let lang = cfg.desk.language;
        let at = |s: i64| self.local_time(s);
        let sender = |name: Option<&str>, address: &str| {
            self.templates.sender_view(lang, &self.known, name, address)
        };
        let c = w.conn().await?;
        let t = ticket(c, id).await?;
        let closed_by = surveys_read::closed_by(c, id).await?;
        let mut clocks = Vec::new();
        for r in sla_clocks::for_ticket(c, id).await? {
            let cal = calendar_of(cfg, r.business_hours);
            clocks.push(record::Clock {
                name: self.templates.clock_name(r.kind, lang)?,
                state: r.clock.state_at(now, cal).as_str(),
                target: self.templates.duration(r.clock.target_seconds, lang)?,
                business_hours: r.business_hours,
                due_at: r.clock.due_at(cal).map(at),
            });
        }
        let survey = surveys_read::latest_for_ticket(c, id).await?.map(|s| {
            let keys = cfg.survey_question_keys();
            let ratings = question_columns(&keys, s.ratings.keys().map(String::as_str))
                .into_iter()
                .filter_map(|key| {
                    let value = *s.ratings.get(&key)?;
                    Some(Rating { key, value })
                })
                .collect();
            record::Survey {
                state: s.state,
                sent_at: at(s.sent_at),
                expires_at: at(s.expires_at),
                reminded_at: s.reminded_at.map(at),
                answered_at: s.answered_at.map(at),
                ratings,
                score: s.score,
                comment: s.comment,
            }
        });
        let mut budget = RECORD_TEXT_BYTES;
        let mut cut = false;
        let mut msgs = Vec::new();
        for m in messages::list_for_ticket(c, id).await? {
            let earlier_record = m.kind == MailKind::Show.as_str();
            let body = if earlier_record {
                ""
            } else {
                m.body_text.trim()
            };
            let (text, omitted) = excerpt(body, MESSAGE_TEXT_BYTES.min(budget));
            budget -= text.len();
            cut |= !omitted.is_null();
            msgs.push(record::Message {
                number: m.id,
                at: at(m.created_at),
                inbound: m.direction == "in",
                internal: m.visibility == "internal",
                from: sender(m.from_name.as_deref(), &m.from_addr)?,
                to: m.to_addrs,
                subject: m.subject,
                attachments: m
                    .attachments
                    .iter()
                    .map(|a| {
                        format!(
                            "{} ({}, {})",
                            a.filename,
                            a.content_type,
                            human_size(a.size)
                        )
                    })
                    .collect(),
                text: text.to_string(),
                omitted,
                record: earlier_record,
                kind: m.kind,
            });
        }
        let events = events::list_for_ticket(c, id)
            .await?
            .into_iter()
            .map(|e| history_line(e, at))
            .collect();
        let watchers = watchers::list(c, id).await?;
        Ok(TicketRecord {
            desk: Desk::of(&cfg.desk),
            reference: format!("[{} #{id}]", cfg.desk.tag),
            as_of: at(now),
            ticket: record::Ticket {
                id,
                subject: t.subject.clone(),
                status: StatusRef {
                    code: t.status.as_str(),
                    name: self.templates.status_name(t.status, lang)?,
                },
                requester: sender(t.requester_name.as_deref(), &t.requester)?,
                ticket_type: t.ticket_type,
                category: t.category,
                priority: t.priority,
                group: t.group_key,
                assignee: t.assignee,
                watchers,
                merged_into: t.merged_into,
                created_at: at(t.created_at),
                resolved_at: t.resolved_at.map(at),
                closed_at: t.closed_at.map(at),
                closed_by,
            },
            clocks,
            survey,
            messages: msgs,
            events,
            cut,
        })
    }
}
