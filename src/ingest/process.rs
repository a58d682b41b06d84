//! One message's steps inside the caller's transaction: quarantine what
//! cannot be a ticket, drop what was seen before, route, thread, decide,
//! and write (see the steps in `mod.rs`).

use std::borrow::Cow;

use anyhow::Result;

use super::comment::ticket_with_sent;
use super::examine::{Examined, Route, header_block};
use super::{Arrival, Incoming, Ingestor, OVERSIZE_KEEP, Outcome};
use crate::ack_policy::AckCount;
use crate::parse::InboundMessage;
use crate::store::script::{Prepared, Script};
use crate::store::unit::Unit;
use crate::store::{Conn, messages, quarantine, raw, tickets};
use crate::thread_index;
use crate::threading::{self, Decision, Found};

impl Ingestor {
    /// Steps 1–6 of `mod.rs`, inside the caller's transaction. `raw` is the
    /// message's bytes: borrowed from `item`, or owned (taken out of it) so
    /// the raw insert can consume them; `examined` is what
    /// [`Self::examine`] made of them; `prepared` is what is known of the
    /// connection's prepared statements (PostgreSQL), kept up to date.
    /// `known`: whether the message was seen before and how many
    /// acknowledgments its answer address got lately, when the caller holds
    /// them (a batch; read here otherwise). Also returns the primary
    /// recipient of each acknowledgment it queued, and its last writes,
    /// unsent ([`Unit::defer`]): the caller sends them on `c` before any
    /// read and before the commit.
    #[allow(clippy::too_many_arguments)]
    pub(super) async fn process(
        &self,
        c: &mut Conn,
        prepared: &mut Prepared,
        numbering: &mut tickets::Numbering,
        item: &Incoming,
        raw: Cow<'_, [u8]>,
        examined: Examined,
        known: Option<(bool, i64)>,
        now: i64,
    ) -> Result<(Outcome, Vec<String>, Script)> {
        let msg = match examined {
            Examined::Parsed(m) => m,
            Examined::Refused { reason, oversize } => {
                let outcome = self
                    .quarantine_refused(c, item, &raw, reason, oversize, now)
                    .await?;
                return Ok((outcome, Vec::new(), Script::new()));
            }
        };
        let a = Arrival::new(item, &msg, now);
        // Seen before? And how many acknowledgments did the sender get
        // lately? One read, unless the caller knows.
        let since = self.ack_since(now);
        let (seen, sender_acks) = match known {
            Some(k) => k,
            None => {
                let answer_to = msg.reply_address().map(|x| x.base().to_string());
                raw::preread(c, &msg.dedupe_key, answer_to.as_deref(), since).await?
            }
        };
        if seen {
            return Ok((Outcome::Duplicate, Vec::new(), Script::new()));
        }
        // Staff notices carry a token made with these keys.
        self.keys(c).await?;
        let mut u = Unit::with_prepared(c, self.db.backend(), prepared);
        let outcome = match self.route(&msg) {
            Route::New => {
                let id = numbering.next(u.conn().await?, self.db.backend()).await?;
                let acks = AckCount {
                    sender: sender_acks,
                    total: raw::acks_total(u.conn().await?, since).await?,
                };
                let earlier = self.earlier_language(u.conn().await?, &msg).await?;
                push_raw(&mut u, a, raw).await?;
                self.open_ticket_as(&mut u, a, id, None, acks, earlier)?;
                Outcome::NewTicket(id)
            }
            Route::Staff(staff) => {
                push_raw(&mut u, a, raw).await?;
                self.staff_mail(&mut u, numbering, a, &staff, sender_acks)
                    .await?
            }
            Route::Thread => self.thread(&mut u, numbering, a, raw, sender_acks).await?,
        };
        let (rest, acks) = u.defer();
        Ok((outcome, acks, rest))
    }

    /// A message that names a ticket or refers to earlier mail: the ticket
    /// it belongs to, who its sender is there, and what becomes of it. The
    /// reads come first, so the writes after them go out together.
    async fn thread(
        &self,
        u: &mut Unit<'_>,
        numbering: &mut tickets::Numbering,
        a: Arrival<'_>,
        raw: Cow<'_, [u8]>,
        sender_acks: i64,
    ) -> Result<Outcome> {
        let msg = a.msg;
        // The desk's latest mails on it come with it: a comment needs them.
        let (ticket, sent) = match self.find_ticket_with_sent(u.conn().await?, msg).await? {
            Some((t, sent)) => (Some(t), sent),
            None => (None, Vec::new()),
        };
        let found = ticket.as_ref().map(found_of);
        let mut decision = threading::decide(found, a.now, self.cfg.desk.reopen_window);
        // A robot's mail claiming a staff From changes nothing and is kept
        // internal below (`staff_robot_note`).
        let staff = self.claimed_staff(msg);
        // Only participants move a ticket.
        if let (Decision::Append { .. }, Some(t)) = (decision, &ticket)
            && staff.is_none()
            && self.participant(u.conn().await?, msg, t).await?.is_none()
        {
            let mode = self.cfg.desk.non_participant;
            decision = threading::for_non_participant(decision, mode, msg.auto.is_some());
        }
        push_raw(u, a, raw).await?;
        Ok(match (decision, ticket) {
            (Decision::NewTicket, _) => {
                self.open_ticket(u, numbering, a, None, sender_acks).await?
            }
            (Decision::NewLinked { previous }, _) => {
                self.open_ticket(u, numbering, a, Some(previous), sender_acks)
                    .await?
            }
            (Decision::NewFromOutsider { previous }, _) => {
                let outcome = self
                    .open_ticket(u, numbering, a, Some(previous), sender_acks)
                    .await?;
                if let Outcome::NewTicket(id) = &outcome {
                    self.outsider_diverted(u, a, previous, *id);
                }
                outcome
            }
            (Decision::Append { reopen, .. }, Some(ticket)) => {
                let outcome = self.add_comment_with(u, a, &ticket, &sent, reopen).await?;
                // A robot's mail from a staff address is not their word.
                if let Some(staff) = &staff {
                    self.staff_robot_note(u, a, staff, &ticket).await?;
                }
                outcome
            }
            (Decision::Note { .. }, Some(ticket)) => self.outsider_note(u, a, &ticket).await?,
            (Decision::Append { .. } | Decision::Note { .. }, None) => {
                unreachable!("threading appends only to a ticket it found")
            }
        })
    }

