//! The daily send: the daemon's digest worker.
//!
//! [`DigestSender::tick`] is one step, what `run --once` and tests call
//! with `now`: at or after `[digest] at` (desk time zone) on a business day
//! of the desk calendar it queues that day's digest for each recipient
//! ([`jobs`]: the desk-wide list, and each group's leads with the group's
//! digest) that has none yet. The claim is a `digest_sends` row inserted in
//! the transaction that queues the outbox row ([`queue`]), so restarts and
//! several instances send each digest once. Only today's digest is ever
//! due: a daemon down all morning sends today's when it starts; days it
//! missed entirely are not sent late (the next digest covers their time
//! anyway only when they were not business days). [`run`] repeats the tick
//! until shutdown, taking up a reloaded configuration between ticks.

use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, Result};
use tokio::sync::watch;
use tracing::{info, warn};

use super::collect::collect;
use super::mail::{Envelope, compose, content_id};
use super::make::{Digest, labels, make};
use super::period;
use super::render::Templates;
use crate::config::Config;
use crate::domain::EmailAddress;
use crate::mail::compose::new_message_id;
use crate::store::digest_sends::{self, Claim};
use crate::store::outbox::{NewOutgoing, enqueue};
use crate::store::{Conn, Db};

/// How often the daemon looks whether a digest is due. A tick that finds
/// nothing due costs one small query (or none before `at`), and a digest
/// leaves at most this long after `at`.
pub const INTERVAL: Duration = Duration::from_secs(60);

/// One digest to send: to whom, and which tickets (`""`: the whole desk,
/// else a group's key).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Job {
    pub to: EmailAddress,
    pub scope: String,
}

/// Every digest the configuration asks for each business day: the
/// `[digest] to` list on the whole desk, then each group's leads on their
/// group. A lead of two groups gets two digests.
pub fn jobs(cfg: &Config) -> Vec<Job> {
    let desk = cfg.digest.recipients(&cfg.staff).into_iter().map(|to| Job {
        to,
        scope: String::new(),
    });
    let leads = cfg.catalogue.groups.iter().flat_map(|g| {
        g.leads.iter().map(move |to| Job {
            to: to.clone(),
            scope: g.key.clone(),
        })
    });
    desk.chain(leads).collect()
}

/// What one tick did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct SendStats {
    /// Digests queued by this tick.
    pub queued: u32,
    /// Digests due that another tick (or instance) had queued already.
    pub already: u32,
}

/// Composes the digest `d` dated `date` for `to` and queues it in the
/// outbox; with `claim` (the daily send) only when the `digest_sends` claim
/// of (date, `to`, `scope`) is new, in the same transaction. Returns
/// whether it was queued.
pub async fn queue(
    c: &mut Conn,
    cfg: &Config,
    d: &Digest,
    date: &str,
    job: &Job,
    claim: bool,
    now: i64,
) -> Result<bool> {
    let domain = cfg.desk.address.domain();
    let message_id = new_message_id(None, "digest", domain);
    let raw = compose(
        d,
        &Envelope {
            from_name: &cfg.desk.name,
            from: &cfg.desk.address,
            to: &job.to,
            message_id: &message_id,
            date: now,
            digest_date: date,
        },
    )?;
    if claim
        && !digest_sends::claim(
            c,
            &Claim {
                date,
                recipient: job.to.as_str(),
                scope: &job.scope,
                message_id: &message_id,
                now,
            },
        )
        .await?
    {
        return Ok(false);
    }
    let rcpts = vec![job.to.as_str().to_string()];
    enqueue(
        c,
        &NewOutgoing {
            ticket_id: None,
            kind: "digest",
            message_id: &message_id,
            env_from: cfg.desk.address.as_str(),
            rcpts: &rcpts,
            primary_rcpt: job.to.as_str(),
            subject: &d.subject,
            raw: &raw,
            due_at: now,
            now,
        },
    )
    .await?;
    Ok(true)
}

/// The worker. Cheap to clone.
#[derive(Clone)]
pub struct DigestSender {
    cfg: Arc<Config>,
    db: Db,
}

