//! The IMAP source: UID-based intake with IDLE, timeouts and reconnects.
//!
//! Where we stopped is the pair (UIDVALIDITY, last UID) kept in the
//! database, not the \Seen flag, which people and other clients change. A
//! message is flagged or moved on the server only after its ticket is
//! committed; if UIDVALIDITY changes (the mailbox was recreated) everything
//! is read again and the dedupe key keeps that harmless.
//!
//! async-imap bounds only IDLE with a timeout, so every other command is
//! wrapped in one here: a server that stops answering cannot hang intake.

use std::collections::HashSet;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, Result, anyhow};
use async_imap::types::Fetch;
use async_imap::{Client, Session};
use futures::TryStreamExt;
use tokio::net::TcpStream;
use tokio::sync::watch;
use tracing::{debug, warn};

use super::imap_auth::{self, Credentials, Mechanism};
use super::{PassStats, batches, tls};
use crate::config::{ImapSettings, MailAuth, Security};
use crate::ingest::{Incoming, Ingestor, Outcome};
use crate::store::mailbox_state;
use crate::workers::lease::Lease;

pub use super::imap_check::check;
pub use super::imap_conn::ImapConn;

pub type ImapSession = Session<ImapConn>;

/// Runs `f` with the configured timeout; a timeout is an error like any other.
pub(super) async fn timed<T, E: std::fmt::Display>(
    dur: Duration,
    what: &str,
    f: impl std::future::Future<Output = Result<T, E>>,
) -> Result<T> {
    match tokio::time::timeout(dur, f).await {
        Ok(Ok(v)) => Ok(v),
        Ok(Err(e)) => Err(anyhow!("IMAP {what} failed: {e}")),
        Err(_) => Err(anyhow!("IMAP {what} timed out after {}s", dur.as_secs())),
    }
}

/// An open, selected mailbox.
pub struct Connected {
    pub session: ImapSession,
    pub uidvalidity: u32,
    pub can_idle: bool,
    pub can_move: bool,
    /// When the OAuth access token it logged in with runs out: the
    /// session is renewed then.
    pub token_expires: Option<i64>,
}

/// The IMAP intake worker.
pub struct ImapIntake {
    pub(super) settings: ImapSettings,
    /// The ingestor of the running configuration; a reload (SIGHUP) sends
    /// a new one, taken up at the next pass.
    ingestor: watch::Receiver<Ingestor>,
    /// The key of this mailbox in `mailbox_state`.
    pub(super) source: String,
    credentials: Credentials,
    /// The daemon's leader lease on this mailbox (several instances on one
    /// database): renewed before every chunk. `None` for `run --once`.
    pub(super) lease: Option<Lease>,
}

impl ImapIntake {
    pub fn new(settings: ImapSettings, ingestor: Ingestor) -> ImapIntake {
        let source = format!(
            "imap://{}@{}:{}/{}",
            settings.username, settings.host, settings.port, settings.mailbox
        );
        let credentials = match &settings.auth {
            MailAuth::Password { password_env } => Credentials::Password(password_env.clone()),
            MailAuth::OAuth2(o) => Credentials::OAuth2(Arc::new(crate::oauth::TokenSource::new(
                (**o).clone(),
                crate::oauth::Mailbox::Imap,
                Some(ingestor.db().clone()),
            ))),
        };
        ImapIntake {
            settings,
            ingestor: watch::channel(ingestor).1,
            source,
            credentials,
            lease: None,
        }
    }

    /// Reads only while holding the lease `imap:<source>` of `length` in
    /// the database, so several daemons on one database read this mailbox
    /// one at a time ([`crate::workers::lease`]).
    pub fn with_lease(mut self, length: Duration) -> ImapIntake {
        let db = self.ingestor.borrow().db().clone();
        self.lease = Some(Lease::new(db, &format!("imap:{}", self.source), length));
        self
    }

    /// Takes the ingestors a reload sends from `live` (the last one at
    /// each pass).
    pub fn with_reload(mut self, live: watch::Receiver<Ingestor>) -> ImapIntake {
        self.ingestor = live;
        self
    }

