//! The use case: one raw message in → a ticket or a comment, its events and
//! the mail it causes, all in one database transaction.
//!
//! Order of work for each message:
//! 1. too large or unparseable → quarantine (kept raw, never dropped);
//! 2. already seen (same dedupe key) → nothing, so re-delivery is harmless;
//! 3. thread it (subject tag, then Message-ID references) and decide; a
//!    reply from someone who takes no part in the ticket changes nothing
//!    but a note ([`crate::participants`], `outsider.rs`);
//! 4. classify a new ticket ([`crate::rules`]): type, category, priority,
//!    group, major incident, who else to tell, or ignore it as spam;
//! 5. write ticket / message / attachments / events;
//! 6. queue the acknowledgment, the new-ticket notice (to the service desk
//!    and the ticket's group) and, for information security and major
//!    incidents, the alert to management, in the outbox; nothing when a
//!    machine sent the mail or a rule ignores it, and no acknowledgment
//!    past the limits of [`crate::ack_policy`] (per sender, desk-wide,
//!    `requester_domains`).
//!
//! Nothing is sent here: the outbox worker sends after the commit. The
//! caller tells the mail source the message is done only after the commit,
//! so a crash anywhere means the message is fetched again and step 2 makes
//! that harmless.

use std::borrow::Cow;
use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::task::Poll;

use anyhow::{Context, Result};
use chrono::TimeZone;
use serde_json::json;
use tracing::{info, warn};

use crate::ack_policy::{self, AckCount};
use crate::budget::Meter;
use crate::catalogue::TicketType;
use crate::compose::{self, Outgoing};
use crate::config::{Config, Language};
use crate::display_name;
use crate::domain::{Direction, EmailAddress, Status, TicketId, Visibility};
use crate::isolate;
use crate::notify::{self, Templates, human_size};
use crate::parse::{self, InboundMessage};
use crate::reply_trim;
use crate::rules;
use crate::sla_store;
use crate::store::events::MsgRef;
use crate::store::script::Script;
use crate::store::{self, Conn, Db, events, messages, outbox, quarantine, raw, tickets};
use crate::threading::{self, Decision, Found};

mod dry;
mod outsider;
mod staff;

pub use dry::{DryOutcome, DryRun, TicketView};

/// How much of an oversized message is kept in quarantine: its headers.
const OVERSIZE_KEEP: usize = 64 * 1024;

/// Messages larger than this are taken in alone, each in its own
/// transaction, with their raw bytes handed over to the database insert
/// instead of copied (see [`Ingestor::ingest_batch`]). A batch must keep
/// every message in memory in case it has to be retried one by one; a
/// large message taken alone need not, which keeps the peak memory of a
/// 25 MB message under 150 MB (one copy of it fewer while SQLite builds
/// the row).
pub const LARGE_MESSAGE: usize = 1024 * 1024;

/// References carried in outgoing mail: enough for any client to thread,
/// short enough to keep headers small.
const MAX_REFERENCES: usize = 10;

/// One raw message and where it came from (`maildir:…`, `imap:…`, `pipe`).
#[derive(Debug, Clone)]
pub struct Incoming {
    pub raw: Vec<u8>,
    pub source: String,
    /// The message's real size: larger than `raw` when only the start of an
    /// oversized message was read.
    pub size: u64,
    /// The envelope recipients (`RCPT TO`), when the source knows them
    /// (`posko ingest --recipient`): where a staff token is read first
    /// ([`crate::staff_auth::recipients`]).
    pub recipients: Vec<String>,
}

impl Incoming {
    pub fn new(raw: Vec<u8>, source: impl Into<String>) -> Incoming {
        Incoming {
            size: raw.len() as u64,
            raw,
            source: source.into(),
            recipients: Vec::new(),
        }
    }
}

/// What became of a message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    NewTicket(TicketId),
    Comment(TicketId),
    /// The same message was taken in before.
    Duplicate,
    Quarantined {
        id: i64,
        reason: String,
    },
    /// A staff mail answered without a ticket (`#help`).
    Answered,
}

/// What [`Ingestor::examine`] made of a message before any database work.
enum Examined {
    Parsed(Box<InboundMessage>),
    /// For quarantine: too large (`oversize` holds its size) or unparseable.
    Refused {
        reason: String,
        oversize: Option<u64>,
    },
}

/// What a batch read once for its simple messages (see
/// [`Ingestor::try_batch`]), kept up to date with what the batch writes.
struct Known {
    /// Dedupe keys already stored.
    seen: HashSet<String>,
    /// Acknowledgments per recipient within `desk.ack_window` (only the
    /// batch's senders are sure to be there).
    acks: HashMap<String, i64>,
    /// The desk's acknowledgments within the window.
    total: i64,
}

impl Known {
    /// Reads what the messages of `lookups` (dedupe key, answer address)
    /// need, acknowledgments counted since `since`.
    async fn read(
        c: &mut Conn,
        lookups: &[Option<(String, Option<String>)>],
        since: i64,
    ) -> Result<Known> {
        let keys: Vec<&str> = lookups.iter().flatten().map(|(k, _)| k.as_str()).collect();
        let mut rcpts: Vec<&str> = lookups
            .iter()
            .flatten()
            .filter_map(|(_, r)| r.as_deref())
            .collect();
        rcpts.sort_unstable();
        rcpts.dedup();
        let (seen, acks, total) = raw::preread_many(c, &keys, &rcpts, since).await?;
        Ok(Known { seen, acks, total })
    }
}

/// Takes mail in. Cheap to clone.
#[derive(Clone)]
pub struct Ingestor {
    cfg: Arc<Config>,
    db: Db,
    templates: Arc<Templates>,
    /// The keys of the staff tokens, read at start and again now and then
    /// (see [`Ingestor::prepare`]).
    keys: staff::KeyCache,
    /// The names a sender's display name must not borrow.
    known: Arc<display_name::Known>,
}

