//! The pure path of one message, with nothing read or written: parse,
//! auto-reply detection, threading against an in-memory view of the
//! tickets, classification, the templates and the composed mail.
//!
//! It runs the very functions [`Ingestor::process`] runs for a new ticket
//! ([`Ingestor::open_ticket_as`] queues its writes, the acknowledgment and
//! the notices into a [`Script`]), and looks at what would be written
//! instead of writing it. The fuzzing harness (`fuzz/`) drives it with
//! hostile bytes; what needs the database (a staff mail's commands on a
//! ticket, a reply's status change) stops at the decision.

use std::collections::HashMap;
use std::sync::Arc;

use anyhow::Result;

use super::{Arrival, Examined, Incoming, Ingestor};
use crate::commands::{self, Parsed};
use crate::config::Config;
use crate::domain::TicketId;
use crate::mail::templates::Templates;
use crate::parse::InboundMessage;
use crate::staff_token::KeyRing;
use crate::store::Db;
use crate::store::script::{Arg, Script};
use crate::threading::{self, Decision, Found, SubjectTag};

/// The tickets a dry run threads against: what the database would answer.
#[derive(Debug, Clone, Default)]
pub struct TicketView {
    pub tickets: HashMap<TicketId, Found>,
    /// Message-IDs (ours and inbound ones) and the ticket each belongs to.
    pub message_ids: HashMap<String, TicketId>,
    /// The number a new ticket gets.
    pub next_id: TicketId,
}

impl TicketView {
    /// The ticket `msg` points at, as [`Ingestor::find_ticket`] finds it:
    /// the subject tag, else the first referenced Message-ID we know, then
    /// merges followed (at most 8 hops).
    pub fn find(&self, msg: &InboundMessage, tag: &SubjectTag) -> Option<Found> {
        let mut id =
            threading::tag_number(&msg.subject, tag).filter(|n| self.tickets.contains_key(n));
        if id.is_none() {
            id = msg
                .referenced_ids()
                .find_map(|m| self.message_ids.get(m).copied());
        }
        let mut ticket = *self.tickets.get(&id?)?;
        for _ in 0..8 {
            match ticket.merged_into.and_then(|n| self.tickets.get(&n)) {
                Some(next) => ticket = *next,
                None => break,
            }
        }
        Some(ticket)
    }
}

/// Where the message would go.
#[derive(Debug)]
pub enum DryOutcome {
    /// Too large or unparseable: quarantine, with the reason.
    Quarantined(String),
    Opened {
        id: TicketId,
        linked_to: Option<TicketId>,
    },
    Appended {
        ticket: TicketId,
        reopen: bool,
    },
    /// Staff mail with commands or on a ticket: the commands as read.
    Staff {
        ticket: Option<TicketId>,
        commands: Box<Parsed>,
    },
}

/// What one message would cause.
#[derive(Debug)]
pub struct DryRun {
    pub outcome: DryOutcome,
    pub message: Option<Box<InboundMessage>>,
    /// Statements that would be written.
    pub writes: usize,
    /// The raw mail queued in the outbox, in order.
    pub outgoing: Vec<Vec<u8>>,
    /// Outbox rows recorded as failed (mail that could not be built).
    pub failed: usize,
}

impl Ingestor {
    /// An ingestor that never touches a database, for [`Ingestor::dry_run`];
    /// `key` (at least 16 characters) stands in for the key of the staff
    /// tokens.
    pub fn offline(cfg: Arc<Config>, templates: Arc<Templates>, key: &str) -> Result<Ingestor> {
        let i = Ingestor::new(cfg, Db::unconnected(), templates);
        i.keys.set(Arc::new(
            KeyRing::from_env(key).map_err(anyhow::Error::msg)?,
        ));
        Ok(i)
    }

    /// Takes `raw` through the pure path as if it arrived at `now`, with
    /// `view` as the database's tickets and no earlier acknowledgments.
    pub fn dry_run(&self, raw: &[u8], view: &TicketView, now: i64) -> Result<DryRun> {
        let item = Incoming::new(raw.to_vec(), "dry-run");
        let msg = match self.examine(&item, raw) {
            Examined::Parsed(m) => m,
            Examined::Refused { reason, .. } => {
                return Ok(DryRun {
                    outcome: DryOutcome::Quarantined(reason),
                    message: None,
                    writes: 0,
                    outgoing: Vec::new(),
                    failed: 0,
                });
            }
        };
        let mut w = Script::new();
        let a = Arrival::new(&item, &msg, now);
        let found = view.find(&msg, &self.cfg.desk.tag);
        let staff_commands = self
            .claimed_staff(&msg)
            .map(|_| commands::parse(&msg.subject, &msg.body_text))
            .filter(|parsed| found.is_some() || !parsed.is_empty());
        let outcome = match (
            staff_commands,
            threading::decide(found, now, self.cfg.desk.reopen_window),
        ) {
            (Some(parsed), _) => DryOutcome::Staff {
                ticket: found.map(|f| f.id),
                commands: Box::new(parsed),
            },
            (None, Decision::NewTicket) => self.dry_open(&mut w, a, view.next_id, None)?,
            // The participant check that turns a reply into a note or an
            // outsider's new ticket reads the database; `decide` alone
            // never returns those, but they read as their neighbours.
            (None, Decision::NewLinked { previous } | Decision::NewFromOutsider { previous }) => {
                self.dry_open(&mut w, a, view.next_id, Some(previous))?
            }
            (None, Decision::Append { ticket, reopen }) => {
                // Read as the ingest reads it.
                let (body, quoted) = super::reply_parts(&msg, &[]);
                let author = a.author();
                self.record_inbound(
                    &mut w,
                    a,
                    ticket,
                    "reply",
                    (&body, quoted.as_deref()),
                    &author,
                )?;
                DryOutcome::Appended { ticket, reopen }
            }
            (None, Decision::Note { ticket }) => DryOutcome::Appended {
                ticket,
                reopen: false,
            },
        };
        let (queued, failed): (Vec<_>, Vec<_>) = w
            .statements()
            .filter(|(sql, _)| sql.starts_with("INSERT INTO outbox"))
            .partition(|(sql, _)| {
                sql.contains("'queued'") || *sql == crate::store::outbox::RAW_INSERT
            });
        let outgoing = queued
            .into_iter()
            .flat_map(|(_, args)| args.iter())
            .filter_map(|a| match a {
                Arg::Bytes(b) => Some(b.clone()),
                _ => None,
            })
            .collect();
        Ok(DryRun {
            outcome,
            writes: w.statements().count(),
            message: Some(msg),
            outgoing,
            failed: failed.len(),
        })
    }

