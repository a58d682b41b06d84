//! The outbox worker: claims due rows and sends them.
//!
//! [`Outbox::tick`] is one step (send everything due now) and is what tests
//! call; [`Outbox::run`] repeats it until shutdown. Failures are sorted by
//! what is safe: a 4xx reply or a failed connection is retried with backoff
//! (the server did not take the message), a 5xx reply is permanent and is
//! recorded on the ticket. A message is retried at most
//! `outbound.max_attempts` times.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, Result};
use lettre::address::Envelope;
use serde_json::json;
use tokio::sync::watch;
use tracing::{debug, info, warn};

use crate::config::{Config, Outbound, OutboxPolicy};
use crate::domain::EventKind;
use crate::monitor::metrics::SendFailure::{Permanent, Temporary};
use crate::store::{Db, events, outbox};

/// The longest wait between two attempts.
const MAX_BACKOFF_SECONDS: i64 = 3600;

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

    async fn send(
        &self,
        env_from: &str,
        rcpts: &[String],
        raw: &[u8],
        name: &str,
    ) -> Result<(), SendError> {
        match self {
            Transport::File { dir } => write_file(dir, name, raw)
                .await
                .map_err(|e| SendError::Transient(format!("{e:#}"))),
            Transport::Smtp(t) => {
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
                // lettre ends DATA with CRLF "." CRLF itself; a message that
                // already ends in CRLF would otherwise gain an empty line.
                let body = raw.strip_suffix(b"\r\n").unwrap_or(raw);
                t.send(&envelope, body).await
            }
        }
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

/// Writes atomically: a half-written file is never seen as mail.
async fn write_file(dir: &std::path::Path, name: &str, raw: &[u8]) -> Result<()> {
    tokio::fs::create_dir_all(dir)
        .await
        .with_context(|| format!("cannot create {}", dir.display()))?;
    let tmp = dir.join(format!(".{name}.tmp"));
    let file = dir.join(format!("{name}.eml"));
    tokio::fs::write(&tmp, raw)
        .await
        .with_context(|| format!("cannot write {}", tmp.display()))?;
    tokio::fs::rename(&tmp, &file)
        .await
        .with_context(|| format!("cannot rename to {}", file.display()))?;
    Ok(())
}

/// What one tick did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct TickStats {
    pub sent: u32,
    pub retried: u32,
    pub failed: u32,
}

/// The worker.
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

    /// Sends every row that is due at `now`.
    pub async fn tick(&self, now: i64) -> Result<TickStats> {
        let mut stats = TickStats::default();
        let started = std::time::Instant::now();
        loop {
            // The lease runs from the claim, not from the tick's `now`: a
            // tick that has been sending for longer than a lease would
            // otherwise hand out leases already run out, and another
            // instance would send the same row again.
            let lease = (self.policy.lease + started.elapsed()).as_secs() as i64;
            let claimed = {
                let mut c = self.db.pool().acquire().await?;
                outbox::claim_due(&mut c, now, lease).await?
            };
            let Some(row) = claimed else { break };
            let name = format!("{:08}-{}", row.id, row.kind);
            let result = self
                .transport
                .send(&row.env_from, &row.rcpts, &row.raw, &name)
                .await;
            let mut tx = self.db.begin().await?;
            match result {
                Ok(()) => {
                    outbox::mark_sent(&mut tx, row.id, now).await?;
                    debug!(outbox = row.id, kind = %row.kind, "sent");
                    crate::monitor::get().metrics.record_sent();
                    stats.sent += 1;
                }
                Err(SendError::Transient(e)) if row.attempts < self.policy.max_attempts as i64 => {
                    let first = self.policy.retry_after.as_secs() as i64;
                    let due = now + backoff(row.attempts, first);
                    warn!(outbox = row.id, attempt = row.attempts, error = %e, "send failed; will retry");
                    outbox::mark_retry(&mut tx, row.id, due, &e).await?;
                    crate::monitor::get().metrics.record_send_failure(Temporary);
                    stats.retried += 1;
                }
                Err(SendError::Transient(e)) | Err(SendError::Permanent(e)) => {
                    warn!(outbox = row.id, attempt = row.attempts, error = %e, "send failed for good");
                    outbox::mark_failed(&mut tx, row.id, &e).await?;
                    crate::monitor::get().metrics.record_send_failure(Permanent);
                    if let Some(t) = row.ticket_id {
                        events::insert(
                            &mut tx,
                            t,
                            EventKind::DeliveryFailed,
                            "system",
                            now,
                            None,
                            &json!({ "outbox_id": row.id, "mail": row.kind, "to": row.rcpts, "error": e, "attempts": row.attempts }),
                        )
                        .await?;
                    }
                    stats.failed += 1;
                }
            }
            tx.commit().await?;
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
