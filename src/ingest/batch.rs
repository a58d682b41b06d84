//! Several messages in one transaction: the steps of `process.rs`, made
//! faster, never different.
//!
//! Every message is examined first (no database needed), then one read
//! finds which were taken in before and how many acknowledgments their
//! senders got lately ([`Known`]). A message whose route is
//! [`Route::New`] needs nothing more from the database: its writes are
//! built (the same [`Ingestor::open_ticket_as`] the one-message path runs)
//! while the database writes the message before it — SQLite writes on its
//! own thread, so the two cores work at once. On PostgreSQL the writes of
//! up to [`MERGED`] such messages go together, while the next ones are
//! built, and their rows are merged into one insert per table
//! (`store::script_pg::merge`); a run goes as soon as the server is done
//! with the one before ([`HANDOFF`]), so neither waits for the other
//! longer than it must; a run is written by a task of its own
//! ([`super::writer`]), which sends each of its statements as soon as the
//! server answers the one before. Runs go one after another on the one
//! connection, so where they end changes nothing written. Any other
//! message waits for the writes before it and takes the one-message steps
//! ([`Ingestor::process`]) with their reads, but for the first, whose
//! answer [`Known`] holds; [`Known`] then takes in what it wrote (its key,
//! the acknowledgments its scripts noted: no read of the outbox back). Its
//! last writes, which nothing reads before the next message does, are not
//! waited for: they go with the next run (`Unit::defer`).

use std::borrow::Cow;
use std::collections::{HashMap, HashSet};

use anyhow::{Context, Result};

use super::examine::{Examined, Route};
use super::writer::Writer;
use super::{Arrival, Incoming, Ingestor, Outcome};
use crate::ack_policy::AckCount;
use crate::domain::TicketId;
use crate::isolate;
use crate::parse::InboundMessage;
use crate::store::script::Script;
use crate::store::{Backend, Conn, raw, tickets};

/// How many new tickets' writes go to PostgreSQL as one script, their rows
/// merged per table (see `store::script_pg::merge`): more means fewer
/// statements, and a longer wait for the first.
const MERGED: usize = 50;

/// On PostgreSQL, a run of new tickets being built goes to the server as
/// soon as it holds this many and the server has written the run before:
/// the server writes while the next ones are built, rather than waiting
/// for the whole run (ended by a reply, on average every ten messages)
/// and the builder then waiting for it. Fewer would merge fewer rows per
/// statement, which costs the server more per row.
const HANDOFF: usize = 4;

/// The environment variable that ends a run after every message (debug
/// builds only; set it to `split`): the test suite's check that where the
/// runs end changes nothing written.
pub const SPLIT_RUNS_ENV: &str = "POSKO_TEST_SPLIT_RUNS";

/// Batches at least this long are parsed on two threads
/// ([`Ingestor::examine_all`]): below it a thread costs more than it saves.
const PARALLEL_PARSE_MIN: usize = 8;

/// What a batch read once for its messages, kept up to date with what the
/// batch writes.
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

    /// One acknowledgment more to `rcpt`.
    fn acked(&mut self, rcpt: String) {
        *self.acks.entry(rcpt).or_default() += 1;
        self.total += 1;
    }
}

impl Ingestor {
    /// Writes `msg` (a fresh message, ticket `id`) into `w`, and notes in
    /// `k` what it wrote: its key, its acknowledgment.
    fn build_fresh(
        &self,
        w: &mut Script,
        k: &mut Known,
        item: &Incoming,
        msg: &InboundMessage,
        id: TicketId,
        now: i64,
    ) -> Result<()> {
        let answer_to = msg.reply_address().map(|a| a.base().to_string());
        let recent_acks = AckCount {
            sender: answer_to
                .as_ref()
                .and_then(|a| k.acks.get(a).copied())
                .unwrap_or(0),
            total: k.total,
        };
        let a = Arrival::new(item, msg, now);
        raw::push(w, a.raw_id(), &item.source, Cow::Borrowed(&item.raw), now);
        let acked = self.open_ticket_as(w, a, id, None, recent_acks, None)?;
        k.seen.insert(msg.dedupe_key.clone());
        if let (true, Some(a)) = (acked, answer_to) {
            k.acked(a);
        }
        Ok(())
    }