    fn dry_open(
        &self,
        w: &mut Script,
        a: Arrival<'_>,
        id: TicketId,
        linked_to: Option<TicketId>,
    ) -> Result<DryOutcome> {
        let no_acks = crate::ack_policy::AckCount::default();
        self.open_ticket_as(w, a, id, linked_to, no_acks, None)?;
        Ok(DryOutcome::Opened { id, linked_to })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::Status;

    fn ingestor() -> Ingestor {
        let cfg = crate::config::parse(
            include_str!("../../config/posko.toml"),
            std::path::Path::new("config/posko.toml"),
        )
        .unwrap();
        Ingestor::offline(
            Arc::new(cfg),
            Arc::new(Templates::load(None).unwrap()),
            "a key for the dry-run tests",
        )
        .unwrap()
    }

    fn view(now: i64) -> TicketView {
        let t = |id, status, closed_at| Found {
            id,
            status,
            closed_at,
            merged_into: None,
        };
        let mut v = TicketView {
            next_id: 9,
            ..TicketView::default()
        };
        v.tickets.insert(1, t(1, Status::InProgress, None));
        v.tickets
            .insert(2, t(2, Status::Closed, Some(now - 30 * 86_400)));
        v.tickets.insert(
            3,
            Found {
                merged_into: Some(1),
                ..t(3, Status::New, None)
            },
        );
        v.message_ids.insert("ack-2@corp.test".into(), 2);
        v
    }

    fn mail(headers: &str) -> Vec<u8> {
        format!("{headers}To: helpdesk@corp.test\r\n\r\nInternet mati sejak pagi.\r\n").into_bytes()
    }

    #[test]
    fn the_dry_run_decides_and_composes_without_a_database() {
        let now = 1_795_395_300;
        let (i, v) = (ingestor(), view(now));
        let run = |headers: &str| i.dry_run(&mail(headers), &v, now).unwrap();
        // A new request: ticket 9, its acknowledgment and the notices.
        let r = run("From: alice@corp.test\r\nSubject: Internet mati\r\n");
        let opened = |r: &DryRun| match r.outcome {
            DryOutcome::Opened { id, linked_to } => Some((id, linked_to)),
            _ => None,
        };
        assert_eq!(opened(&r), Some((9, None)), "{r:?}");
        assert!(r.outgoing.len() >= 2, "{}", r.outgoing.len());
        assert_eq!(r.failed, 0);
        let ack = String::from_utf8_lossy(&r.outgoing[0]);
        assert!(
            ack.contains("Subject: [Helpdesk #9] Internet mati"),
            "{ack}"
        );
        assert!(ack.contains("To: alice@corp.test"), "{ack}");
        // A reply to a merged ticket lands on the one it was merged into.
        let r = run("From: alice@corp.test\r\nSubject: Re: [Helpdesk #3] x\r\n");
        let appended = matches!(
            r.outcome,
            DryOutcome::Appended {
                ticket: 1,
                reopen: false
            }
        );
        assert!(appended, "{r:?}");
        assert!(r.outgoing.is_empty());
        // A reply by reference to a ticket closed long ago opens a linked one.
        let r = run("From: a@corp.test\r\nSubject: lagi\r\nIn-Reply-To: <ack-2@corp.test>\r\n");
        assert_eq!(opened(&r), Some((9, Some(2))), "{r:?}");
        // A robot's mail opens a ticket and is answered by nobody.
        let r =
            run("From: a@corp.test\r\nSubject: Out of office\r\nAuto-Submitted: auto-replied\r\n");
        assert!(opened(&r).is_some(), "{r:?}");
        assert!(r.outgoing.is_empty());
        // Staff commands stop at the decision; garbage goes to quarantine.
        let r = run("From: siti@corp.test\r\nSubject: [Helpdesk #1] #resolve\r\n");
        let staff = matches!(
            r.outcome,
            DryOutcome::Staff {
                ticket: Some(1),
                ..
            }
        );
        assert!(staff, "{r:?}");
        let r = i.dry_run(b"  \r\n", &v, now).unwrap();
        assert!(matches!(r.outcome, DryOutcome::Quarantined(_)), "{r:?}");
    }
}
