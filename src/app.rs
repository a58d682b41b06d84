//! Builds the workers from the configuration and runs them until shutdown.
//!
//! Three workers share the database: intake (Maildir or IMAP), the SLA scan
//! ([`crate::escalation`]) and the outbox. Intake and the scan nudge the
//! outbox after they queued mail, so an acknowledgment or a breach notice
//! leaves within moments. On shutdown each worker
//! finishes the step it is in (a batch is committed and marked done, a
//! message being sent is recorded), then stops.

use std::sync::Arc;

use anyhow::{Context, Result};
use tokio::sync::watch;
use tracing::info;

use crate::config::{Config, Inbound};
use crate::escalation::{Escalator, ScanStats};
use crate::inbound::PassStats;
use crate::inbound::imap::ImapIntake;
use crate::ingest::Ingestor;
use crate::notify::Templates;
use crate::outbox::{Outbox, TickStats, Transport};
use crate::store::Db;
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
            Clock::Wall => crate::compose::wall_clock(),
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
}

impl App {
    /// Opens the database (running migrations), compiles the templates and
    /// sets up the transport.
    pub async fn build(cfg: Config) -> Result<App> {
        let cfg = Arc::new(cfg);
        let db = Db::open(&cfg).await?;
        db.migrate().await?;
        let templates = Arc::new(Templates::load(cfg.desk.templates.as_deref())?);
        let ingestor = Ingestor::new(cfg.clone(), db.clone(), templates.clone());
        ingestor.prepare().await?;
        let escalator = Escalator::new(cfg.clone(), db.clone(), templates);
        let outbox = Outbox::new(
            db.clone(),
            Transport::from_config(&cfg)?,
            cfg.outbox.clone(),
        );
        Ok(App {
            cfg,
            db,
            ingestor,
            escalator,
            outbox,
        })
    }

    /// One full pass: take in all waiting mail, scan the SLA clocks, then
    /// send what is due.
    pub async fn once(&self, clock: Clock) -> Result<(PassStats, ScanStats, TickStats)> {
        let intake = match &self.cfg.inbound {
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
                .tick(clock.now())
                .await?
            }
            Inbound::Imap(s) => {
                ImapIntake::new(s.clone(), self.ingestor.clone())
                    .once(move || clock.now())
                    .await?
            }
        };
        let scan = self.escalator.tick(clock.now()).await?;
        let sent = self.outbox.tick(clock.now()).await?;
        Ok((intake, scan, sent))
    }

    /// The daemon: intake and outbox until `shutdown` turns true.
    pub async fn run(self, shutdown: watch::Receiver<bool>, clock: Clock) -> Result<()> {
        let (wake_tx, wake_rx) = watch::channel(());
        let app = Arc::new(self);
        let scan_task = {
            let escalator = app.escalator.clone();
            let shutdown = shutdown.clone();
            let wake = wake_tx.clone();
            tokio::spawn(async move { escalator.run(wake, shutdown, move || clock.now()).await })
        };
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
                )?;
                info!(maildir = %path.display(), "watching Maildir");
                intake
                    .run(shutdown.clone(), wake_tx, move || clock.now())
                    .await
            }
            Inbound::Imap(s) => {
                ImapIntake::new(s, app.ingestor.clone())
                    .run(shutdown.clone(), wake_tx, move || clock.now())
                    .await
            }
        };
        let scan_result = scan_task.await.context("the SLA scan panicked")?;
        let outbox_result = outbox_task.await.context("the outbox worker panicked")?;
        info!("posko stopped");
        app.db.close().await;
        intake_result.and(scan_result).and(outbox_result)
    }
}