    /// Connects, logs in and selects the mailbox.
    pub async fn connect(&self) -> Result<Connected> {
        let s = &self.settings;
        let t = s.timeout;
        let tcp = timed(t, "connect", TcpStream::connect((s.host.as_str(), s.port)))
            .await
            .with_context(|| format!("cannot reach {}:{}", s.host, s.port))?;
        let _ = tcp.set_nodelay(true);
        // The greeting's AUTH= capabilities choose the OAuth mechanism.
        let mut caps = Vec::new();
        let conn = match s.security {
            Security::Tls => {
                let cfg = tls::client_config(&s.tls)?;
                ImapConn::Tls(Box::new(tls::connect(cfg, &s.host, tcp).await?))
            }
            Security::None => ImapConn::Plain(tcp),
            Security::StartTls => {
                let mut client = Client::new(ImapConn::Plain(tcp));
                caps = greeting(&mut client, t).await?;
                timed(
                    t,
                    "STARTTLS",
                    client.run_command_and_check_ok("STARTTLS", None),
                )
                .await?;
                let ImapConn::Plain(tcp) = client.into_inner() else {
                    unreachable!("the connection was made plain above")
                };
                let cfg = tls::client_config(&s.tls)?;
                ImapConn::Tls(Box::new(tls::connect(cfg, &s.host, tcp).await?))
            }
        };
        let mut client = Client::new(conn);
        if s.security != Security::StartTls {
            caps = greeting(&mut client, t).await?;
        }
        let (mut session, token_expires) = imap_auth::login(
            client,
            &s.username,
            &self.credentials,
            Mechanism::choose(&caps),
            t,
        )
        .await?;
        let caps = timed(t, "CAPABILITY", session.capabilities()).await?;
        let can_idle = caps.has_str("IDLE");
        let can_move = caps.has_str("MOVE");
        let mailbox = timed(t, "SELECT", session.select(&s.mailbox))
            .await
            .with_context(|| format!("cannot open the mailbox {:?}", s.mailbox))?;
        let uidvalidity = mailbox
            .uid_validity
            .context("the server sent no UIDVALIDITY: UID-based intake is impossible")?;
        if let Some(target) = &s.processed_mailbox {
            // Create the folder for processed mail if needed; "already exists" is fine.
            let _ = timed(t, "CREATE", session.create(target)).await;
        }
        Ok(Connected {
            session,
            uidvalidity,
            can_idle,
            can_move,
            token_expires,
        })
    }

    /// Takes in every message above the last UID we finished.
    pub async fn pass(&self, conn: &mut Connected, now: impl Fn() -> i64) -> Result<PassStats> {
        let t = self.settings.timeout;
        let mut stats = PassStats::default();
        let db = self.ingestor.borrow().db().clone();
        let mut last_uid = {
            let mut c = db.pool().acquire().await?;
            match mailbox_state::get(&mut c, &self.source).await? {
                Some((v, last)) if v == conn.uidvalidity => last,
                Some((v, _)) => {
                    warn!(
                        old = v,
                        new = conn.uidvalidity,
                        "UIDVALIDITY changed: reading the whole mailbox again"
                    );
                    0
                }
                None => 0,
            }
        };
        loop {
            // `n:*` always names the last message, even when its UID is below
            // n, so filter; and resync by UID rather than trusting EXISTS.
            let query = format!("{}:*", last_uid + 1);
            let sizes: Vec<(u32, u32)> = timed(t, "UID FETCH sizes", async {
                let stream = conn.session.uid_fetch(&query, "(UID RFC822.SIZE)").await?;
                stream
                    .try_filter_map(|f: Fetch| async move {
                        Ok(f.uid.map(|u| (u, f.size.unwrap_or(0))))
                    })
                    .try_collect::<Vec<_>>()
                    .await
            })
            .await?;
            let mut waiting: Vec<(u32, u32)> =
                sizes.into_iter().filter(|(u, _)| *u > last_uid).collect();
            waiting.sort_unstable();
            waiting.dedup();
            if waiting.is_empty() {
                break;
            }
            // Bodies are fetched a batch at a time: bounded in count and
            // bytes (an oversized message is fetched as its header only).
            let max = self.settings.max_message_size;
            let sizes = waiting
                .iter()
                .map(|&(_, s)| if s as u64 > max { 64 * 1024 } else { s as u64 });
            let mut start = 0;
            for n in batches(sizes) {
                let chunk = &waiting[start..start + n];
                start += n;
                // Still ours? A lost lease ends the pass before any work.
                if let Some(lease) = &self.lease {
                    lease.renew(now()).await?;
                }
                let (done, stop) = self.take_chunk(conn, chunk, now(), &mut stats).await?;
                if let Some(uid) = done {
                    last_uid = uid;
                    let mut c = db.pool().acquire().await?;
                    mailbox_state::set(&mut c, &self.source, conn.uidvalidity, last_uid, now())
                        .await?;
                }
                if stop {
                    // Something must be retried later; do not skip past it.
                    return Ok(stats);
                }
            }
        }
        Ok(stats)
    }

