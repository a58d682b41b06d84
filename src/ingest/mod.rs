//! The use case: one raw message in → a ticket or a comment, its events and
//! the mail it causes, all in one database transaction.
//!
//! Every source (Maildir, IMAP, the MTA pipe, `quarantine retry`) hands its
//! messages to [`Ingestor::ingest_batch`] (one message: [`Ingestor::ingest`],
//! the same path). Each message goes through the same steps
//! (`process.rs`):
//! 1. too large or unparseable → quarantine (kept raw, never dropped);
//! 2. already seen (same dedupe key) → nothing, so re-delivery is harmless;
//! 3. routed (`examine.rs`, [`Route`]): a claimed staff sender goes to
//!    `staff/`; a message with a subject tag or references is threaded
//!    and decided; a reply from someone who takes no part in the ticket
//!    changes nothing but a note ([`crate::participants`], `outsider.rs`);
//! 4. classify a new ticket ([`crate::rules`]): type, category, priority,
//!    group, major incident, who else to tell, or ignore it as spam;
//! 5. write ticket / message / attachments / events (`open.rs`,
//!    `comment.rs`), in order, through one [`Unit`] of writes;
//! 6. queue the acknowledgment, the new-ticket notice (to the service desk
//!    and the ticket's group) and, for information security and major
//!    incidents, the alert to management ([`crate::outgoing`]); nothing
//!    when a machine sent the mail or a rule ignores it, and no
//!    acknowledgment past the limits of [`crate::ack_policy`].
//!
//! Whatever the message itself makes fail (the database refuses something
//! in it, the work panics) puts it in quarantine with the reason, in a
//! transaction of its own (`settle`); a transient failure (a locked or
//! unreachable database) is returned so the source keeps the message.
//!
//! Several messages are taken in one transaction (`batch.rs`): the same
//! steps, with the reads of step 2 done once for the batch and the writes
//! of a message that surely opens a ticket overlapped with the building of
//! the next. If the batch fails, each message takes the one-message path.
//!
//! Nothing is sent here: the outbox worker sends after the commit. The
//! caller tells the mail source the message is done only after the commit,
//! so a crash anywhere means the message is fetched again and step 2 makes
//! that harmless.
//!
//! [`Unit`]: crate::store::unit::Unit

use std::borrow::Cow;
use std::sync::Arc;

use anyhow::{Context, Result};
use tracing::{info, warn};

use crate::config::Config;
use crate::display_name;
use crate::domain::TicketId;
use crate::isolate;
use crate::mail::templates::Templates;
use crate::store::{self, Db, quarantine, raw, tickets};

mod arrival;
mod batch;
mod comment;
mod dry;
mod examine;
mod language;
mod notice_context;
pub(crate) mod open;
mod outsider;
mod process;
mod staff;
mod writer;

pub(crate) use arrival::Arrival;
pub(crate) use comment::{reply_parts, sent_texts};
pub use dry::{DryOutcome, DryRun, TicketView};
pub use examine::Route;
use examine::{Examined, header_block};

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

/// A batch read and examined ahead of its transaction
/// ([`Ingestor::examine_batch`]); [`Ingestor::ingest_examined`] writes it.
pub struct ExaminedBatch {
    items: Vec<Incoming>,
    /// Each item examined, in order, when the items make one run of the
    /// batch path; `Err`: parsing panicked (the text).
    examined: Option<Result<Vec<Examined>, String>>,
}

impl ExaminedBatch {
    /// How many messages the batch holds.
    pub fn len(&self) -> usize {
        self.items.len()
    }

    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
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

    /// The configuration this ingestor works with.
    pub fn config(&self) -> &Arc<Config> {
        &self.cfg
    }

    /// Takes in one message: [`Self::ingest_batch`] for a batch of one.
    pub async fn ingest(&self, item: &Incoming, now: i64) -> Result<Outcome> {
        let started = std::time::Instant::now();
        let out = [self.one(item, Cow::Borrowed(&item.raw), now).await];
        let source = crate::monitor::source_label(&item.source);
        crate::monitor::get().ingested(source, &out, started.elapsed());
        let [out] = out;
        out
    }

    /// Takes in several messages, the entry point of every source: one
    /// transaction and one durable commit for the lot where it can be,
    /// which is what makes bulk intake fast. If the batch fails, each
    /// message takes the one-message path, so one bad message costs only
    /// itself. The result has one entry per item, in order.
    ///
    /// A batch holds at most [`crate::inbound::BATCH_BYTES`] of mail.
    /// Messages larger than [`LARGE_MESSAGE`] are taken alone, in order
    /// between the batches of the smaller ones around them, and their bytes
    /// are moved into the insert: the items are taken by value so that a
    /// large message is held once, not twice.
    pub async fn ingest_batch(&self, items: Vec<Incoming>, now: i64) -> Vec<Result<Outcome>> {
        let started = std::time::Instant::now();
        let source = items
            .first()
            .map_or("other", |i| crate::monitor::source_label(&i.source));
        let out = self.take_in(items, now).await;
        crate::monitor::get().ingested(source, &out, started.elapsed());
        out
    }

    /// Reads ahead: examines `items` (parses them, no database) so that
    /// [`Self::ingest_examined`] can write them later, while this runs on
    /// another thread as the batch before is written and committed. Only
    /// items the batch path takes as one run are examined here (more than
    /// one, none larger than [`LARGE_MESSAGE`], together at most
    /// [`crate::inbound::BATCH_BYTES`]); any others are examined as
    /// [`Self::ingest_batch`] would. A panic while parsing is kept, and
    /// the items are then taken one by one, so only the culprit is
    /// quarantined.
    pub fn examine_batch(&self, items: Vec<Incoming>) -> ExaminedBatch {
        let bytes: u64 = items.iter().map(|i| i.raw.len() as u64).sum();
        let one_run = items.len() > 1
            && bytes <= crate::inbound::BATCH_BYTES
            && items.iter().all(|i| i.raw.len() <= LARGE_MESSAGE);
        let examined = one_run.then(|| isolate::guarded_sync(|| self.examine_all(&items)));
        ExaminedBatch { items, examined }
    }

