//! Builds the workers from the configuration and runs them until shutdown.
//!
//! Four workers share the database: intake (Maildir or IMAP), the SLA scan
//! ([`crate::sla::scan`]), the daily digest ([`crate::digest::send`]) and
//! the outbox; beside them the web listener
//! ([`crate::web`]: health, metrics) and the reload on SIGHUP
//! ([`crate::reload`]). Intake, the scan and the digest nudge the
//! outbox after they queued mail, so an acknowledgment or a breach notice
//! leaves within moments. On shutdown each worker
//! finishes the step it is in (a batch is committed and marked done, a
//! message being sent is recorded), then stops.

use std::sync::Arc;

use anyhow::{Context, Result};
use tokio::sync::watch;
use tracing::info;

use crate::config::{Config, Inbound};
use crate::digest::send::{DigestSender, SendStats};
use crate::inbound::PassStats;
use crate::inbound::imap::ImapIntake;
use crate::ingest::Ingestor;
use crate::lifecycle::LifeStats;
use crate::mail::templates::Templates;
use crate::outbox::{Outbox, TickStats, Transport};
use crate::sla::scan::{Escalator, ScanStats};
use crate::store::Db;
use crate::web::{Listeners, WebState};
use crate::workers::maildir::MaildirIntake;

/// Where "now" comes from: the wall clock, or a fixed instant (`--now`).
#[derive(Debug, Clone, Copy)]
pub enum Clock {
    Wall,
    Fixed(i64),
}

impl Clock {
    pub fn now(self) -> i64 {
        match self {
            Clock::Wall => crate::mail::compose::wall_clock(),
            Clock::Fixed(t) => t,
        }
    }
}

/// Everything a running posko needs.
pub struct App {
    pub cfg: Arc<Config>,
    pub db: Db,
    pub ingestor: Ingestor,
    pub escalator: Escalator,
    pub outbox: Outbox,
    /// The mail templates (the survey pages' mail uses them too).
    pub templates: Arc<Templates>,
}

impl App {
    /// Opens the database (running migrations), compiles the templates and
    /// sets up the transport.
    pub async fn build(cfg: Config) -> Result<App> {
        let cfg = Arc::new(cfg);
        // Compiling the templates (some 60 ms of CPU) needs no database:
        // done on another thread while the database opens and migrates.
        let dir = cfg.desk.templates.clone();
        let compiling = tokio::task::spawn_blocking(move || Templates::load(dir.as_deref()));
        let db = Db::open(&cfg).await?;
        db.migrate().await?;
        let templates = Arc::new(
            compiling
                .await
                .context("compiling the templates panicked")??,
        );
        let ingestor = Ingestor::new(cfg.clone(), db.clone(), templates.clone());
        ingestor.prepare().await?;
        let escalator = Escalator::new(cfg.clone(), db.clone(), templates.clone());
        let outbox = Outbox::new(
            db.clone(),
            Transport::from_config(&cfg, Some(&db))?,
            cfg.outbox.clone(),
        );
        Ok(App {
            cfg,
            db,
            ingestor,
            escalator,
            outbox,
            templates,
        })
    }

    /// One full pass: take in all waiting mail, scan the SLA clocks, send
    /// the survey reminders and close what is due, queue the daily digest
    /// when due, then send what is due. A digest that cannot be made is
    /// logged and does not stop the pass.
    pub async fn once(
        &self,
        clock: Clock,
    ) -> Result<(PassStats, ScanStats, LifeStats, SendStats, TickStats)> {
        // The outbox sends each batch's mail while the next batch is taken
        // in (both wait on the disk more than on the CPU); what is left
        // goes in the tick at the end.
        let (queued_tx, queued_rx) = watch::channel(());
        let (done_tx, done_rx) = watch::channel(false);
        // A task of its own: it runs on the other core while the intake
        // parses.
        let outbox = self.outbox.clone();
        let sending = tokio::spawn(async move {
            outbox
                .alongside(queued_rx, done_rx, move || clock.now())
                .await
        });
        let intake = self.intake_once(clock, &queued_tx).await;
        // The scans after the intake run while the outbox is still writing
        // out the intake's last mail (it stood idle meanwhile before);
        // what they queue goes in the tick at the end.
        let after = match &intake {
            Ok(_) => Some(self.after_intake(clock).await),
            Err(_) => None,
        };
        let _ = done_tx.send(true);
        let sent_early = sending.await.context("the outbox worker panicked")?;
        let intake = intake?;
        let (scan, life, digest) = after.expect("run after a good intake")?;
        let mut sent = self.outbox.tick(clock.now()).await?;
        sent += sent_early;
        Ok((intake, scan, life, digest, sent))
    }

    /// What [`App::once`] does after its intake but the last send: the SLA
    /// scan, the survey reminders and closes, the daily digest when due. A
    /// digest that cannot be made is logged and does not stop the pass.
    async fn after_intake(&self, clock: Clock) -> Result<(ScanStats, LifeStats, SendStats)> {
        let scan = self.escalator.tick(clock.now()).await?;
        let life = self.escalator.lifecycle().tick(clock.now()).await?;
        let digest = DigestSender::new(self.cfg.clone(), self.db.clone())
            .tick(clock.now())
            .await
            .unwrap_or_else(|e| {
                tracing::warn!(error = %format!("{e:#}"), "digest not sent");
                SendStats::default()
            });
        Ok((scan, life, digest))
    }