    /// Fetches, ingests and marks one chunk. Returns the highest UID up to
    /// which everything is done, and whether to stop the pass.
    async fn take_chunk(
        &self,
        conn: &mut Connected,
        chunk: &[(u32, u32)],
        now: i64,
        stats: &mut PassStats,
    ) -> Result<(Option<u32>, bool)> {
        let t = self.settings.timeout;
        let max = self.settings.max_message_size;
        let uid_set = |uids: &[u32]| {
            uids.iter()
                .map(u32::to_string)
                .collect::<Vec<_>>()
                .join(",")
        };
        let (big, normal): (Vec<u32>, Vec<u32>) = {
            let big: Vec<u32> = chunk
                .iter()
                .filter(|(_, s)| *s as u64 > max)
                .map(|(u, _)| *u)
                .collect();
            let normal = chunk
                .iter()
                .filter(|(_, s)| *s as u64 <= max)
                .map(|(u, _)| *u)
                .collect();
            (big, normal)
        };
        let sizes: std::collections::HashMap<u32, u32> = chunk.iter().copied().collect();
        let mut fetched: Vec<(u32, Incoming)> = Vec::with_capacity(chunk.len());
        if !normal.is_empty() {
            let set = uid_set(&normal);
            let bodies = timed(t, "UID FETCH bodies", async {
                let stream = conn.session.uid_fetch(&set, "(UID BODY.PEEK[])").await?;
                stream
                    .try_filter_map(|f: Fetch| async move {
                        Ok(f.uid.and_then(|u| f.body().map(|b| (u, b.to_vec()))))
                    })
                    .try_collect::<Vec<_>>()
                    .await
            })
            .await?;
            for (uid, raw) in bodies {
                let source = format!("imap:{}:{}:{uid}", self.settings.mailbox, conn.uidvalidity);
                fetched.push((uid, Incoming::new(raw, source)));
            }
        }
        if !big.is_empty() {
            // Never pull an oversized body into memory: the header block is
            // what quarantine keeps, and the message stays on the server.
            let set = uid_set(&big);
            let headers = timed(t, "UID FETCH headers", async {
                let stream = conn
                    .session
                    .uid_fetch(&set, "(UID BODY.PEEK[HEADER])")
                    .await?;
                stream
                    .try_filter_map(|f: Fetch| async move {
                        Ok(f.uid
                            .map(|u| (u, f.header().map(<[u8]>::to_vec).unwrap_or_default())))
                    })
                    .try_collect::<Vec<_>>()
                    .await
            })
            .await?;
            for (uid, head) in headers {
                let source = format!("imap:{}:{}:{uid}", self.settings.mailbox, conn.uidvalidity);
                let mut item = Incoming::new(head, source);
                item.size = sizes.get(&uid).copied().unwrap_or(0) as u64;
                fetched.push((uid, item));
            }
        }
        fetched.sort_by_key(|(u, _)| *u);
        stats.fetched += fetched.len() as u32;
        // Moved, not cloned: a copy of every fetched body would double the
        // memory a chunk takes.
        let (fetched, items): (Vec<u32>, Vec<Incoming>) = fetched.into_iter().unzip();
        // The running configuration's ingestor: a reload is taken up here,
        // between batches.
        let ingestor = self.ingestor.borrow().clone();
        let outcomes = ingestor.ingest_batch(items, now).await;

        let mut done_uids = Vec::new();
        let mut flag_uids = Vec::new();
        let mut highest_done = None;
        let mut stop = false;
        // Messages that vanished between the two fetches (expunged by
        // someone else) are simply passed over.
        let present: HashSet<u32> = fetched.iter().copied().collect();
        for (uid, _) in chunk {
            if !present.contains(uid) && !stop {
                highest_done = Some(*uid);
            }
        }
        for (uid, outcome) in fetched.iter().zip(outcomes) {
            match outcome {
                Ok(o) => {
                    stats.count(&o);
                    if matches!(o, Outcome::Quarantined { .. }) {
                        flag_uids.push(*uid);
                    } else {
                        done_uids.push(*uid);
                    }
                    if !stop {
                        highest_done = Some(highest_done.map_or(*uid, |h: u32| h.max(*uid)));
                    }
                }
                Err(e) => {
                    warn!(uid, error = %format!("{e:#}"), "message left on the server for the next pass");
                    stats.deferred += 1;
                    stop = true;
                }
            }
        }
        self.mark(conn, &done_uids, &flag_uids).await?;
        debug!(
            done = done_uids.len(),
            flagged = flag_uids.len(),
            "chunk marked"
        );
        Ok((highest_done, stop))
    }