    /// [`Self::ingest_batch`] for a batch [`Self::examine_batch`] examined.
    pub async fn ingest_examined(&self, batch: ExaminedBatch, now: i64) -> Vec<Result<Outcome>> {
        let started = std::time::Instant::now();
        let ExaminedBatch { items, examined } = batch;
        let source = items
            .first()
            .map_or("other", |i| crate::monitor::source_label(&i.source));
        let out = match examined {
            Some(examined) => self.ingest_run(&items, Some(examined), now).await,
            None => self.take_in(items, now).await,
        };
        crate::monitor::get().ingested(source, &out, started.elapsed());
        out
    }

    /// [`Self::ingest_batch`] without the counting.
    async fn take_in(&self, items: Vec<Incoming>, now: i64) -> Vec<Result<Outcome>> {
        let mut out = Vec::with_capacity(items.len());
        let mut run: Vec<Incoming> = Vec::new();
        let mut run_bytes = 0;
        for mut item in items {
            let large = item.raw.len() > LARGE_MESSAGE;
            if large || run_bytes + item.raw.len() as u64 > crate::inbound::BATCH_BYTES {
                out.extend(self.ingest_run(&std::mem::take(&mut run), None, now).await);
                run_bytes = 0;
            }
            if large {
                let r = match unavailable(&out) {
                    Some(u) => Err(u.into()),
                    None => {
                        let raw = std::mem::take(&mut item.raw);
                        self.one(&item, Cow::Owned(raw), now).await
                    }
                };
                out.push(r);
            } else {
                run_bytes += item.raw.len() as u64;
                run.push(item);
            }
        }
        out.extend(self.ingest_run(&run, None, now).await);
        out
    }

    /// One transaction for `items`, or one each if that fails.
    ///
    /// When the database itself is the trouble (locked by another writer
    /// past the busy timeout, unreachable), trying each message alone would
    /// wait that long again for every one of them: the rest are left for
    /// the next pass at once, as [`store::Unavailable`].
    ///
    /// `examined`: the items examined already ([`Self::examine_batch`]:
    /// `Err` holds the text of a panic while parsing), or `None` to examine
    /// them here.
    async fn ingest_run(
        &self,
        items: &[Incoming],
        examined: Option<Result<Vec<Examined>, String>>,
        now: i64,
    ) -> Vec<Result<Outcome>> {
        if items.len() > 1 {
            // A panic in the batch is handled like any failure of it: each
            // message alone, so only the culprit is quarantined.
            let batch = match examined {
                Some(Ok(examined)) => isolate::guarded(self.try_batch(items, examined, now)).await,
                Some(Err(panic)) => Err(panic),
                None => {
                    isolate::guarded(async {
                        let examined = self.examine_all(items);
                        self.try_batch(items, examined, now).await
                    })
                    .await
                }
            }
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
                None => self.one(item, Cow::Borrowed(&item.raw), now).await,
            };
            out.push(r);
        }
        out
    }

    /// One message in its own transaction, with the quarantine fallback:
    /// the one-message path of every source. `raw` is the message's bytes,
    /// borrowed from `item` or taken out of it (a large message: the raw
    /// insert then consumes them).
    ///
    /// Whatever goes wrong because of the message itself — the database
    /// refuses something in it, or the work panics — puts it in quarantine
    /// with the reason, rather than failing for ever at every retry or
    /// taking the daemon down. A message whose bytes were moved into the
    /// failed work is quarantined with its headers (marked truncated); the
    /// whole message stays in the mailbox, flagged. A transient failure (a
    /// locked or unreachable database) is returned, so the source keeps the
    /// message.
    async fn one(&self, item: &Incoming, raw: Cow<'_, [u8]>, now: i64) -> Result<Outcome> {
        let head = match &raw {
            Cow::Owned(bytes) => Some(header_block(bytes, OVERSIZE_KEEP).to_vec()),
            Cow::Borrowed(_) => None,
        };
        let result = isolate::guarded(self.ingest_once(item, raw, now)).await;
        let outcome = match &head {
            Some(head) => self.settle(item, result, head, true, now).await?,
            None => self.settle(item, result, &item.raw, false, now).await?,
        };
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

    /// One message in one transaction.
    async fn ingest_once(&self, item: &Incoming, raw: Cow<'_, [u8]>, now: i64) -> Result<Outcome> {
        let examined = self.examine(item, &raw);
        let mut tx = self.db.begin().await?;
        raw::lock_ack_counts(&mut tx, self.db.backend()).await?;
        let mut numbering = tickets::Numbering::default();
        let mut prepared = store::script::Prepared::default();
        let (outcome, _, rest) = self
            .process(
                &mut tx,
                &mut prepared,
                &mut numbering,
                item,
                raw,
                examined,
                None,
                now,
            )
            .await?;
        rest.run_with(&mut tx, self.db.backend(), &mut prepared)
            .await?;
        tx.commit().await.context("cannot commit")?;
        Ok(outcome)
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

/// Whether an ingest error is worth retrying later (a locked database, a
/// lost connection) rather than a fault in the message.
pub fn is_transient(e: &anyhow::Error) -> bool {
    store::is_transient(e)
}
