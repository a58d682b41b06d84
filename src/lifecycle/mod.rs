//! After resolution (issue 11): the survey's links ([`links`]), its mail
//! ([`mail`]), and the lifecycle worker: the one reminder and the
//! auto-close.
//!
//! [`Lifecycle::tick`] is one step at `now`, like the SLA scan
//! ([`crate::sla::scan::Escalator::tick`], which runs it after each
//! scan, so the daemon and `run --once` both do). It reads only what is
//! due, by the indexes on `surveys.remind_at` and `tickets.auto_close_at`,
//! and claims each row with a conditional `UPDATE` in the transaction that
//! queues its mail: across restarts and several instances, each reminder
//! goes out once and each ticket closes once.

pub mod links;
pub mod mail;

use std::sync::Arc;

use anyhow::{Context, Result};
use serde_json::json;
use tracing::info;

use crate::config::{Config, Language};
use crate::domain::{EventKind, MailKind, Status, TicketId};
use crate::mail::context::requester_notice::Requester;
use crate::mail::context::survey::{Closed, SurveyReminder};
use crate::mail::context::{Desk, TicketRef};
use crate::mail::templates::Templates;
use crate::store::events::{self, MsgRef};
use crate::store::script::Script;
use crate::store::{Conn, Db, surveys, tickets};

/// Rows read per transaction.
const BATCH: i64 = 200;

/// What one tick did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct LifeStats {
    pub reminders: u32,
    pub auto_closed: u32,
}

/// The worker's parts. Cheap to clone.
#[derive(Clone)]
pub struct Lifecycle {
    cfg: Arc<Config>,
    db: Db,
    templates: Arc<Templates>,
}

impl Lifecycle {
    pub fn new(cfg: Arc<Config>, db: Db, templates: Arc<Templates>) -> Lifecycle {
        Lifecycle { cfg, db, templates }
    }

    pub fn config(&self) -> &Arc<Config> {
        &self.cfg
    }

    pub fn templates(&self) -> &Arc<Templates> {
        &self.templates
    }

    /// Sends the reminders due at `now` and closes the tickets due.
    pub async fn tick(&self, now: i64) -> Result<LifeStats> {
        let mut stats = LifeStats::default();
        // Each row handled leaves the due list (claimed, or cleared), so
        // every batch makes progress; the bound guards against surprises.
        for _ in 0..1_000 {
            let mut tx = self.db.begin().await?;
            let due = surveys::due_reminders(&mut tx, now, BATCH).await?;
            let n = due.len() as i64;
            for id in due {
                if self.remind(&mut tx, id, now).await? {
                    stats.reminders += 1;
                } else {
                    surveys::drop_reminder(&mut tx, id).await?;
                }
            }
            tx.commit().await.context("cannot commit the reminders")?;
            if n < BATCH {
                break;
            }
        }
        for _ in 0..1_000 {
            let mut tx = self.db.begin().await?;
            let due = surveys::due_auto_close(&mut tx, now, BATCH).await?;
            let n = due.len() as i64;
            for id in due {
                if self.auto_close(&mut tx, id, now).await? {
                    stats.auto_closed += 1;
                } else {
                    surveys::drop_auto_close(&mut tx, id).await?;
                }
            }
            tx.commit().await.context("cannot commit the auto-close")?;
            if n < BATCH {
                break;
            }
        }
        if stats != LifeStats::default() {
            info!(
                reminders = stats.reminders,
                auto_closed = stats.auto_closed,
                "lifecycle"
            );
        }
        Ok(stats)
    }

