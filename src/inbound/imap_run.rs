//! The IMAP intake's daemon loop: hold the mailbox's lease (several
//! instances on one database: [`crate::workers::lease`]), connect, pass,
//! then IDLE (or poll) until new mail; reconnect with growing delays when
//! the server goes away, stand by when another instance holds the lease.

use std::time::Duration;

use anyhow::{Result, anyhow};
use async_imap::extensions::idle::IdleResponse;
use tokio::sync::watch;
use tracing::{debug, info, warn};

use super::imap::{Connected, ImapIntake, timed};
use crate::mail::compose::wall_clock;
use crate::monitor::health::Standby;
use crate::workers::lease::{Held, Lost};

/// How long one IDLE lasts before it is renewed; RFC 2177 asks clients to
/// re-issue IDLE at least every 29 minutes.
const IDLE_RENEW: Duration = Duration::from_secs(25 * 60);

/// Reconnect delays grow from this …
const RECONNECT_MIN: Duration = Duration::from_secs(1);
/// … up to this.
const RECONNECT_MAX: Duration = Duration::from_secs(300);

impl ImapIntake {
    /// Runs until `shutdown`: pass, then IDLE (or poll) until new mail, and
    /// reconnect with growing delays when the server goes away. `queued` is
    /// nudged whenever a pass queued mail for the outbox.
    pub async fn run(
        &self,
        mut shutdown: watch::Receiver<bool>,
        queued: watch::Sender<()>,
        now: impl Fn() -> i64 + Clone,
    ) -> Result<()> {
        let mut delay = RECONNECT_MIN;
        let monitor = crate::monitor::get();
        monitor.health.expect_source("IMAP");
        loop {
            if *shutdown.borrow() {
                break;
            }
            if let Some(lease) = &self.lease {
                // Standing by while another instance reads is healthy,
                // and said so: who reads, until when.
                let standby = |by: Option<&Held>| {
                    let by = by.map(|h| Standby {
                        holder: h.holder.clone(),
                        since: h.taken_at,
                        until: h.expires_at,
                    });
                    let until = by.as_ref().map(|b| b.until);
                    monitor.metrics.record_lease(&self.source, false, until);
                    monitor.health.source_standby("IMAP", by, wall_clock());
                };
                let failed = |e: &anyhow::Error| {
                    monitor
                        .health
                        .source_failed("IMAP", "lease", e, wall_clock())
                };
                if !lease.wait(&mut shutdown, &now, standby, failed).await {
                    break;
                }
                monitor
                    .metrics
                    .record_lease(&self.source, true, lease.expires());
            }
            match self.connect().await {
                Ok(conn) => {
                    info!(source = %self.source, idle = conn.can_idle && self.settings.idle, "IMAP connected");
                    monitor.metrics.record_imap_connected(true);
                    delay = RECONNECT_MIN;
                    let ended = self
                        .session_loop(conn, &mut shutdown, &queued, now.clone())
                        .await;
                    monitor.metrics.record_imap_connected(false);
                    if let Some(lease) = &self.lease {
                        let held = lease.expires().is_some();
                        monitor
                            .metrics
                            .record_lease(&self.source, held, lease.expires());
                    }
                    match ended {
                        Ok(Ended::Shutdown) => break,
                        Ok(Ended::TokenExpired) => {
                            debug!("the access token ran out; logging in again");
                            continue;
                        }
                        Err(e) if e.is::<Lost>() => {
                            info!(error = %e, "standing by");
                            continue;
                        }
                        Err(e) => {
                            monitor.health.source_failed(
                                "IMAP",
                                "session failed",
                                &e,
                                wall_clock(),
                            );
                            warn!(error = %format!("{e:#}"), "IMAP session ended; reconnecting")
                        }
                    }
                }
                Err(e) => {
                    monitor.health.source_failed(
                        "IMAP",
                        super::imap_check::connect_failure(&e),
                        &e,
                        wall_clock(),
                    );
                    warn!(error = %format!("{e:#}"), retry_in = delay.as_secs(), "IMAP connect failed")
                }
            }
            tokio::select! {
                _ = tokio::time::sleep(delay) => {}
                _ = shutdown.changed() => {}
            }
            delay = (delay * 2).min(RECONNECT_MAX);
        }
        if let Some(lease) = &self.lease {
            lease.release().await;
        }
        Ok(())
    }

