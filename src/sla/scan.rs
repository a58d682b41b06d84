//! The SLA scan worker: due warnings, breaches and escalation steps →
//! events and outbox rows.
//!
//! [`Escalator::tick`] is one step (look at every clock due at `now`, by
//! the protocol of [`crate::sla::clocks`]) and is what tests and
//! `run --once` call; [`Escalator::run`] repeats it until shutdown. A tick
//! reads only the rows of `sla_clocks` whose indexed `next_check_at` is
//! due, so its cost follows what is due, not the number of open tickets.

use std::sync::Arc;

use anyhow::{Context, Result};
use tokio::sync::watch;
use tracing::{info, warn};

use crate::config::Config;
use crate::mail::templates::Templates;
use crate::sla::clocks::{self, calendar_of};
use crate::sla::due::next_check;
use crate::sla::notice::Notices;
use crate::staff_token::KeyRing;
use crate::store::sla_clocks::{self, ClockRow};
use crate::store::{Conn, Db, staff_keys};

/// Clocks read per transaction.
const BATCH: i64 = 500;

/// What one scan did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct ScanStats {
    /// Due clocks looked at.
    pub clocks: u32,
    pub warnings: u32,
    pub breaches: u32,
    /// Steps past the breach.
    pub escalations: u32,
}

impl ScanStats {
    pub fn queued_mail(&self) -> bool {
        self.warnings + self.breaches + self.escalations > 0
    }
}

/// The worker. Cheap to clone.
#[derive(Clone)]
pub struct Escalator {
    cfg: Arc<Config>,
    db: Db,
    templates: Arc<Templates>,
}

impl Escalator {
    pub fn new(cfg: Arc<Config>, db: Db, templates: Arc<Templates>) -> Escalator {
        Escalator { cfg, db, templates }
    }

    /// Acts on every clock due at `now`: records what fell due since the
    /// clock's last look, queues the mail, and stores its next check.
    pub async fn tick(&self, now: i64) -> Result<ScanStats> {
        let started = std::time::Instant::now();
        let mut stats = ScanStats::default();
        // Every row handled gets a next check after `now` (or none), so each
        // batch makes progress; the bound only guards against a row a
        // concurrent transition keeps changing.
        for _ in 0..10_000 {
            let mut tx = self.db.begin().await?;
            let due = sla_clocks::due(&mut tx, now, BATCH).await?;
            let n = due.len() as i64;
            if n > 0 {
                let notices = Notices {
                    cfg: &self.cfg,
                    templates: &self.templates,
                    keys: staff_keys_of(&self.cfg, &mut tx).await?,
                };
                for row in due {
                    self.look(&mut tx, &notices, row, now, &mut stats).await?;
                }
            }
            tx.commit().await.context("cannot commit the SLA scan")?;
            if n < BATCH {
                break;
            }
        }
        crate::monitor::get().scanned(&stats, started.elapsed());
        if stats.queued_mail() {
            info!(
                clocks = stats.clocks,
                warnings = stats.warnings,
                breaches = stats.breaches,
                escalations = stats.escalations,
                "SLA scan"
            );
        }
        Ok(stats)
    }

    /// The lifecycle worker with this scan's configuration.
    pub fn lifecycle(&self) -> crate::lifecycle::Lifecycle {
        crate::lifecycle::Lifecycle::new(self.cfg.clone(), self.db.clone(), self.templates.clone())
    }

    async fn look(
        &self,
        c: &mut Conn,
        notices: &Notices<'_>,
        row: ClockRow,
        now: i64,
        stats: &mut ScanStats,
    ) -> Result<()> {
        let cfg = &self.cfg;
        stats.clocks += 1;
        let looked = clocks::look(c, cfg, Some(notices), &row, None, now).await?;
        stats.warnings += looked.warnings;
        stats.breaches += looked.breaches;
        stats.escalations += looked.escalations;
        let cal = calendar_of(cfg, row.business_hours);
        let next = next_check(&row.clock, cal, &cfg.escalation, now);
        sla_clocks::set_next_check(c, &row, next).await?;
        Ok(())
    }

    /// Scans every `escalation.scan_interval` until `shutdown` turns true;
    /// `wake` is nudged when a scan queued mail. A scan in progress always
    /// finishes.
    pub async fn run(
        &self,
        wake: watch::Sender<()>,
        mut shutdown: watch::Receiver<bool>,
        clock: impl Fn() -> i64,
    ) -> Result<()> {
        let mut interval = tokio::time::interval(self.cfg.escalation.scan_interval);
        interval.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            if *shutdown.borrow() {
                return Ok(());
            }
            match self.tick(clock()).await {
                Ok(stats) if stats.queued_mail() => {
                    let _ = wake.send(());
                }
                Ok(_) => {}
                Err(e) => warn!(error = %format!("{e:#}"), "SLA scan failed"),
            }
            // The survey's reminder and the auto-close ride on the scan's
            // interval (and its reloads).
            match self.lifecycle().tick(clock()).await {
                Ok(s) if s.reminders > 0 => {
                    let _ = wake.send(());
                }
                Ok(_) => {}
                Err(e) => warn!(error = %format!("{e:#}"), "lifecycle tick failed"),
            }
            tokio::select! {
                _ = interval.tick() => {}
                _ = shutdown.changed() => {}
            }
        }
    }
}

/// The keys that sign staff tokens, as the intake reads them:
/// `auth.secret_env`'s variable, else the database's `staff_keys`. Without
/// a usable key (the intake refuses to start then) the notices carry the
/// desk's plain address.
pub(crate) async fn staff_keys_of(cfg: &Config, c: &mut Conn) -> Result<Option<Arc<KeyRing>>> {
    let ring = match &cfg.auth.secret_env {
        Some(var) => match std::env::var(var) {
            Ok(value) => KeyRing::from_env(&value),
            Err(_) => Err(format!("auth.secret_env names {var}, which is not set")),
        },
        None => KeyRing::new(staff_keys::load(c).await?),
    };
    Ok(ring
        .inspect_err(|e| warn!(error = %e, "SLA notices go out without staff tokens"))
        .ok()
        .map(Arc::new))
}