    /// Survey `id`'s reminder: a new token for its links (only hashes are
    /// kept, so the first mail's token cannot be shown again), claimed,
    /// the event and the mail. False when it is no longer due.
    async fn remind(&self, c: &mut Conn, id: i64, now: i64) -> Result<bool> {
        let Some((ticket_id, lang, expires_at)) = surveys::ticket_of(c, id).await? else {
            return Ok(false);
        };
        let Some(ticket) = tickets::get(c, ticket_id).await? else {
            return Ok(false);
        };
        let minted = links::mint();
        if !surveys::claim_reminder(c, id, now, &minted.hash).await? {
            return Ok(false);
        }
        let cfg = &self.cfg;
        let lang = if lang == "en" {
            Language::En
        } else {
            Language::Id
        };
        let ctx = SurveyReminder {
            desk: Desk::of(&cfg.desk),
            ticket: TicketRef::of(&ticket),
            reference: format!("[{} #{}]", cfg.desk.tag, ticket.id),
            requester: Requester {
                display: ticket
                    .requester_name
                    .clone()
                    .unwrap_or_else(|| ticket.requester.clone()),
            },
            expires: mail::day(cfg, expires_at),
            survey: links::links(&cfg.web.public_url, &minted.token, lang),
        };
        let rendered = self
            .templates
            .render(MailKind::SurveyReminder.template(), lang, &ctx)?;
        let mut w = Script::new();
        events::push(
            &mut w,
            ticket.id,
            EventKind::SurveyReminded,
            "system",
            now,
            &MsgRef::None,
            &json!({ "survey": id }),
        );
        if let Some(to) = crate::domain::EmailAddress::parse(&ticket.requester) {
            let q = mail::Queued {
                id: ticket.id,
                subject: &ticket.subject,
                kind: MailKind::SurveyReminder,
                to: vec![(ticket.requester_name.clone(), to)],
                internal: false,
                keys: None,
            };
            mail::queue(&mut w, cfg, q, &rendered, now)?;
        }
        w.run(c, crate::store::backend_of(c)).await?;
        Ok(true)
    }

    /// Closes ticket `id` by itself when it is still resolved and due, and
    /// tells its requester (in their language): the SOP has requesters
    /// told whenever their ticket's status changes.
    async fn auto_close(&self, c: &mut Conn, id: TicketId, now: i64) -> Result<bool> {
        if !surveys::claim_close(c, id, "auto", now).await? {
            return Ok(false);
        }
        let mut w = Script::new();
        events::push(
            &mut w,
            id,
            EventKind::AutoClosed,
            "system",
            now,
            &MsgRef::None,
            &json!({ "from": "resolved", "to": "closed" }),
        );
        if let Some(ticket) = tickets::get(c, id).await? {
            self.queue_closed(&mut w, &ticket, now)?;
        }
        w.run(c, crate::store::backend_of(c)).await?;
        crate::sla::life::on_status_change(c, id, Status::Resolved, Status::Closed, now, &self.cfg)
            .await?;
        Ok(true)
    }

    /// The requester's `closed` notice, queued in `w`.
    fn queue_closed(&self, w: &mut Script, ticket: &tickets::Ticket, now: i64) -> Result<()> {
        let cfg = &self.cfg;
        let Some(to) = crate::domain::EmailAddress::parse(&ticket.requester)
            .filter(|a| !cfg.desk.is_own_address(a))
        else {
            return Ok(());
        };
        let lang = ticket.language_or(cfg.desk.language);
        let window = cfg.desk.reopen_window.as_secs();
        let ctx = Closed {
            desk: Desk::of(&cfg.desk),
            ticket: TicketRef::of(ticket),
            reference: format!("[{} #{}]", cfg.desk.tag, ticket.id),
            requester: Requester {
                display: ticket
                    .requester_name
                    .clone()
                    .unwrap_or_else(|| ticket.requester.clone()),
            },
            resolved: mail::day(cfg, ticket.resolved_at.unwrap_or(now)),
            reopen_within: self.templates.duration(window as i64, lang)?,
            reopen_days: window.is_multiple_of(86_400).then_some(window / 86_400),
        };
        let rendered = self
            .templates
            .render(MailKind::Closed.template(), lang, &ctx)?;
        let q = mail::Queued {
            id: ticket.id,
            subject: &ticket.subject,
            kind: MailKind::Closed,
            to: vec![(ticket.requester_name.clone(), to)],
            internal: false,
            keys: None,
        };
        mail::queue(w, cfg, q, &rendered, now)
    }
}
