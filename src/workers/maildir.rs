//! The Maildir intake worker: [`pass`] takes in everything waiting in
//! `new/` (the step tests call), [`MaildirIntake::run`] repeats it every
//! `poll_interval` until shutdown, like the IMAP worker's loop.

use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{Context, Result};
use tokio::sync::watch;
use tracing::{info, warn};

use crate::inbound::maildir::{Maildir, OVERSIZE_HEAD, read_message};
use crate::inbound::{BATCH_BYTES, PassStats, half_batches};
use crate::ingest::{ExaminedBatch, Incoming, Ingestor, Outcome};

/// Intake from one Maildir.
pub struct MaildirIntake {
    md: Maildir,
    /// The ingestor of the running configuration; a reload (SIGHUP) sends
    /// a new one, taken up at the next pass.
    ingestor: watch::Receiver<Ingestor>,
    max_size: u64,
    poll_interval: Duration,
}

impl MaildirIntake {
    /// Opens the Maildir at `path` (creating it when missing).
    pub fn new(
        path: &Path,
        max_size: u64,
        poll_interval: Duration,
        ingestor: Ingestor,
    ) -> Result<MaildirIntake> {
        Ok(MaildirIntake {
            md: Maildir::open(path)?,
            ingestor: watch::channel(ingestor).1,
            max_size,
            poll_interval,
        })
    }

    /// Takes the ingestors a reload sends from `live` (the last one at
    /// each pass).
    pub fn with_reload(mut self, live: watch::Receiver<Ingestor>) -> MaildirIntake {
        self.ingestor = live;
        self
    }

    /// One pass at `now`.
    pub async fn tick(&self, now: i64) -> Result<PassStats> {
        let ingestor = self.ingestor.borrow().clone();
        pass(&self.md, &ingestor, self.max_size, now).await
    }

    /// One pass at `now` that nudges `queued` after each batch that queued
    /// mail: the outbox sends a batch's mail while the next one is taken in.
    pub async fn tick_nudging(&self, now: i64, queued: &watch::Sender<()>) -> Result<PassStats> {
        let ingestor = self.ingestor.borrow().clone();
        pass_nudging(&self.md, &ingestor, self.max_size, now, Some(queued)).await
    }

    /// Passes until `shutdown` turns true, one every poll interval; `queued`
    /// is nudged whenever a pass queued mail for the outbox. A failed pass
    /// is logged and tried again at the next interval: the mail stays in
    /// `new/` meanwhile.
    pub async fn run(
        &self,
        mut shutdown: watch::Receiver<bool>,
        queued: watch::Sender<()>,
        now: impl Fn() -> i64,
    ) -> Result<()> {
        let health = &crate::monitor::get().health;
        health.expect_source("Maildir");
        loop {
            match self.tick_nudging(now(), &queued).await {
                Ok(stats) => {
                    health.source_ok("Maildir", crate::mail::compose::wall_clock());
                    if stats.queued_mail() {
                        let _ = queued.send(());
                    }
                    if stats.fetched > 0 {
                        info!(?stats, "Maildir pass");
                    }
                }
                Err(e) => {
                    let wall = crate::mail::compose::wall_clock();
                    health.source_failed("Maildir", "pass failed", &e, wall);
                    warn!(error = %format!("{e:#}"), "Maildir pass failed")
                }
            }
            if *shutdown.borrow() {
                return Ok(());
            }
            tokio::select! {
                _ = tokio::time::sleep(self.poll_interval) => {}
                _ = shutdown.changed() => {}
            }
        }
    }
}

/// One pass: takes in everything waiting in `new/`.
pub async fn pass(md: &Maildir, ingestor: &Ingestor, max_size: u64, now: i64) -> Result<PassStats> {
    pass_nudging(md, ingestor, max_size, now, None).await
}

