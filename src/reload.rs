//! `systemctl reload posko` (SIGHUP): re-read the configuration file and
//! the templates, and hand the workers an ingestor and an SLA scan built
//! from them. The workers take the new ones up between passes, so no mail
//! is dropped or taken in twice: a pass in progress finishes with the
//! configuration it started with.
//!
//! What changes: the rules, the catalogue and priorities, staff, the SLA
//! targets and escalation, the desk's wording, the templates. What needs a
//! restart: the database, the mailbox, the mail server, the outbox policy,
//! the listener and the log (a reload that changes them says so and keeps
//! the running ones). A file that does not load, or templates that do not
//! compile, are refused with a logged error, and the running configuration
//! stays.

use std::sync::Arc;

use anyhow::{Context, Result};
use tokio::sync::watch;
use tracing::{error, info, warn};

use crate::config::{self, Config};
use crate::ingest::Ingestor;
use crate::mail::templates::Templates;
use crate::monitor;
use crate::sla::scan::Escalator;
use crate::store::Db;

/// What a reload hands the workers.
pub struct Live {
    pub ingestor: watch::Sender<Ingestor>,
    pub escalator: watch::Sender<Escalator>,
    /// The configuration itself, for the digest worker.
    pub config: watch::Sender<Arc<Config>>,
}

/// Builds the workers' parts from the file `running` was read from.
/// `Err` (the reason) leaves everything as it was.
pub async fn rebuild(running: &Config, db: &Db) -> Result<(Ingestor, Escalator)> {
    let fresh = config::load(&running.source).map_err(anyhow::Error::new)?;
    for part in needs_restart(running, &fresh) {
        warn!(
            part,
            "configuration reload: {part} changed; it takes effect at the next restart"
        );
    }
    // Keep what only a restart changes, so the workers' view stays one
    // consistent configuration.
    let fresh = Config {
        database_url: running.database_url.clone(),
        database_busy_timeout: running.database_busy_timeout,
        inbound: running.inbound.clone(),
        outbound: running.outbound.clone(),
        outbox: running.outbox.clone(),
        web: running.web.clone(),
        log: running.log.clone(),
        ..fresh
    };
    let templates = Arc::new(
        Templates::load(fresh.desk.templates.as_deref()).context("the templates do not load")?,
    );
    let fresh = Arc::new(fresh);
    let ingestor = Ingestor::new(fresh.clone(), db.clone(), templates.clone());
    ingestor.prepare().await?;
    let escalator = Escalator::new(fresh, db.clone(), templates);
    Ok((ingestor, escalator))
}

/// The sections a reload does not apply. Compared through their `Debug`
/// text: the sections carry no `PartialEq`, and a reload is rare.
fn needs_restart(old: &Config, new: &Config) -> Vec<&'static str> {
    let same =
        |a: &dyn std::fmt::Debug, b: &dyn std::fmt::Debug| format!("{a:?}") == format!("{b:?}");
    let mut parts = Vec::new();
    if old.database_url != new.database_url
        || old.database_busy_timeout != new.database_busy_timeout
    {
        parts.push("[database]");
    }
    if !same(&old.inbound, &new.inbound) {
        parts.push("[inbound]");
    }
    if !same(&old.outbound, &new.outbound) || !same(&old.outbox, &new.outbox) {
        parts.push("[outbound]");
    }
    if old.web != new.web {
        parts.push("[web]");
    }
    if !same(&old.log, &new.log) {
        parts.push("[log]");
    }
    parts
}

/// Reloads on every nudge of `hup` until `shutdown`. The configuration a
/// reload builds on is the last one that loaded.
pub async fn run(
    mut running: Arc<Config>,
    db: Db,
    live: Live,
    mut hup: watch::Receiver<()>,
    mut shutdown: watch::Receiver<bool>,
) {
    loop {
        tokio::select! {
            r = hup.changed() => if r.is_err() { return },
            _ = shutdown.changed() => return,
        }
        info!(file = %running.source.display(), "SIGHUP: reloading the configuration");
        match rebuild(&running, &db).await {
            Ok((ingestor, escalator)) => {
                running = ingestor.config().clone();
                let _ = live.ingestor.send(ingestor);
                let _ = live.escalator.send(escalator);
                let _ = live.config.send(running.clone());
                monitor::get().metrics.record_reload(true);
                info!("configuration reloaded: rules, catalogue, staff, SLA and templates");
            }
            Err(e) => {
                monitor::get().metrics.record_reload(false);
                error!(
                    error = %format!("{e:#}"),
                    "configuration reload refused; the running configuration stays"
                );
            }
        }
    }
}
