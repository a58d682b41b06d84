//! The outbox worker: claims due rows and sends them.
//!
//! [`Outbox::tick`] is one step (send everything due now) and is what tests
//! call; [`Outbox::run`] repeats it until shutdown. Failures are sorted by
//! what is safe: a 4xx reply or a failed connection is retried with backoff
//! (the server did not take the message), a 5xx reply is permanent and is
//! recorded on the ticket. A message is retried at most
//! `outbound.max_attempts` times.
//!
//! Rows are claimed [`CLAIM_BATCH`] at a time with a lease and their
//! outcomes written together (within [`MARK_AFTER`]): a sender that
//! crashes leaves its rows `sending`, and they are sent again once the
//! lease runs out; in the normal path each row is sent once. The file
//! transport writes a claimed batch at once ([`file`]), durably, before
//! the batch is marked sent.

mod file;

use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use lettre::address::Envelope;
use serde_json::json;
use tokio::sync::watch;
use tracing::{debug, info, warn};

use crate::config::{Config, Outbound, OutboxPolicy};
use crate::domain::EventKind;
use crate::monitor::metrics::SendFailure::{Permanent, Temporary};
use crate::store::{Conn, Db, events, outbox};

/// Rows claimed at once for SMTP. Their outcomes are written together too:
/// two commits per batch instead of two per mail.
const CLAIM_BATCH: i64 = 50;

/// Rows claimed at once for the file transport: the batch is written in
/// one go with three flushes of the disk, so a bigger batch shares them
/// among more mails (a few MB of mail in memory). Beside an intake, the
/// outbox gets the write lock about once per intake batch, which queues
/// up to ~400 mails (200 Maildir messages: acknowledgments and staff
/// notices): a claim smaller than that falls further behind with each
/// batch and leaves the backlog to the end of the pass (`run --once`).
const FILE_BATCH: i64 = 500;

/// Outcomes are written at least this often while a batch is being sent:
/// over a slow server, a crash then resends at most this much mail.
const MARK_AFTER: Duration = Duration::from_secs(1);

/// The longest wait between two attempts.
const MAX_BACKOFF_SECONDS: i64 = 3600;

/// The environment variable of the test suite's kill between a send and
/// its mark (debug builds only): when set, the process kills itself
/// (SIGKILL, as `kill -9` would) once a batch is sent, before its
/// outcomes are written.
pub const FAULT_KILL_BEFORE_MARK: &str = "POSKO_FAULT_KILL_BEFORE_MARK";

/// Dies here when the test suite asked for it ([`FAULT_KILL_BEFORE_MARK`]);
/// compiled out of release builds.
fn kill_point() {
    #[cfg(debug_assertions)]
    if std::env::var_os(FAULT_KILL_BEFORE_MARK).is_some_and(|v| !v.is_empty()) {
        // SAFETY: signals this process; no memory is touched.
        unsafe {
            libc::kill(libc::getpid(), libc::SIGKILL);
        }
    }
}

/// Where mail goes.
pub enum Transport {
    /// `.eml` files in a directory (the embedded default).
    File { dir: PathBuf },
    /// An SMTP server (password or OAuth 2.0 login: [`crate::smtp`]).
    Smtp(Box<crate::smtp::Smtp>),
}

/// Why one send failed.
#[derive(Debug)]
pub enum SendError {
    /// Try again later (4xx, connection refused, timeout, TLS trouble).
    Transient(String),
    /// The server refused for good (5xx).
    Permanent(String),
}

impl Transport {
    /// `db` keeps the refresh token of an OAuth 2.0 login (`posko auth login`).
    pub fn from_config(cfg: &Config, db: Option<&Db>) -> Result<Transport> {
        Ok(match &cfg.outbound {
            Outbound::File { path } => Transport::File { dir: path.clone() },
            Outbound::Smtp(s) => Transport::Smtp(Box::new(crate::smtp::Smtp::new(s, db)?)),
        })
    }