impl Ingestor {
    pub fn new(cfg: Arc<Config>, db: Db, templates: Arc<Templates>) -> Ingestor {
        Ingestor {
            known: Arc::new(cfg.known_names()),
            cfg,
            db,
            templates,
            keys: staff::KeyCache::default(),
        }
    }

    pub fn db(&self) -> &Db {
        &self.db
    }

    /// Takes in one message in its own transaction.
    ///
    /// Whatever goes wrong because of the message itself — the database
    /// refuses something in it, or the work panics — puts it in quarantine
    /// with the reason, rather than failing for ever at every retry or
    /// taking the daemon down. A transient failure (a locked or unreachable
    /// database) is returned, so the source keeps the message.
    pub async fn ingest(&self, item: &Incoming, now: i64) -> Result<Outcome> {
        let result = isolate::guarded(self.ingest_once(item, Cow::Borrowed(&item.raw), now)).await;
        let outcome = self.settle(item, result, &item.raw, false, now).await?;
        log_outcome(item, &outcome);
        Ok(outcome)
    }

    /// What becomes of a message whose work ended in `result` (a panic is
    /// `Err(text)`): its outcome; a transient error, returned so the source
    /// keeps the message; or, when the message itself made the work fail,
    /// quarantine of `keep` (the whole message, or only its headers when
    /// `headers_only`) with the reason, in a transaction of its own.
    async fn settle(
        &self,
        item: &Incoming,
        result: Result<Result<Outcome>, String>,
        keep: &[u8],
        headers_only: bool,
        now: i64,
    ) -> Result<Outcome> {
        let reason = match result {
            Ok(Ok(outcome)) => return Ok(outcome),
            Ok(Err(e)) if store::is_transient(&e) => return Err(e),
            Ok(Err(e)) => format!("could not be stored: {e:#}"),
            Err(panic) => format!("processing failed (panic): {panic}"),
        };
        let truncated = headers_only || item.size > keep.len() as u64;
        // PostgreSQL refuses NUL in text, and the reason may quote the mail.
        let reason = reason.replace('\0', "");
        let mut tx = self.db.begin().await?;
        let id = quarantine::insert(
            &mut tx,
            keep,
            item.size as i64,
            truncated,
            &item.source,
            &reason,
            now,
        )
        .await?;
        tx.commit().await.context("cannot commit")?;
        Ok(Outcome::Quarantined { id, reason })
    }

    /// One message in one transaction: `raw` is its bytes, borrowed from
    /// `item` or taken out of it (so the raw insert can consume them).
    async fn ingest_once(&self, item: &Incoming, raw: Cow<'_, [u8]>, now: i64) -> Result<Outcome> {
        let examined = self.examine(item, &raw);
        let mut tx = self.db.begin().await?;
        raw::lock_ack_counts(&mut tx, self.db.backend()).await?;
        let mut numbering = tickets::Numbering::default();
        let outcome = self
            .process(&mut tx, &mut numbering, item, raw, examined, now)
            .await?;
        tx.commit().await.context("cannot commit")?;
        Ok(outcome)
    }

    /// [`ingest`](Self::ingest) for a message the caller no longer needs:
    /// its bytes are moved into the database insert, so no copy of them
    /// stays behind while the database copies them (large messages).
    ///
    /// Should the work fail because of the message, the bytes are gone with
    /// it: quarantine keeps the message's headers (marked truncated) and the
    /// reason, and the whole message stays in the mailbox, flagged.
    pub async fn ingest_owned(&self, mut item: Incoming, now: i64) -> Result<Outcome> {
        let raw = std::mem::take(&mut item.raw);
        let head = header_block(&raw, OVERSIZE_KEEP).to_vec();
        let result = isolate::guarded(self.ingest_once(&item, Cow::Owned(raw), now)).await;
        let outcome = self.settle(&item, result, &head, true, now).await?;
        log_outcome(&item, &outcome);
        Ok(outcome)
    }

    /// Takes in several messages in one transaction: one durable commit for
    /// the lot, which is what makes bulk intake fast. If the batch fails, each
    /// message is retried in a transaction of its own, so one bad message
    /// costs only itself. The result has one entry per item, in order.
    ///
    /// A batch holds at most [`crate::inbound::BATCH_BYTES`] of mail.
    /// Messages larger than [`LARGE_MESSAGE`] are taken alone, in order
    /// between the batches of the smaller ones around them, and their bytes
    /// are consumed ([`ingest_owned`](Self::ingest_owned)): the items are
    /// taken by value so that a large message is held once, not twice.
    pub async fn ingest_batch(&self, items: Vec<Incoming>, now: i64) -> Vec<Result<Outcome>> {
        let mut out = Vec::with_capacity(items.len());
        let mut run: Vec<Incoming> = Vec::new();
        let mut run_bytes = 0;
        for item in items {
            let large = item.raw.len() > LARGE_MESSAGE;
            if large || run_bytes + item.raw.len() as u64 > crate::inbound::BATCH_BYTES {
                out.extend(self.ingest_run(&std::mem::take(&mut run), now).await);
                run_bytes = 0;
            }
            if large {
                out.push(match unavailable(&out) {
                    Some(u) => Err(u.into()),
                    None => self.ingest_owned(item, now).await,
                });
            } else {
                run_bytes += item.raw.len() as u64;
                run.push(item);
            }
        }
        out.extend(self.ingest_run(&run, now).await);
        out
    }