    /// Moves finished mail to the processed folder (or flags it \Seen);
    /// quarantined mail stays in place, flagged for a person.
    async fn mark(&self, conn: &mut Connected, done: &[u32], flagged: &[u32]) -> Result<()> {
        let t = self.settings.timeout;
        let set = |uids: &[u32]| {
            uids.iter()
                .map(u32::to_string)
                .collect::<Vec<_>>()
                .join(",")
        };
        if !flagged.is_empty() {
            let s = set(flagged);
            timed(t, "UID STORE", async {
                let stream = conn
                    .session
                    .uid_store(&s, "+FLAGS.SILENT (\\Flagged)")
                    .await?;
                stream.try_collect::<Vec<_>>().await
            })
            .await?;
        }
        if done.is_empty() {
            return Ok(());
        }
        let s = set(done);
        match &self.settings.processed_mailbox {
            Some(target) if conn.can_move => {
                timed(t, "UID MOVE", conn.session.uid_mv(&s, target)).await?;
            }
            Some(target) => {
                timed(t, "UID COPY", conn.session.uid_copy(&s, target)).await?;
                timed(t, "UID STORE", async {
                    let stream = conn
                        .session
                        .uid_store(&s, "+FLAGS.SILENT (\\Seen \\Deleted)")
                        .await?;
                    stream.try_collect::<Vec<_>>().await
                })
                .await?;
                timed(t, "UID EXPUNGE", async {
                    let stream = conn.session.uid_expunge(&s).await?;
                    stream.try_collect::<Vec<_>>().await
                })
                .await?;
            }
            None => {
                timed(t, "UID STORE", async {
                    let stream = conn.session.uid_store(&s, "+FLAGS.SILENT (\\Seen)").await?;
                    stream.try_collect::<Vec<_>>().await
                })
                .await?;
            }
        }
        Ok(())
    }

    /// One connection, one pass, logout: `run --once`.
    pub async fn once(&self, now: impl Fn() -> i64) -> Result<PassStats> {
        let mut conn = self.connect().await?;
        let stats = self.pass(&mut conn, now).await?;
        let _ = timed(self.settings.timeout, "LOGOUT", conn.session.logout()).await;
        Ok(stats)
    }
}

/// Reads the server greeting (`* OK …`); the `AUTH=` mechanisms it lists.
async fn greeting(client: &mut Client<ImapConn>, t: Duration) -> Result<Vec<String>> {
    let resp = timed(t, "greeting", client.read_response()).await?;
    let resp = resp.context("the server closed the connection before greeting")?;
    Ok(imap_auth::greeting_auth(resp.parsed()))
}

/// The shared pieces of an intake worker, for [`crate::app`].
pub type Shared = Arc<ImapIntake>;