/// [`pass`], nudging `queued` after each batch that queued mail (its
/// transaction is committed by then: the mail is persisted before the
/// outbox can see it).
///
/// The batches are pipelined: while one is written and committed, the next
/// is read and parsed on a thread of its own ([`Ingestor::examine_batch`]),
/// so parsing fills the time the database waits on the disk; and the files
/// of the batch before are moved to `cur/` on another while this one is
/// written (a rename costs ~30 µs: for 5,000 messages a twentieth of the
/// pass on PostgreSQL, the server idle meanwhile). At most one
/// batch is ahead, and the two together stay within the limits of one
/// ([`half_batches`]); a batch larger than half of them (one large message)
/// is read only when the batch before is done, and nothing is read ahead of
/// it. A file is still moved to `cur/` only after its own batch's commit:
/// a crash or a failed commit leaves the batch read ahead in `new/`.
async fn pass_nudging(
    md: &Maildir,
    ingestor: &Ingestor,
    max_size: u64,
    now: i64,
    queued: Option<&watch::Sender<()>>,
) -> Result<PassStats> {
    let mut stats = PassStats::default();
    let files = md.pending()?;
    // What each file costs in memory: an oversized one only its head.
    let sizes: Vec<u64> = files
        .iter()
        .map(|f| {
            let len = std::fs::metadata(f).map(|m| m.len()).unwrap_or(0);
            if len > max_size { OVERSIZE_HEAD } else { len }
        })
        .collect();
    // The files of each batch, and whether it is small enough to be in
    // memory beside another.
    let mut chunks = Vec::new();
    let mut start = 0;
    for n in half_batches(sizes.iter().copied()) {
        let bytes: u64 = sizes[start..start + n].iter().sum();
        chunks.push((files[start..start + n].to_vec(), bytes <= BATCH_BYTES / 2));
        start += n;
    }
    let read = |chunk: Vec<PathBuf>| {
        let ingestor = ingestor.clone();
        tokio::task::spawn_blocking(move || read_and_examine(&ingestor, chunk, max_size))
    };
    let mut chunks = chunks.into_iter().peekable();
    let mut ahead = None;
    let mut moving: Option<tokio::task::JoinHandle<Result<()>>> = None;
    while let Some((chunk, small)) = chunks.next() {
        let (batch, paths, deferred) = match ahead.take() {
            Some(reading) => reading,
            None => read(chunk),
        }
        .await
        .context("reading a Maildir batch panicked")?;
        stats.deferred += deferred;
        stats.fetched += batch.len() as u32;
        // The next batch is read and parsed while this one is written.
        if let Some((next, next_small)) = chunks.peek()
            && small
            && *next_small
        {
            ahead = Some(read(next.clone()));
        }
        let outcomes = ingestor.ingest_examined(batch, now).await;
        // The batch before's files are in `cur/` before this one's go.
        if let Some(m) = moving.take() {
            m.await.context("moving Maildir files panicked")??;
        }
        if let Some(q) = queued
            && outcomes.iter().any(|o| {
                matches!(
                    o,
                    Ok(Outcome::NewTicket(_) | Outcome::Comment(_) | Outcome::Answered)
                )
            })
        {
            let _ = q.send(());
        }
        let mut done = Vec::with_capacity(paths.len());
        for (path, outcome) in paths.into_iter().zip(outcomes) {
            match outcome {
                Ok(o) => {
                    stats.count(&o);
                    let flagged = matches!(o, crate::ingest::Outcome::Quarantined { .. });
                    done.push((path, flagged));
                }
                Err(e) => {
                    warn!(file = %path.display(), error = %format!("{e:#}"), "message left in new/ for the next pass");
                    stats.deferred += 1;
                }
            }
        }
        let md = md.clone();
        moving = Some(tokio::task::spawn_blocking(move || {
            done.iter()
                .try_for_each(|(path, flagged)| md.mark_done(path, *flagged))
        }));
    }
    if let Some(m) = moving {
        m.await.context("moving Maildir files panicked")??;
    }
    Ok(stats)
}

/// Reads the files of one batch and examines them (on a thread of its
/// own: both are blocking work): the batch, the paths of the messages in
/// it, and how many files could not be read (left in `new/`).
fn read_and_examine(
    ingestor: &Ingestor,
    chunk: Vec<PathBuf>,
    max_size: u64,
) -> (ExaminedBatch, Vec<PathBuf>, u32) {
    let mut items = Vec::with_capacity(chunk.len());
    let mut paths = Vec::with_capacity(chunk.len());
    let mut deferred = 0;
    for file in chunk {
        let (raw, size) = match read_message(&file, max_size) {
            Ok(r) => r,
            Err(e) => {
                // Vanished (another instance took it) or unreadable:
                // leave it, it is not lost, and say so.
                warn!(file = %file.display(), error = %format!("{e:#}"), "cannot read Maildir message");
                deferred += 1;
                continue;
            }
        };
        let name = file
            .file_name()
            .unwrap_or_default()
            .to_string_lossy()
            .to_string();
        let mut item = Incoming::new(raw, format!("maildir:{name}"));
        item.size = size;
        items.push(item);
        paths.push(file);
    }
    (ingestor.examine_batch(items), paths, deferred)
}