    /// One transaction for `items`, or one each if that fails.
    ///
    /// When the database itself is the trouble (locked by another writer
    /// past the busy timeout, unreachable), trying each message alone would
    /// wait that long again for every one of them: the rest are left for
    /// the next pass at once, as [`store::Unavailable`].
    async fn ingest_run(&self, items: &[Incoming], now: i64) -> Vec<Result<Outcome>> {
        if items.len() > 1 {
            // A panic in the batch is handled like any failure of it: each
            // message alone, so only the culprit is quarantined.
            let batch = isolate::guarded(self.try_batch(items, now))
                .await
                .unwrap_or_else(|panic| Err(anyhow::anyhow!("the batch panicked: {panic}")));
            match batch {
                Ok(outcomes) => {
                    for (item, o) in items.iter().zip(&outcomes) {
                        log_outcome(item, o);
                    }
                    return outcomes.into_iter().map(Ok).collect();
                }
                Err(e) if store::is_transient(&e) => {
                    let reason = format!("{e:#}");
                    warn!(error = %reason, messages = items.len(), "database unavailable; the batch is left for the next pass");
                    return items
                        .iter()
                        .map(|_| Err(store::Unavailable(reason.clone()).into()))
                        .collect();
                }
                Err(e) => {
                    warn!(error = %format!("{e:#}"), "batch failed; taking messages one by one")
                }
            }
        }
        let mut out: Vec<Result<Outcome>> = Vec::with_capacity(items.len());
        for item in items {
            let r = match unavailable(&out) {
                Some(u) => Err(u.into()),
                None => self.ingest(item, now).await,
            };
            out.push(r);
        }
        out
    }

    /// One transaction for all of `items`, pipelined.
    ///
    /// Every message is parsed first (no database needed), then one read
    /// finds which were taken in before and how many acknowledgments their
    /// senders got lately ([`Known`]). A message that needs nothing more
    /// from the database — a new ticket from someone who is not staff, with
    /// no subject tag and no references — is then decided and rendered
    /// while the database writes the message before it: SQLite writes on
    /// its own thread, so the two cores work at once. Any other message
    /// (a reply, staff mail, quarantine) waits for the writes before it,
    /// takes the ordinary path ([`Self::process`]) and its reads, and
    /// [`Known`] then takes in what it wrote.
    async fn try_batch(&self, items: &[Incoming], now: i64) -> Result<Vec<Outcome>> {
        let backend = self.db.backend();
        let since = now - self.cfg.desk.ack_window.as_secs() as i64;
        let examined: Vec<Examined> = items.iter().map(|i| self.examine(i, &i.raw)).collect();
        // What Known is read for: the stored messages' keys and whom they
        // would be answered at.
        let lookups: Vec<Option<(String, Option<String>)>> = examined
            .iter()
            .map(|e| match e {
                Examined::Parsed(m) => Some((
                    m.dedupe_key.clone(),
                    m.reply_address().map(|a| a.base().to_string()),
                )),
                Examined::Refused { .. } => None,
            })
            .collect();
        let mut tx = self.db.begin().await?;
        raw::lock_ack_counts(&mut tx, backend).await?;
        self.keys(&mut tx).await?;
        let mut numbering = tickets::Numbering::default();
        let mut known: Option<Known> = None;
        let mut pending = Script::new();
        let mut outcomes = Vec::with_capacity(items.len());
        for (i, (item, examined)) in items.iter().zip(examined).enumerate() {
            let msg = match examined {
                Examined::Parsed(m) if self.is_simple(&m) => m,
                other => {
                    pending.flush(&mut tx, backend).await?;
                    // Where the outbox stands, to see what this message
                    // adds to it (only worth it when Known is in use).
                    let mark = match known {
                        Some(_) => Some(outbox::last_id(&mut tx).await?),
                        None => None,
                    };
                    let outcome = self
                        .process(
                            &mut tx,
                            &mut numbering,
                            item,
                            Cow::Borrowed(&item.raw),
                            other,
                            now,
                        )
                        .await?;
                    outcomes.push(outcome);
                    // Known takes in what it wrote: its key, and the
                    // acknowledgments it queued (to its sender, or to the
                    // requester a staff member named).
                    if let (Some(k), Some(mark)) = (&mut known, mark) {
                        if let Some((key, _)) = &lookups[i] {
                            k.seen.insert(key.clone());
                        }
                        for rcpt in outbox::acks_after(&mut tx, mark).await? {
                            *k.acks.entry(rcpt).or_default() += 1;
                            k.total += 1;
                        }
                    }
                    continue;
                }
            };
            let k = match &mut known {
                Some(k) => k,
                None => {
                    // Reads see the batch's writes only once they are done.
                    pending.flush(&mut tx, backend).await?;
                    let k = Known::read(&mut tx, &lookups[i..], since).await?;
                    known.insert(k)
                }
            };
            if k.seen.contains(&msg.dedupe_key) {
                outcomes.push(Outcome::Duplicate);
                continue;
            }
            let answer_to = msg.reply_address().map(|a| a.base().to_string());
            let recent_acks = AckCount {
                sender: answer_to
                    .as_ref()
                    .and_then(|a| k.acks.get(a).copied())
                    .unwrap_or(0),
                total: k.total,
            };
            let id = numbering.next(&mut tx, backend).await?;
            // Hand the previous message's writes to the database, and build
            // this one's meanwhile.
            let run = std::mem::take(&mut pending).run(&mut tx, backend);
            tokio::pin!(run);
            let started = futures::poll!(&mut run);
            let built = self.open_simple(item, &msg, id, recent_acks, now);
            match started {
                Poll::Pending => run.await?,
                Poll::Ready(r) => r?,
            }
            let (script, acked) = built?;
            pending = script;
            k.seen.insert(msg.dedupe_key.clone());
            if let (true, Some(a)) = (acked, answer_to) {
                *k.acks.entry(a).or_default() += 1;
                k.total += 1;
            }
            outcomes.push(Outcome::NewTicket(id));
        }
        pending.flush(&mut tx, backend).await?;
        tx.commit().await.context("cannot commit")?;
        Ok(outcomes)
    }