    /// A message that cannot be a ticket (too large, unparseable), kept in
    /// quarantine with the reason: only the headers of an oversized one.
    async fn quarantine_refused(
        &self,
        c: &mut Conn,
        item: &Incoming,
        raw: &[u8],
        reason: String,
        oversize: Option<u64>,
        now: i64,
    ) -> Result<Outcome> {
        let (keep, size, truncated) = match oversize {
            Some(size) => (header_block(raw, OVERSIZE_KEEP), size, true),
            None => (raw, raw.len() as u64, false),
        };
        let id =
            quarantine::insert(c, keep, size as i64, truncated, &item.source, &reason, now).await?;
        Ok(Outcome::Quarantined { id, reason })
    }

    /// The ticket the message points at: subject tag first, then
    /// references, then its Outlook conversation (a participant's mail
    /// only), merges followed to the surviving ticket.
    pub(super) async fn find_ticket(
        &self,
        c: &mut Conn,
        msg: &InboundMessage,
    ) -> Result<Option<tickets::Ticket>> {
        Ok(self.find_ticket_with_sent(c, msg).await?.map(|(t, _)| t))
    }

    /// [`Self::find_ticket`], with the text of the desk's latest mails on
    /// the ticket ([`super::sent_texts`]) read along with each ticket row.
    async fn find_ticket_with_sent(
        &self,
        c: &mut Conn,
        msg: &InboundMessage,
    ) -> Result<Option<(tickets::Ticket, Vec<String>)>> {
        let mut tagged = None;
        if let Some(n) = threading::tag_number(&msg.subject, &self.cfg.desk.tag) {
            tagged = ticket_with_sent(c, n).await?;
        }
        let mut id = tagged.as_ref().map(|(t, _)| t.id);
        if id.is_none() {
            let ids: Vec<&str> = msg.referenced_ids().collect();
            id = messages::ticket_of_first(c, &ids).await?;
        }
        let mut by_conversation = false;
        if id.is_none()
            && let Some(conversation) = msg.conversation().filter(|c| c.is_answer())
        {
            id = messages::ticket_of_conversation(c, &conversation.key).await?;
            by_conversation = id.is_some();
        }
        // Bounded, in case of a cycle.
        let mut hops = 0;
        while let Some(t) = id {
            let (ticket, sent) = match tagged.take() {
                Some(known) if known.0.id == t => known,
                _ => match ticket_with_sent(c, t).await? {
                    Some(found) => found,
                    None => return Ok(None),
                },
            };
            match ticket.merged_into {
                Some(next) if hops < 8 => {
                    id = Some(next);
                    hops += 1;
                }
                _ if by_conversation => {
                    let member = self.conversation_member(c, msg, ticket).await?;
                    return Ok(member.map(|t| (t, sent)));
                }
                _ => return Ok(Some((ticket, sent))),
            }
        }
        Ok(None)
    }

    /// `ticket`, found by the Outlook conversation of `msg`, when the
    /// sender takes part in it and the topic fits: a Thread-Index can be
    /// copied by anyone, so it never lets a stranger's mail into a ticket
    /// (the mail opens one of its own).
    async fn conversation_member(
        &self,
        c: &mut Conn,
        msg: &InboundMessage,
        ticket: tickets::Ticket,
    ) -> Result<Option<tickets::Ticket>> {
        let topic = msg.header("Thread-Topic");
        if !thread_index::topic_fits(&self.cfg.desk.tag, topic, &ticket.subject) {
            return Ok(None);
        }
        Ok(self
            .participant(c, msg, &ticket)
            .await?
            .is_some()
            .then_some(ticket))
    }

    /// When the acknowledgments counted against the limits began.
    pub(super) fn ack_since(&self, now: i64) -> i64 {
        now - self.cfg.desk.ack_window.as_secs() as i64
    }
}

/// What threading needs to know of a ticket.
pub(super) fn found_of(t: &tickets::Ticket) -> Found {
    Found {
        id: t.id,
        status: t.status,
        closed_at: t.closed_at,
        merged_into: t.merged_into,
    }
}

/// Queues the raw message's row (which the message rows refer to). A large
/// one is written on its own at once: the database drivers copy what they
/// bind and keep the copies until a script ends, so the raw bytes and the
/// decoded text are never bound, and copied, at once.
async fn push_raw(u: &mut Unit<'_>, a: Arrival<'_>, raw: Cow<'_, [u8]>) -> Result<()> {
    let large = raw.len() > super::LARGE_MESSAGE;
    raw::push(u, a.raw_id(), &a.item.source, raw, a.now);
    if large {
        u.conn().await?;
    }
    Ok(())
}