    /// [`Ingestor::examine`] of each of `items`, in order: the first half
    /// here, the second on a thread of its own at the same time. Parsing
    /// is a third of a batch's work and needs no database, and the
    /// database's thread waits for it: on two cores the batch's writes
    /// start sooner. Each message keeps its own budget
    /// ([`crate::budget`]); at most two are parsed at once, each at most
    /// [`super::LARGE_MESSAGE`] (larger ones are never in a batch).
    pub(super) fn examine_all(&self, items: &[Incoming]) -> Vec<Examined> {
        let examine = |part: &[Incoming]| -> Vec<Examined> {
            part.iter().map(|i| self.examine(i, &i.raw)).collect()
        };
        if items.len() < PARALLEL_PARSE_MIN {
            return examine(items);
        }
        let (first, second) = items.split_at(items.len() / 2);
        std::thread::scope(|s| {
            let other = std::thread::Builder::new()
                .name("posko-parse".into())
                .spawn_scoped(s, || examine(second));
            let mut out = examine(first);
            match other {
                Ok(handle) => match handle.join() {
                    Ok(rest) => out.extend(rest),
                    // The batch fails as if this thread had panicked
                    // (each message is then taken alone).
                    Err(panic) => std::panic::resume_unwind(panic),
                },
                // No thread to be had: parse the rest here.
                Err(_) => out.extend(examine(second)),
            }
            out
        })
    }