    /// Passes and waits on one connection; `Ok` on shutdown, or when the
    /// access token it logged in with ran out.
    async fn session_loop(
        &self,
        mut conn: Connected,
        shutdown: &mut watch::Receiver<bool>,
        queued: &watch::Sender<()>,
        now: impl Fn() -> i64,
    ) -> Result<Ended> {
        let t = self.settings.timeout;
        loop {
            if let Some(lease) = &self.lease {
                lease.renew(now()).await?;
                crate::monitor::get()
                    .metrics
                    .record_lease(&self.source, true, lease.expires());
            }
            let stats = self.pass(&mut conn, &now).await?;
            // IDLE and polls are cut short so the lease is renewed in time
            // (sooner while renewals fail, and never past its expiry).
            let most = self
                .lease
                .as_ref()
                .map_or(IDLE_RENEW, |l| l.renew_within(now()));
            let monitor = crate::monitor::get();
            monitor.health.source_ok("IMAP", wall_clock());
            monitor.metrics.record_imap_poll(wall_clock());
            if stats.queued_mail() {
                let _ = queued.send(());
            }
            if stats.fetched > 0 {
                info!(?stats, "IMAP pass");
            }
            if *shutdown.borrow() {
                let _ = timed(t, "LOGOUT", conn.session.logout()).await;
                return Ok(Ended::Shutdown);
            }
            // Until the token runs out (the session is renewed then).
            let left = conn
                .token_expires
                .map(|at| Duration::from_secs((at - wall_clock()).max(0) as u64));
            if left.is_some_and(|l| l.is_zero()) {
                let _ = timed(t, "LOGOUT", conn.session.logout()).await;
                return Ok(Ended::TokenExpired);
            }
            if conn.can_idle && self.settings.idle {
                let Connected {
                    session,
                    uidvalidity,
                    can_idle,
                    can_move,
                    token_expires,
                } = conn;
                let mut idle = session.idle();
                timed(t, "IDLE", idle.init()).await?;
                let result = {
                    let mut renew = left
                        .map_or(IDLE_RENEW, |l| l.clamp(Duration::from_secs(1), IDLE_RENEW))
                        .min(most);
                    // Mail left on the server (the database refused it:
                    // locked, down) is tried again a poll interval later,
                    // not when the next new mail happens to wake IDLE.
                    if stats.deferred > 0 {
                        renew = renew.min(self.settings.poll_interval);
                    }
                    let (wait, stop) = idle.wait_with_timeout(renew);
                    tokio::pin!(wait);
                    tokio::select! {
                        r = &mut wait => r,
                        _ = shutdown.changed() => { drop(stop); wait.await }
                    }
                };
                match result {
                    Ok(IdleResponse::NewData(_)) => debug!("IDLE: new data"),
                    Ok(IdleResponse::Timeout) => debug!("IDLE renewed"),
                    Ok(IdleResponse::ManualInterrupt) => debug!("IDLE interrupted"),
                    Err(e) => return Err(anyhow!("IMAP IDLE failed: {e}")),
                }
                let session = timed(t, "DONE", idle.done()).await?;
                conn = Connected {
                    session,
                    uidvalidity,
                    can_idle,
                    can_move,
                    token_expires,
                };
            } else {
                let wait = left
                    .map_or(self.settings.poll_interval, |l| {
                        l.clamp(Duration::from_secs(1), self.settings.poll_interval)
                    })
                    .min(most);
                tokio::select! {
                    _ = tokio::time::sleep(wait) => {}
                    _ = shutdown.changed() => {}
                }
                // NOOP lets the server report new mail and proves the link is alive.
                timed(t, "NOOP", conn.session.noop()).await?;
            }
        }
    }
}

/// Why a session ended without an error.
enum Ended {
    Shutdown,
    /// The OAuth access token it logged in with ran out.
    TokenExpired,
}