    /// The intake of [`App::once`]: all waiting mail, `queued` nudged as
    /// batches that queued mail are committed (Maildir; IMAP at the end).
    async fn intake_once(&self, clock: Clock, queued: &watch::Sender<()>) -> Result<PassStats> {
        Ok(match &self.cfg.inbound {
            Inbound::Maildir {
                path,
                max_message_size,
                poll_interval,
            } => {
                MaildirIntake::new(
                    path,
                    *max_message_size,
                    *poll_interval,
                    self.ingestor.clone(),
                )?
                .tick_nudging(clock.now(), queued)
                .await?
            }
            Inbound::Imap(s) => {
                ImapIntake::new(s.clone(), self.ingestor.clone())
                    .once(move || clock.now())
                    .await?
            }
        })
    }

    /// The daemon: the web listener, intake, the SLA scan and the outbox
    /// until `shutdown` turns true; a nudge of `hup` reloads the
    /// configuration ([`crate::reload`]).
    pub async fn run(
        self,
        shutdown: watch::Receiver<bool>,
        hup: watch::Receiver<()>,
        clock: Clock,
    ) -> Result<()> {
        let (wake_tx, wake_rx) = watch::channel(());
        let (ingestor_tx, ingestor_rx) = watch::channel(self.ingestor.clone());
        let (escalator_tx, escalator_rx) = watch::channel(self.escalator.clone());
        let (config_tx, config_rx) = watch::channel(self.cfg.clone());
        // Bound first: a taken port stops the daemon before any mail moves.
        let web = if self.cfg.web.enabled {
            let limiter = Arc::new(crate::web::survey::Limiter::new(
                self.cfg.web.posts_per_minute,
            ));
            let site =
                crate::web::survey::Site::build(self.cfg.clone(), self.templates.clone(), limiter)?;
            let (site_tx, site_rx) = watch::channel(Arc::new(site));
            // A reload's new configuration reaches the pages too.
            tokio::spawn(crate::web::survey::follow(
                escalator_tx.subscribe(),
                site_tx,
            ));
            let state = WebState::new(self.db.clone(), site_rx);
            Some(Listeners::start(&self.cfg.web, state, shutdown.clone()).await?)
        } else {
            None
        };
        let app = Arc::new(self);
        let reload_task = tokio::spawn(crate::reload::run(
            app.cfg.clone(),
            app.db.clone(),
            crate::reload::Live {
                ingestor: ingestor_tx,
                escalator: escalator_tx,
                config: config_tx,
            },
            hup,
            shutdown.clone(),
        ));
        let scan_task = tokio::spawn(scan(escalator_rx, wake_tx.clone(), shutdown.clone(), clock));
        let digest_task = tokio::spawn(crate::digest::send::run(
            app.db.clone(),
            config_rx,
            wake_tx.clone(),
            shutdown.clone(),
            move || clock.now(),
        ));
        let outbox_task = {
            let app = app.clone();
            let shutdown = shutdown.clone();
            tokio::spawn(
                async move { app.outbox.run(wake_rx, shutdown, move || clock.now()).await },
            )
        };
        let intake_result = match app.cfg.inbound.clone() {
            Inbound::Maildir {
                path,
                max_message_size,
                poll_interval,
            } => {
                let intake = MaildirIntake::new(
                    &path,
                    max_message_size,
                    poll_interval,
                    app.ingestor.clone(),
                )?
                .with_reload(ingestor_rx);
                info!(maildir = %path.display(), "watching Maildir");
                intake
                    .run(shutdown.clone(), wake_tx, move || clock.now())
                    .await
            }
            Inbound::Imap(s) => {
                let lease = s.lease;
                ImapIntake::new(s, app.ingestor.clone())
                    .with_reload(ingestor_rx)
                    .with_lease(lease)
                    .run(shutdown.clone(), wake_tx, move || clock.now())
                    .await
            }
        };
        let scan_result = scan_task.await.context("the SLA scan panicked")?;
        let outbox_result = outbox_task.await.context("the outbox worker panicked")?;
        let digest_result = digest_task.await.context("the digest worker panicked")?;
        let _ = reload_task.await;
        if let Some(web) = web {
            web.join().await;
        }
        info!("posko stopped");
        app.db.close().await;
        intake_result
            .and(scan_result)
            .and(digest_result)
            .and(outbox_result)
    }
}

/// The SLA scan, restarted with the escalator a reload sends: the scan in
/// progress finishes first.
async fn scan(
    mut escalators: watch::Receiver<Escalator>,
    wake: watch::Sender<()>,
    mut shutdown: watch::Receiver<bool>,
    clock: Clock,
) -> Result<()> {
    loop {
        let escalator = escalators.borrow_and_update().clone();
        let (stop_tx, stop_rx) = watch::channel(*shutdown.borrow());
        let running = escalator.run(wake.clone(), stop_rx, move || clock.now());
        tokio::pin!(running);
        let reloaded = tokio::select! {
            r = &mut running => return r,
            r = escalators.changed() => r.is_ok(),
            _ = shutdown.changed() => false,
        };
        let _ = stop_tx.send(true);
        running.await?;
        if !reloaded {
            return Ok(());
        }
    }
}