    /// One transaction for all of `items`, pipelined (see the module
    /// documentation).
    /// `examined` holds [`Ingestor::examine`] of each of `items`, in order.
    pub(super) async fn try_batch(
        &self,
        items: &[Incoming],
        examined: Vec<Examined>,
        now: i64,
    ) -> Result<Vec<Outcome>> {
        let backend = self.db.backend();
        let since = self.ack_since(now);
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
        // The messages that open a ticket without reading anything: the
        // pipelined path below.
        let fresh: Vec<bool> = examined
            .iter()
            .map(|e| match e {
                Examined::Parsed(m) => {
                    matches!(self.route(m), Route::New) && !self.needs_earlier_language(m)
                }
                Examined::Refused { .. } => false,
            })
            .collect();
        // The test suite's stand-in for a commit the database refuses for
        // a while (debug builds only).
        let commit_fault = examined.iter().any(|e| {
            matches!(e, Examined::Parsed(m)
                if isolate::fault_armed(isolate::FAULT_COMMIT_ENV, &m.subject))
        });
        // SQLite: queued fairly with the outbox for the write lock.
        let _turn = self.db.write_turn().await;
        let mut tx = self.db.begin().await?;
        raw::lock_ack_counts(&mut tx, backend).await?;
        self.keys(&mut tx).await?;
        let mut numbering = tickets::Numbering::default();
        // Read once for every message: which were taken in before, and the
        // acknowledgments of their senders (and the desk's) lately.
        let k = &mut Known::read(&mut tx, &lookups, since).await?;
        // The numbers of the tickets the fresh ones open, at once
        // (PostgreSQL).
        let opening: HashSet<&str> = (0..items.len())
            .filter(|&j| fresh[j])
            .filter_map(|j| lookups[j].as_ref().map(|(key, _)| key.as_str()))
            .filter(|key| !k.seen.contains(*key))
            .collect();
        numbering.reserve(&mut tx, backend, opening.len()).await?;
        let mut pending = Script::new();
        // The transaction, lent to a task while a run is written.
        let mut writer = Writer::new(tx, backend);
        let mut outcomes = Vec::with_capacity(items.len());
        let mut examined: Vec<Option<Examined>> = examined.into_iter().map(Some).collect();
        // The test suite's way to end a run after every message, as a
        // server that is always done first would (debug builds only).
        let split_every = isolate::fault_armed(SPLIT_RUNS_ENV, "split");
        let handoff = if split_every { 1 } else { HANDOFF };
        let mut i = 0;
        while i < items.len() {
            let item = &items[i];
            // A new ticket whose mail cannot say its language reads the
            // requester's earlier tickets: the one-message steps.
            let msg = match examined[i].take().expect("each message is taken once") {
                Examined::Parsed(m) if fresh[i] => m,
                other => {
                    // The one-message steps, after the writes before them,
                    // with what Known holds of the message instead of their
                    // read of it.
                    let (tx, prepared) = writer.idle().await?;
                    pending.flush_with(tx, backend, prepared).await?;
                    let held = lookups[i].as_ref().map(|(key, rcpt)| {
                        let acks = rcpt.as_ref().and_then(|r| k.acks.get(r).copied());
                        (k.seen.contains(key), acks.unwrap_or(0))
                    });
                    let raw = Cow::Borrowed(item.raw.as_slice());
                    let (outcome, acked, rest) = self
                        .process(tx, prepared, &mut numbering, item, raw, other, held, now)
                        .await?;
                    // Its last writes go with the next messages' (see
                    // `Unit::defer`): the server writes them while those
                    // are built.
                    pending.append(rest);
                    outcomes.push(outcome);
                    // Known takes in what it wrote: its key, and the
                    // acknowledgments it queued (to its sender, or to the
                    // requester a staff member named).
                    if let Some((key, _)) = &lookups[i] {
                        k.seen.insert(key.clone());
                    }
                    for rcpt in acked {
                        k.acked(rcpt);
                    }
                    i += 1;
                    continue;
                }
            };
            if k.seen.contains(&msg.dedupe_key) {
                outcomes.push(Outcome::Duplicate);
                i += 1;
                continue;
            }
            let mut id = numbering.next(writer.idle().await?.0, backend).await?;
            // Hand the writes queued so far to the database, and build the
            // next messages' meanwhile: one message on SQLite (a message's
            // writes are one script there already), up to `MERGED` on
            // PostgreSQL, whose script merges their rows per table.
            writer.send(std::mem::take(&mut pending)).await;
            let limit = match backend {
                Backend::Sqlite => 1,
                Backend::Postgres => MERGED,
            };
            let mut msg = msg;
            let mut built = 0;
            loop {
                let mut w = Script::new();
                let acked = self.build_fresh(&mut w, k, &items[i], &msg, id, now);
                pending.append(w);
                outcomes.push(Outcome::NewTicket(id));
                i += 1;
                built += 1;
                acked?;
                // The next message joins if it opens a ticket too and its
                // number is known without asking.
                loop {
                    if built >= limit || i >= items.len() || !fresh[i] {
                        break;
                    }
                    let Some(Examined::Parsed(m)) = &examined[i] else {
                        break;
                    };
                    if k.seen.contains(&m.dedupe_key) {
                        examined[i] = None;
                        outcomes.push(Outcome::Duplicate);
                        i += 1;
                        continue;
                    }
                    break;
                }
                if built >= limit || i >= items.len() || !fresh[i] {
                    break;
                }
                // PostgreSQL: once the server has written the run before,
                // it gets what is built so far instead of idling until the
                // rest is (the next reply would make it wait for all).
                if backend == Backend::Postgres
                    && built >= handoff
                    && (split_every || writer.done().await)
                {
                    break;
                }
                let Some(next) = numbering.ready(backend) else {
                    break;
                };
                let Some(Examined::Parsed(m)) = examined[i].take() else {
                    unreachable!("checked above");
                };
                (id, msg) = (next, m);
            }
            writer.idle().await?;
        }
        writer.send(pending).await;
        let tx = writer.finish().await?;
        if commit_fault {
            // Dropped, so rolled back, as a failed commit leaves it.
            drop(tx);
            return Err(crate::store::Unavailable(format!(
                "fault injection: {} matched a subject; the commit failed",
                isolate::FAULT_COMMIT_ENV
            ))
            .into());
        }
        tx.commit().await.context("cannot commit")?;
        Ok(outcomes)
    }
}