    /// Opens a connection and says hello, for `posko check`.
    pub async fn test_connection(&self) -> Result<String> {
        match self {
            Transport::File { dir } => {
                tokio::fs::create_dir_all(dir)
                    .await
                    .with_context(|| format!("cannot create {}", dir.display()))?;
                Ok(format!("mail is written as files to {}", dir.display()))
            }
            Transport::Smtp(t) => t.test_connection().await,
        }
    }
}

/// Sends one mail over SMTP (the file transport writes whole batches:
/// [`write_files`]).
async fn send_smtp(
    t: &crate::smtp::Smtp,
    env_from: &str,
    rcpts: &[String],
    raw: &[u8],
) -> Result<(), SendError> {
    let from = env_from
        .parse()
        .map_err(|e| SendError::Permanent(format!("bad sender {env_from}: {e}")))?;
    let to = rcpts
        .iter()
        .map(|r| r.parse())
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| SendError::Permanent(format!("bad recipient: {e}")))?;
    let envelope = Envelope::new(Some(from), to)
        .map_err(|e| SendError::Permanent(format!("bad envelope: {e}")))?;
    // lettre ends DATA with CRLF "." CRLF itself; a message that already
    // ends in CRLF would otherwise gain an empty line.
    let body = raw.strip_suffix(b"\r\n").unwrap_or(raw);
    t.send(&envelope, body).await
}

/// The file transport's whole batch, off the async threads: each row's
/// outcome in order. The rows' `raw` is moved out (it is not needed after).
async fn write_files(
    dir: &std::path::Path,
    rows: &mut [outbox::Claimed],
) -> Vec<Result<(), SendError>> {
    let dir = dir.to_path_buf();
    let items: Vec<file::Item> = rows
        .iter_mut()
        .map(|r| file::Item {
            name: file_name(r),
            raw: std::mem::take(&mut r.raw),
        })
        .collect();
    let n = items.len();
    match tokio::task::spawn_blocking(move || file::write_batch(&dir, &items)).await {
        Ok(out) => out
            .into_iter()
            .map(|r| r.map_err(SendError::Transient))
            .collect(),
        Err(e) => (0..n)
            .map(|_| {
                Err(SendError::Transient(format!(
                    "the file writer stopped: {e}"
                )))
            })
            .collect(),
    }
}

/// The file name of a row's mail (without `.eml`): the same on every try,
/// so a mail written again replaces its file.
fn file_name(row: &outbox::Claimed) -> String {
    format!("{:08}-{}", row.id, row.kind)
}

/// What one tick did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct TickStats {
    pub sent: u32,
    pub retried: u32,
    pub failed: u32,
}

impl std::ops::AddAssign for TickStats {
    fn add_assign(&mut self, o: TickStats) {
        self.sent += o.sent;
        self.retried += o.retried;
        self.failed += o.failed;
    }
}

/// The worker (a clone shares the transport).
#[derive(Clone)]
pub struct Outbox {
    db: Db,
    transport: Arc<Transport>,
    policy: OutboxPolicy,
}

/// The wait before attempt `n + 1`: `first` (`outbound.retry_after`, a
/// minute by default), then twice that, four times …, at most an hour.
pub fn backoff(attempts: i64, first: i64) -> i64 {
    let exp = attempts.clamp(1, 16) - 1;
    (first << exp).min(MAX_BACKOFF_SECONDS.max(first))
}

impl Outbox {
    pub fn new(db: Db, transport: Transport, policy: OutboxPolicy) -> Outbox {
        Outbox {
            db,
            transport: Arc::new(transport),
            policy,
        }
    }