    /// Size limit and parse: the part of the work that needs no database.
    fn examine(&self, item: &Incoming, raw: &[u8]) -> Examined {
        let limit = self.cfg.inbound.max_message_size();
        if item.size > limit || raw.len() as u64 > limit {
            let size = item.size.max(raw.len() as u64);
            return Examined::Refused {
                reason: format!("the message is {size} bytes; inbound.max_message_size is {limit}"),
                oversize: Some(size),
            };
        }
        // Time and memory are counted per message from here (see
        // crate::budget); past either, parsing stops and says which.
        let meter = Meter::start(self.cfg.message_budget);
        match parse::parse_metered(raw, self.cfg.desk.domain(), &meter) {
            Ok(m) => Examined::Parsed(Box::new(m)),
            Err(e) => Examined::Refused {
                reason: e.to_string(),
                oversize: None,
            },
        }
    }

    /// Whether the message surely opens a new ticket, with no read to tell:
    /// no staff sender (commands, authentication), no subject tag, no
    /// Message-ID it refers to (threading).
    fn is_simple(&self, msg: &InboundMessage) -> bool {
        self.claimed_staff(msg).is_none()
            && threading::tag_number(&msg.subject, &self.cfg.desk.tag).is_none()
            && msg.referenced_ids().next().is_none()
    }

    /// The writes of a simple message ([`Self::is_simple`]) that opens
    /// ticket `id`, and whether they acknowledge it. No database: pure work
    /// the batch overlaps with the previous message's writes.
    fn open_simple(
        &self,
        item: &Incoming,
        msg: &InboundMessage,
        id: TicketId,
        recent_acks: AckCount,
        now: i64,
    ) -> Result<(Script, bool)> {
        let mut w = Script::new();
        raw::push(
            &mut w,
            &msg.dedupe_key,
            &item.source,
            Cow::Borrowed(&item.raw),
            now,
        );
        let acked = self.open_ticket_as(
            id,
            &mut w,
            msg,
            &msg.dedupe_key,
            None,
            item,
            recent_acks,
            now,
        )?;
        Ok((w, acked))
    }

    /// Steps 1–6 above, inside the caller's transaction. `raw` is the
    /// message's bytes: borrowed from `item`, or owned (taken out of it) so
    /// the raw insert can consume them; `examined` is what
    /// [`Self::examine`] made of them.
    async fn process(
        &self,
        c: &mut Conn,
        numbering: &mut tickets::Numbering,
        item: &Incoming,
        raw: Cow<'_, [u8]>,
        examined: Examined,
        now: i64,
    ) -> Result<Outcome> {
        let msg = match examined {
            Examined::Parsed(m) => m,
            Examined::Refused {
                reason,
                oversize: Some(size),
            } => {
                let keep = header_block(&raw, OVERSIZE_KEEP);
                let id = quarantine::insert(c, keep, size as i64, true, &item.source, &reason, now)
                    .await?;
                return Ok(Outcome::Quarantined { id, reason });
            }
            Examined::Refused {
                reason,
                oversize: None,
            } => {
                let id = quarantine::insert(
                    c,
                    &raw,
                    raw.len() as i64,
                    false,
                    &item.source,
                    &reason,
                    now,
                )
                .await?;
                return Ok(Outcome::Quarantined { id, reason });
            }
        };
        let msg = &*msg;
        // Seen before? And how many acknowledgments did the sender get
        // lately? One read; everything else is written at the end.
        let answer_to = msg.reply_address().map(|a| a.base().to_string());
        let since = now - self.cfg.desk.ack_window.as_secs() as i64;
        let (seen, recent_acks) =
            raw::preread(c, &msg.dedupe_key, answer_to.as_deref(), since).await?;
        if seen {
            return Ok(Outcome::Duplicate);
        }
        // Staff notices carry a token made with these keys.
        self.keys(c).await?;
        // The writes this message causes go out together at the end: one
        // round trip to SQLite instead of a dozen.
        let mut w = Script::new();
        let large = raw.len() > LARGE_MESSAGE;
        raw::push(&mut w, &msg.dedupe_key, &item.source, raw, now);
        if large {
            // Written on its own: the database drivers copy what they bind
            // and keep the copies until a script ends, so the raw bytes and
            // the decoded text are never bound, and copied, at once.
            w.flush(c, self.db.backend()).await?;
        }
        let raw_id = msg.dedupe_key.as_str();
        // Staff replies and commands: a person's mail claiming a staff From
        // (see `staff.rs`).
        let staff = self.claimed_staff(msg);
        if let Some(staff) = staff.as_ref().filter(|_| msg.auto.is_none()) {
            let outcome = self
                .staff_mail(
                    c,
                    numbering,
                    &mut w,
                    msg,
                    raw_id,
                    staff,
                    item,
                    recent_acks,
                    now,
                )
                .await?;
            w.run(c, self.db.backend()).await?;
            return Ok(outcome);
        }
        let found = self.find_ticket(c, msg).await?;
        let mut decision = threading::decide(found, now, self.cfg.desk.reopen_window);
        // Only participants move a ticket. A robot's mail claiming a staff
        // From changes nothing and is kept internal below.
        if let Decision::Append { ticket, .. } = decision
            && staff.is_none()
            && self.participant(c, msg, ticket).await?.is_none()
        {
            let mode = self.cfg.desk.non_participant;
            decision = threading::for_non_participant(decision, mode, msg.auto.is_some());
        }
        let outcome = match decision {
            Decision::NewTicket => {
                self.open_ticket(
                    c,
                    numbering,
                    &mut w,
                    msg,
                    raw_id,
                    None,
                    item,
                    recent_acks,
                    now,
                )
                .await?
            }
            Decision::NewLinked { previous } | Decision::NewFromOutsider { previous } => {
                let outcome = self
                    .open_ticket(
                        c,
                        numbering,
                        &mut w,
                        msg,
                        raw_id,
                        Some(previous),
                        item,
                        recent_acks,
                        now,
                    )
                    .await?;
                if let (Decision::NewFromOutsider { .. }, Outcome::NewTicket(id)) =
                    (decision, &outcome)
                {
                    self.outsider_diverted(&mut w, msg, previous, *id, now);
                }
                outcome
            }
            Decision::Append { ticket, reopen } => {
                let outcome = self
                    .add_comment(c, &mut w, msg, raw_id, ticket, reopen, now)
                    .await?;
                // A robot's mail from a staff address is not their word.
                if let Some(staff) = &staff {
                    self.staff_robot_note(c, &mut w, msg, item, staff, ticket, now)
                        .await?;
                }
                outcome
            }
            Decision::Note { ticket } => {
                self.outsider_note(c, &mut w, msg, raw_id, ticket, now)
                    .await?
            }
        };
        w.run(c, self.db.backend()).await?;
        Ok(outcome)
    }