impl DigestSender {
    pub fn new(cfg: Arc<Config>, db: Db) -> DigestSender {
        DigestSender { cfg, db }
    }

    /// Queues the digests due at `now` that nobody queued yet.
    pub async fn tick(&self, now: i64) -> Result<SendStats> {
        let cfg = &self.cfg;
        let s = &cfg.digest;
        let mut stats = SendStats::default();
        let tz = cfg.desk.timezone;
        if !s.enabled {
            return Ok(stats);
        }
        let Some(date) = period::due_at(&cfg.calendar, tz, s.at, now) else {
            return Ok(stats);
        };
        let Some(p) = period::period_for(&cfg.calendar, tz, date) else {
            return Ok(stats);
        };
        let date_text = date.to_string();
        let claimed = {
            let mut c = self.db.pool().acquire().await?;
            digest_sends::claimed(&mut c, &date_text).await?
        };
        let todo: Vec<Job> = jobs(cfg)
            .into_iter()
            .filter(|j| {
                let done = claimed
                    .iter()
                    .any(|(r, sc)| r == j.to.as_str() && *sc == j.scope);
                stats.already += u32::from(done);
                !done
            })
            .collect();
        if todo.is_empty() {
            return Ok(stats);
        }
        // Templates only when a digest is made: once a day per process.
        let templates = Templates::load(cfg.desk.templates.as_deref())?;
        let lang = cfg.desk.language;
        let domain = cfg.desk.address.domain().to_string();
        let mut scopes: Vec<&str> = todo.iter().map(|j| j.scope.as_str()).collect();
        scopes.sort_unstable();
        scopes.dedup();
        for scope in scopes {
            // One computation per scope, however many recipients share it.
            let got = {
                let mut c = self.db.acquire_for_report().await?;
                collect(&mut c, &cfg.calendar, tz, &p, scope, s).await?
            };
            let names = labels(cfg, lang, (!scope.is_empty()).then_some(scope));
            let d = make(&got, &p, tz, lang, &names, &s.font, &templates, |c| {
                format!("cid:{}", content_id(c, &date_text, &domain))
            })
            .with_context(|| format!("cannot make the digest of {date}"))?;
            for job in todo.iter().filter(|j| j.scope == scope) {
                let mut tx = self.db.begin().await?;
                if queue(&mut tx, cfg, &d, &date_text, job, true, now).await? {
                    tx.commit().await.context("cannot commit the digest")?;
                    stats.queued += 1;
                    crate::monitor::get()
                        .metrics
                        .record_digest(!job.scope.is_empty());
                    info!(
                        date = %date_text,
                        to = %job.to,
                        scope = %job.scope,
                        subject = %d.subject,
                        "digest queued"
                    );
                } else {
                    stats.already += 1;
                }
            }
        }
        Ok(stats)
    }
}

/// Ticks every [`INTERVAL`] until `shutdown` turns true, with the
/// configuration `configs` holds (a reload sends a new one); `wake` is
/// nudged when a digest was queued, so the outbox sends it at once.
pub async fn run(
    db: Db,
    mut configs: watch::Receiver<Arc<Config>>,
    wake: watch::Sender<()>,
    mut shutdown: watch::Receiver<bool>,
    clock: impl Fn() -> i64,
) -> Result<()> {
    let mut interval = tokio::time::interval(INTERVAL);
    interval.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut live = true;
    loop {
        if *shutdown.borrow() {
            return Ok(());
        }
        let sender = DigestSender::new(configs.borrow_and_update().clone(), db.clone());
        match sender.tick(clock()).await {
            Ok(stats) if stats.queued > 0 => {
                let _ = wake.send(());
            }
            Ok(_) => {}
            Err(e) => warn!(error = %format!("{e:#}"), "digest not sent"),
        }
        tokio::select! {
            _ = interval.tick() => {}
            // A closed channel (the reloader gone) keeps the last configuration.
            r = configs.changed(), if live => live = r.is_ok(),
            _ = shutdown.changed() => {}
        }
    }
}