    /// Sends every row that is due at `now`: claims a batch, sends its rows
    /// one after another, and records what became of them in a batch.
    pub async fn tick(&self, now: i64) -> Result<TickStats> {
        let mut stats = TickStats::default();
        let started = Instant::now();
        // The file transport's outcomes of the batch written last: marked
        // in the transaction that claims the next batch (one commit and
        // one wait for SQLite's write lock per batch, not two).
        let mut written = Done::default();
        loop {
            // The lease runs from the claim, not from the tick's `now`: a
            // tick that has been sending for longer than a lease would
            // otherwise hand out leases already run out, and another
            // instance would send the same row again.
            let lease = (self.policy.lease + started.elapsed()).as_secs() as i64;
            // In a write transaction: on SQLite it holds the write lock
            // from its start, so the claim's read cannot go stale under a
            // concurrent writer (and fail instead of waiting).
            let rows = {
                // SQLite: queued fairly with the intake for the write lock.
                let _turn = self.db.write_turn().await;
                let mut tx = self.db.begin().await?;
                std::mem::take(&mut written).write(&mut tx, now).await?;
                let rows = outbox::claim_due(&mut tx, now, lease, self.batch()).await?;
                tx.commit().await?;
                rows
            };
            if rows.is_empty() {
                break;
            }
            let smtp = match &*self.transport {
                Transport::File { dir } => {
                    let mut rows = rows;
                    let results = write_files(dir, &mut rows).await;
                    for (row, result) in rows.into_iter().zip(results) {
                        written.push(row, result, now, &self.policy, &mut stats);
                    }
                    continue;
                }
                Transport::Smtp(t) => t,
            };
            let mut done = Done::default();
            let claimed_at = Instant::now();
            let mut rows = rows.into_iter();
            while let Some(row) = rows.next() {
                // A slow server: give back what this batch cannot send well
                // inside its lease (another instance may take it then); the
                // rest of the lease leaves room for one more send.
                if claimed_at.elapsed() > self.policy.lease / 2 {
                    let rest: Vec<i64> = std::iter::once(row.id)
                        .chain(rows.by_ref().map(|r| r.id))
                        .collect();
                    let mut tx = self.db.begin().await?;
                    outbox::release(&mut tx, &rest, now + lease).await?;
                    tx.commit().await?;
                    break;
                }
                let result = send_smtp(smtp, &row.env_from, &row.rcpts, &row.raw).await;
                done.push(row, result, now, &self.policy, &mut stats);
                if done.due() {
                    std::mem::take(&mut done).record(&self.db, now).await?;
                }
            }
            done.record(&self.db, now).await?;
        }
        self.report(&stats).await;
        if stats != TickStats::default() {
            info!(
                sent = stats.sent,
                retried = stats.retried,
                failed = stats.failed,
                "outbox tick"
            );
        }
        Ok(stats)
    }

    /// Rows claimed at once: more for files, written as one batch.
    fn batch(&self) -> i64 {
        match &*self.transport {
            Transport::File { .. } => FILE_BATCH,
            Transport::Smtp(_) => CLAIM_BATCH,
        }
    }

    /// Tells the monitor what is left in the queue and how the tick went.
    async fn report(&self, stats: &TickStats) {
        let backlog = match self.db.pool().acquire().await {
            Ok(mut c) => outbox::backlog(&mut c).await,
            Err(e) => Err(e.into()),
        };
        match backlog {
            Ok(b) => {
                let m = crate::monitor::get();
                let now = crate::mail::compose::wall_clock();
                let failed = stats.retried + stats.failed > 0;
                m.health.outbox_tick(b, stats.sent > 0, failed, now);
                m.metrics.record_backlog(&b, now);
            }
            Err(e) => debug!(error = %format!("{e:#}"), "cannot read the outbox's backlog"),
        }
    }

    /// Ticks at each nudge of `queued` until `done` turns true, and returns
    /// what the ticks did: the sending of `run --once`, beside its intake,
    /// which nudges after each batch it committed. A failed tick is logged
    /// and left to the next one (the pass ends with a tick of its own).
    pub async fn alongside(
        &self,
        mut queued: watch::Receiver<()>,
        mut done: watch::Receiver<bool>,
        now: impl Fn() -> i64,
    ) -> TickStats {
        let mut stats = TickStats::default();
        loop {
            tokio::select! {
                biased;
                r = queued.changed() => { if r.is_err() { return stats; } }
                r = done.changed() => { if r.is_err() { return stats; } }
            }
            if *done.borrow() {
                return stats;
            }
            match self.tick(now()).await {
                Ok(s) => stats += s,
                Err(e) => warn!(error = %format!("{e:#}"), "outbox tick failed"),
            }
        }
    }