    /// The ticket the message points at: subject tag first, then references.
    async fn find_ticket(&self, c: &mut Conn, msg: &InboundMessage) -> Result<Option<Found>> {
        let mut tagged = None;
        if let Some(n) = threading::tag_number(&msg.subject, &self.cfg.desk.tag) {
            tagged = tickets::get(c, n).await?;
        }
        let mut id = tagged.as_ref().map(|t| t.id);
        if id.is_none() {
            let ids: Vec<&str> = msg.referenced_ids().collect();
            id = messages::ticket_of_first(c, &ids).await?;
        }
        // Follow merges to the surviving ticket (bounded, in case of a cycle).
        let mut hops = 0;
        while let Some(t) = id {
            let ticket = match tagged.take() {
                Some(known) if known.id == t => known,
                _ => match tickets::get(c, t).await? {
                    Some(ticket) => ticket,
                    None => return Ok(None),
                },
            };
            match ticket.merged_into {
                Some(next) if hops < 8 => {
                    id = Some(next);
                    hops += 1;
                }
                _ => {
                    return Ok(Some(Found {
                        id: ticket.id,
                        status: ticket.status,
                        closed_at: ticket.closed_at,
                        merged_into: ticket.merged_into,
                    }));
                }
            }
        }
        Ok(None)
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

    /// Opens a ticket for `msg`; `recent_acks` is how many acknowledgments
    /// its answer address got lately (the desk's total is read here: only
    /// mail that opens a ticket needs it).
    #[allow(clippy::too_many_arguments)]
    async fn open_ticket(
        &self,
        c: &mut Conn,
        numbering: &mut tickets::Numbering,
        w: &mut Script,
        msg: &InboundMessage,
        raw_id: &str,
        previous: Option<TicketId>,
        item: &Incoming,
        recent_acks: i64,
        now: i64,
    ) -> Result<Outcome> {
        let id = numbering.next(c, self.db.backend()).await?;
        let since = now - self.cfg.desk.ack_window.as_secs() as i64;
        let acks = AckCount {
            sender: recent_acks,
            total: raw::acks_total(c, since).await?,
        };
        self.open_ticket_as(id, w, msg, raw_id, previous, item, acks, now)?;
        Ok(Outcome::NewTicket(id))
    }

    /// [`Self::open_ticket`] with its number `id` given: the writes only.
    /// True when they acknowledge the message.
    #[allow(clippy::too_many_arguments)]
    fn open_ticket_as(
        &self,
        id: TicketId,
        w: &mut Script,
        msg: &InboundMessage,
        raw_id: &str,
        previous: Option<TicketId>,
        item: &Incoming,
        recent_acks: AckCount,
        now: i64,
    ) -> Result<bool> {
        let from = msg.from.as_ref();
        let requester = from
            .map(|m| m.address.as_str().to_string())
            .or_else(|| msg.sender_text.clone())
            .unwrap_or_else(|| "unknown".into());
        isolate::fault_point(&msg.subject);
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
                now,
            },
        );
        let author = self.author_of(msg);
        let mid = self.record_inbound(
            w,
            msg,
            raw_id,
            id,
            "request",
            &msg.body_text,
            None,
            &author,
            now,
        )?;
        events::push(
            w,
            id,
            "created",
            &author,
            now,
            &mid,
            &json!({
                "source": item.source,
                "message_id": msg.message_id,
                "auto": msg.auto.as_ref().map(|a| json!({"kind": a.kind.as_str(), "reason": a.reason})),
                "linked_to": previous,
            }),
        );
        if let Some(prev) = previous {
            events::push(
                w,
                prev,
                "followed_up",
                "system",
                now,
                &MsgRef::None,
                &json!({ "new_ticket": id }),
            );
        }
        events::push(
            w,
            id,
            "classified",
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
                "ignored",
                "system",
                now,
                &mid,
                &json!({
                    "rules": class.matched.iter().map(|m| &m.rule).collect::<Vec<_>>(),
                }),
            );
            return Ok(false);
        }
        let targets = sla_store::push_start_clocks(w, &self.cfg, id, r.priority, &r.category, now);
        let mut acked = false;
        match self.no_answer_reason(msg) {
            Some(reason) => {
                events::push(
                    w,
                    id,
                    "ack_suppressed",
                    "system",
                    now,
                    &mid,
                    &json!({ "reason": reason }),
                );
            }
            None => {
                let mut ctx = self.context(msg, id, &subject, &class, now)?;
                ctx["sla"] = sla_store::ack_context(&self.cfg, &self.templates, targets.as_ref())?;
                acked = self.queue_ack(w, msg, recent_acks, id, &subject, &ctx, now)?;
                self.queue_notices(w, msg, id, &subject, &class, &ctx, now)?;
            }
        }
        Ok(acked)
    }

    #[allow(clippy::too_many_arguments)]
    async fn add_comment(
        &self,
        c: &mut Conn,
        w: &mut Script,
        msg: &InboundMessage,
        raw_id: &str,
        ticket_id: TicketId,
        reopen: bool,
        now: i64,
    ) -> Result<Outcome> {
        let (body, quoted) = reply_parts(msg);
        let kind = if msg.auto.is_some() { "auto" } else { "reply" };
        let author = self.author_of(msg);
        let mid = self.record_inbound(
            w,
            msg,
            raw_id,
            ticket_id,
            kind,
            &body,
            quoted.as_deref(),
            &author,
            now,
        )?;
        events::push(
            w,
            ticket_id,
            "comment_added",
            &author,
            now,
            &mid,
            &json!({
                "message_id": msg.message_id,
                "auto": msg.auto.as_ref().map(|a| json!({"kind": a.kind.as_str(), "reason": a.reason})),
            }),
        );
        tickets::push_touch(w, ticket_id, now);
        let ticket = tickets::get(c, ticket_id)
            .await?
            .context("ticket vanished during ingest")?;
        // Robots (an out-of-office, a bounce) change nothing on the ticket.
        if msg.auto.is_none() {
            let from_requester = msg
                .from
                .as_ref()
                .and_then(|m| {
                    EmailAddress::parse(&ticket.requester).map(|r| r.base() == m.address.base())
                })
                .unwrap_or(false);
            let new_status = if reopen {
                Some(("reopened", Status::InProgress))
            } else if ticket.status == Status::Pending && from_requester {
                // The requester answered what the desk was waiting for.
                Some(("status_changed", Status::InProgress))
            } else {
                None
            };
            if let Some((kind, status)) = new_status {
                tickets::push_status(w, ticket_id, status, now);
                sla_store::on_status_change(c, ticket_id, ticket.status, status, now, &self.cfg)
                    .await?;
                events::push(
                    w,
                    ticket_id,
                    kind,
                    &author,
                    now,
                    &mid,
                    &json!({ "from": ticket.status.as_str(), "to": status.as_str() }),
                );
            }
        }
        Ok(Outcome::Comment(ticket_id))
    }

    /// The sender's address, as its author. Never a staff handle: a From
    /// proves nothing, and only a staff mail that proved itself is recorded
    /// under the handle (`staff.rs`).
    fn author_of(&self, msg: &InboundMessage) -> String {
        match &msg.from {
            Some(m) => m.address.as_str().to_string(),
            None => msg.sender_text.clone().unwrap_or_else(|| "unknown".into()),
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn record_inbound(
        &self,
        w: &mut Script,
        msg: &InboundMessage,
        raw_id: &str,
        ticket_id: TicketId,
        kind: &str,
        body: &str,
        quoted: Option<&str>,
        author: &str,
        now: i64,
    ) -> Result<MsgRef> {
        let to: Vec<String> = msg.to.iter().map(|m| m.display()).collect();
        let cc: Vec<String> = msg.cc.iter().map(|m| m.display()).collect();
        let refs = msg.references.join(" ");
        messages::push(
            w,
            &messages::NewMessage {
                ticket_id,
                raw_id: None,
                outbox_id: None,
                direction: Direction::In,
                visibility: Visibility::Public,
                kind,
                message_id: &msg.message_id,
                in_reply_to: msg.in_reply_to.first().map(String::as_str),
                refs: Some(refs.as_str()).filter(|r| !r.is_empty()),
                from_addr: msg
                    .from
                    .as_ref()
                    .map(|m| m.address.as_str())
                    .or(msg.sender_text.as_deref())
                    .unwrap_or(""),
                from_name: msg.from.as_ref().and_then(|m| m.name.as_deref()),
                to_addrs: &to,
                cc_addrs: &cc,
                subject: &msg.subject,
                body_text: body,
                body_html: msg.body_html.as_deref(),
                quoted_text: quoted,
                author,
                auto_kind: msg.auto.as_ref().map(|a| a.kind.as_str()),
                created_at: now,
            },
            Some(raw_id),
            None,
            &msg.attachments,
        )?;
        Ok(MsgRef::Latest(msg.message_id.clone()))
    }

    /// The template context shared by the acknowledgment and the notice.
    fn context(
        &self,
        msg: &InboundMessage,
        id: TicketId,
        subject: &str,
        class: &rules::Outcome,
        now: i64,
    ) -> Result<serde_json::Value> {
        let desk = &self.cfg.desk;
        let created = desk
            .timezone
            .timestamp_opt(now, 0)
            .single()
            .map(|t| t.format("%d %b %Y %H:%M %Z").to_string())
            .unwrap_or_default();
        let requester_display = msg
            .from
            .as_ref()
            .map(|m| m.name.clone().unwrap_or_else(|| m.address.to_string()))
            .unwrap_or_default();
        // Mail to people carries a bounded part of what a stranger wrote:
        // names and subjects on one line, the text up to EXCERPT_BYTES.
        let one_line = |s: &str| compose::clean::header_text(s, compose::clean::MAX_SUBJECT_CHARS);
        let (body, omitted) = notify::excerpt(msg.body_text.trim(), notify::EXCERPT_BYTES);
        // What staff see of the sender: the name beside the real address,
        // flagged when it pretends to be someone else.
        let mut requester = self.templates.sender(
            desk.language,
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
        Ok(json!({
            "classification": self.classification_context(class),
            "desk": { "name": desk.name, "address": desk.address.as_str() },
            "ticket": { "id": id, "subject": one_line(subject), "created_at": created },
            "requester": requester,
            "reference": format!("[{} #{id}]", desk.tag),
            "message": { "body_text": body, "omitted": omitted, "subject": one_line(&msg.subject) },
            "attachments": msg.attachments.iter().map(|a| json!({
                "filename": a.filename,
                "content_type": a.content_type,
                "size": a.size,
                "size_human": human_size(a.size),
            })).collect::<Vec<_>>(),
        }))
    }

    /// The classification as templates see it, in the desk's language.
    fn classification_context(&self, class: &rules::Outcome) -> serde_json::Value {
        let lang = self.cfg.desk.language;
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
        let type_name = TicketType::parse(r.ticket_type)
            .map(|t| t.name(lang))
            .unwrap_or(r.ticket_type);
        json!({
            "type": r.ticket_type,
            "type_name": type_name,
            "category": r.category,
            "category_name": category_name,
            "urgency": r.urgency,
            "impact": r.impact,
            "priority": r.priority,
            "priority_name": cat.priority.level(r.priority).map(|l| l.name.get(lang)),
            "priority_text": cat.priority.describe(r.priority, lang),
            "group": r.group,
            "group_name": group_name,
            "assignee": r.assignee,
            "major": r.major,
            "tags": r.tags,
            "rules": class.matched.iter().map(|m| &m.rule).collect::<Vec<_>>(),
        })
    }

    #[allow(clippy::too_many_arguments)]
    fn queue_ack(
        &self,
        w: &mut Script,
        msg: &InboundMessage,
        recent: AckCount,
        id: TicketId,
        subject: &str,
        ctx: &serde_json::Value,
        now: i64,
    ) -> Result<bool> {
        let desk = &self.cfg.desk;
        let Some(to) = msg.reply_address().cloned() else {
            return Ok(false);
        };
        if let Some(reason) = ack_policy::refusal(desk, &to, recent) {
            events::push(
                w,
                id,
                "ack_suppressed",
                "system",
                now,
                &MsgRef::None,
                &json!({ "reason": reason }),
            );
            return Ok(false);
        }
        let rendered = self.templates.render("ack", desk.language, ctx)?;
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
        self.enqueue(w, &out, "ack", Visibility::Public, to.base(), now)?;
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
    #[allow(clippy::too_many_arguments)]
    fn queue_notices(
        &self,
        w: &mut Script,
        msg: &InboundMessage,
        id: TicketId,
        subject: &str,
        class: &rules::Outcome,
        ctx: &serde_json::Value,
        now: i64,
    ) -> Result<()> {
        let cfg = &self.cfg;
        let desk = &cfg.desk;
        let r = &class.result;
        let alert = if class.is_security() {
            Some("security_alert")
        } else if r.major {
            Some("major_incident")
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
        let sender = msg.from.as_ref().map(|m| m.address.base().to_string());
        let mut done: Vec<String> = sender.into_iter().collect();
        if let Some(kind) = alert {
            let rendered = self.templates.render(kind, desk.language, ctx)?;
            let prefix = match (kind, desk.language) {
                ("security_alert", Language::Id) => "Keamanan informasi",
                ("security_alert", Language::En) => "Information security",
                (_, Language::Id) => "Insiden mayor",
                (_, Language::En) => "Major incident",
            };
            let alert_subject = format!("{prefix}: {subject}");
            for (name, addr) in alerted {
                if done.iter().any(|d| d == addr.base()) {
                    continue;
                }
                done.push(addr.base().to_string());
                self.queue_internal(w, kind, id, &alert_subject, name, addr, &rendered, now)?;
            }
        }
        let rendered = self.templates.render("staff_new", desk.language, ctx)?;
        for (name, addr) in to_notice {
            if done.iter().any(|d| d == addr.base()) {
                continue;
            }
            done.push(addr.base().to_string());
            self.queue_internal(w, "staff_new", id, subject, name, addr, &rendered, now)?;
        }
        Ok(())
    }

    /// One internal mail about ticket `id` to one person.
    #[allow(clippy::too_many_arguments)]
    fn queue_internal(
        &self,
        w: &mut Script,
        kind: &str,
        id: TicketId,
        subject: &str,
        name: Option<String>,
        to: EmailAddress,
        rendered: &crate::notify::Rendered,
        now: i64,
    ) -> Result<()> {
        let desk = &self.cfg.desk;
        let out = Outgoing {
            from_name: desk.name.clone(),
            from: desk.address.clone(),
            // Staff get their tokened address: a reply proves itself.
            reply_to: self.reply_to_for(&to, Some(id), now),
            to: vec![(name, to.clone())],
            subject: threading::tagged_subject(&desk.tag, id, subject),
            text: rendered.text.clone(),
            html: Some(rendered.html.clone()),
            message_id: compose::new_message_id(
                Some(id),
                match kind {
                    "staff_new" => "notice",
                    "escalation" => "escalation",
                    "non_participant" => "outsider",
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
        self.enqueue(w, &out, kind, Visibility::Internal, to.base(), now)
    }

    /// The bytes of `out`, or `None` when it cannot be built: it is then
    /// recorded as failed (an outbox row with the reason, and a
    /// `delivery_failed` event on its ticket), and the caller goes on with
    /// the rest of its work.
    pub(crate) fn build_or_record(
        &self,
        w: &mut Script,
        out: &Outgoing,
        kind: &str,
        rcpts: &[String],
        primary: &str,
        now: i64,
    ) -> Result<Option<Vec<u8>>> {
        let reason = match compose::build(out) {
            Ok(raw) => return Ok(Some(raw)),
            Err(e) => format!("cannot build the message: {e:#}"),
        };
        warn!(kind, ticket = ?out.ticket_id, error = %reason, "outgoing mail recorded as failed");
        outbox::push_failed(
            w,
            &outbox::NewOutgoing {
                ticket_id: out.ticket_id,
                kind,
                message_id: &out.message_id,
                env_from: out.from.as_str(),
                rcpts,
                primary_rcpt: primary,
                subject: &compose::clean::subject(&out.subject),
                raw: &[],
                due_at: now,
                now,
            },
            &reason,
        )?;
        if let Some(t) = out.ticket_id {
            events::push(
                w,
                t,
                "delivery_failed",
                "system",
                now,
                &MsgRef::None,
                &json!({ "mail": kind, "to": rcpts, "error": reason, "attempts": 0,
                         "message_id": out.message_id }),
            );
        }
        Ok(None)
    }

    /// Builds the message, queues it and records it on the ticket.
    fn enqueue(
        &self,
        w: &mut Script,
        out: &Outgoing,
        kind: &str,
        visibility: Visibility,
        primary: &str,
        now: i64,
    ) -> Result<()> {
        let rcpts: Vec<String> = out.to.iter().map(|(_, a)| a.as_str().to_string()).collect();
        let ticket = out.ticket_id.context("outgoing mail without a ticket")?;
        let Some(raw) = self.build_or_record(w, out, kind, &rcpts, primary, now)? else {
            return Ok(());
        };
        outbox::push(
            w,
            &outbox::NewOutgoing {
                ticket_id: Some(ticket),
                kind,
                message_id: &out.message_id,
                env_from: out.from.as_str(),
                rcpts: &rcpts,
                primary_rcpt: primary,
                subject: &compose::clean::subject(&out.subject),
                raw: &raw,
                due_at: now,
                now,
            },
        )?;
        let to: Vec<String> = out
            .to
            .iter()
            .map(|(n, a)| match n {
                Some(n) => format!("{n} <{a}>"),
                None => a.to_string(),
            })
            .collect();
        let refs = out.references.join(" ");
        messages::push(
            w,
            &messages::NewMessage {
                ticket_id: ticket,
                raw_id: None,
                outbox_id: None,
                direction: Direction::Out,
                visibility,
                kind,
                message_id: &out.message_id,
                in_reply_to: out.in_reply_to.as_deref(),
                refs: Some(refs.as_str()).filter(|r| !r.is_empty()),
                from_addr: out.from.as_str(),
                from_name: Some(&out.from_name),
                to_addrs: &to,
                cc_addrs: &[],
                subject: &out.subject,
                body_text: &out.text,
                // The HTML part is in the outbox row's raw message already.
                body_html: None,
                quoted_text: None,
                author: "system",
                auto_kind: out.auto_submitted,
                created_at: now,
            },
            None,
            Some(&out.message_id),
            &[],
        )?;
        let mid = MsgRef::Latest(out.message_id.clone());
        events::push(
            w,
            ticket,
            &format!("{kind}_queued"),
            "system",
            now,
            &mid,
            &json!({ "to": rcpts, "message_id": out.message_id }),
        );
        Ok(())
    }
}

/// The new text of a reply, and what was set aside as quoted (none when
/// nothing is left without it).
fn reply_parts(msg: &InboundMessage) -> (String, Option<String>) {
    // `sent` (the ticket's outgoing mail) is wired after the restructure.
    let trimmed = reply_trim::read(&reply_trim::Reply {
        text: &msg.body_text,
        html: msg.body_html.as_deref(),
        subject: &msg.subject,
        sent: &[],
    });
    if trimmed.reply.is_empty() {
        (msg.body_text.trim().to_string(), None)
    } else {
        (
            trimmed.reply,
            Some(trimmed.elided).filter(|q| !q.is_empty()),
        )
    }
}

/// [`store::Unavailable`] when the last of `results` failed for a reason
/// that is the database's, not the message's: what the rest of a batch is
/// then left with.
fn unavailable(results: &[Result<Outcome>]) -> Option<store::Unavailable> {
    match results.last() {
        Some(Err(e)) if store::is_transient(e) => Some(store::Unavailable(format!("{e:#}"))),
        _ => None,
    }
}

fn log_outcome(item: &Incoming, o: &Outcome) {
    match o {
        Outcome::NewTicket(id) => info!(source = %item.source, ticket = id, "new ticket"),
        Outcome::Comment(id) => info!(source = %item.source, ticket = id, "comment added"),
        Outcome::Duplicate => info!(source = %item.source, "duplicate ignored"),
        Outcome::Answered => info!(source = %item.source, "staff mail answered"),
        Outcome::Quarantined { id, reason } => {
            warn!(source = %item.source, quarantine = id, %reason, "quarantined")
        }
    }
}

/// The header block of a raw message (up to the first empty line), at most
/// `max` bytes.
fn header_block(raw: &[u8], max: usize) -> &[u8] {
    // Only the first `max` bytes (and the 3 an end marker may reach past
    // them) are searched: the rest would be cut anyway.
    let scan = &raw[..raw.len().min(max + 3)];
    let end = scan
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .map(|p| p + 4)
        .or_else(|| scan.windows(2).position(|w| w == b"\n\n").map(|p| p + 2))
        .unwrap_or(raw.len());
    &raw[..end.min(max)]
}

/// Whether an ingest error is worth retrying later (a locked database, a
/// lost connection) rather than a fault in the message.
pub fn is_transient(e: &anyhow::Error) -> bool {
    store::is_transient(e)
}