    /// Ticks until `shutdown` turns true. `wake` is nudged after intake
    /// queues mail, so acknowledgments leave within moments, not a poll
    /// interval later. A tick in progress always finishes.
    pub async fn run(
        &self,
        mut wake: watch::Receiver<()>,
        mut shutdown: watch::Receiver<bool>,
        clock: impl Fn() -> i64,
    ) -> Result<()> {
        let mut interval = tokio::time::interval(self.policy.poll_interval);
        interval.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            if *shutdown.borrow() {
                return Ok(());
            }
            if let Err(e) = self.tick(clock()).await {
                warn!(error = %format!("{e:#}"), "outbox tick failed");
                tokio::time::sleep(Duration::from_secs(1)).await;
            }
            tokio::select! {
                _ = interval.tick() => {}
                r = wake.changed() => { if r.is_err() { return Ok(()); } }
                _ = shutdown.changed() => {}
            }
        }
    }
}

/// Outcomes of sends not yet written: a crash before they are loses only
/// them (their rows are sent again after the lease), so they are written
/// when the claimed batch is through or [`MARK_AFTER`] passed.
#[derive(Default)]
struct Done {
    sent: Vec<i64>,
    retry: Vec<(i64, i64, String)>,
    failed: Vec<(outbox::Claimed, String)>,
    since: Option<Instant>,
}

impl Done {
    fn push(
        &mut self,
        row: outbox::Claimed,
        result: Result<(), SendError>,
        now: i64,
        policy: &OutboxPolicy,
        stats: &mut TickStats,
    ) {
        self.since.get_or_insert_with(Instant::now);
        let metrics = &crate::monitor::get().metrics;
        match result {
            Ok(()) => {
                debug!(outbox = row.id, kind = %row.kind, "sent");
                metrics.record_sent();
                self.sent.push(row.id);
                stats.sent += 1;
            }
            Err(SendError::Transient(e)) if row.attempts < policy.max_attempts as i64 => {
                warn!(outbox = row.id, attempt = row.attempts, error = %e, "send failed; will retry");
                metrics.record_send_failure(Temporary);
                self.retry.push((
                    row.id,
                    now + backoff(row.attempts, policy.retry_after.as_secs() as i64),
                    e,
                ));
                stats.retried += 1;
            }
            Err(SendError::Transient(e)) | Err(SendError::Permanent(e)) => {
                warn!(outbox = row.id, attempt = row.attempts, error = %e, "send failed for good");
                metrics.record_send_failure(Permanent);
                self.failed.push((row, e));
                stats.failed += 1;
            }
        }
    }

    /// Time to write what was sent.
    fn due(&self) -> bool {
        self.since.is_some_and(|t| t.elapsed() >= MARK_AFTER)
    }

    /// Writes the outcomes in one transaction.
    async fn record(self, db: &Db, now: i64) -> Result<()> {
        if self.since.is_none() {
            return Ok(());
        }
        let mut tx = db.begin().await?;
        self.write(&mut tx, now).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Writes the outcomes as part of the caller's transaction.
    async fn write(self, c: &mut Conn, now: i64) -> Result<()> {
        if self.since.is_none() {
            return Ok(());
        }
        kill_point();
        outbox::mark_sent(c, &self.sent, now).await?;
        for (id, due, e) in &self.retry {
            outbox::mark_retry(c, *id, *due, e).await?;
        }
        for (row, e) in &self.failed {
            outbox::mark_failed(c, row.id, e).await?;
            if let Some(t) = row.ticket_id {
                events::insert(
                    c,
                    t,
                    EventKind::DeliveryFailed,
                    "system",
                    now,
                    None,
                    &json!({ "outbox_id": row.id, "mail": row.kind, "to": row.rcpts, "error": e, "attempts": row.attempts }),
                )
                .await?;
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::backoff;

    #[test]
    fn backoff_grows_and_caps() {
        assert_eq!(backoff(1, 60), 60);
        assert_eq!(backoff(2, 60), 120);
        assert_eq!(backoff(3, 60), 240);
        assert_eq!(backoff(10, 60), 3600);
        assert_eq!(backoff(100, 60), 3600);
        assert_eq!(backoff(1, 1), 1);
        assert_eq!(backoff(3, 1), 4);
    }
}
