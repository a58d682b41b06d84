//! The database look behind `/readyz` and `posko_ready`: can posko write
//! now?
//!
//! A `SELECT 1` says little: on SQLite it never touches the file, so a
//! database held by another process (an admin's `sqlite3` with an exclusive
//! lock, a long write transaction) looked ready while every write waited
//! out its busy timeout and failed. The probe takes the write lock and
//! lets go at once (`BEGIN IMMEDIATE; ROLLBACK`: no change, no sync),
//! waiting at most [`SQLITE_WAIT`] for it; on PostgreSQL, whose writers do
//! not lock the whole database, `SELECT 1` is the look.
//!
//! It runs on a connection of its own, not the pool's: when the database
//! is locked, the workers hold the pool's connections while they wait, and
//! the probe would only learn that the pool is busy. A probe's result is
//! reused for [`FRESH_FOR`], and callers at the same moment share one
//! probe, so a scraper hammering `/metrics` costs the database one look a
//! second.

use std::str::FromStr;
use std::time::{Duration, Instant};

use sqlx::any::AnyConnectOptions;
use sqlx::{AnyConnection, ConnectOptions, Executor};
use tokio::sync::Mutex;

use crate::store::{Backend, backend_of};

/// How long a probe's result stands.
pub const FRESH_FOR: Duration = Duration::from_secs(1);

/// How long the probe waits for SQLite's write lock. posko's own write
/// transactions are a batch of messages, well under this.
pub const SQLITE_WAIT: Duration = Duration::from_secs(1);

/// The most a probe may take, connecting included.
pub const PROBE_TIMEOUT: Duration = Duration::from_secs(2);

/// The probe's connection and last result.
#[derive(Default)]
pub struct DbProbe {
    state: Mutex<State>,
}

#[derive(Default)]
struct State {
    conn: Option<AnyConnection>,
    last: Option<(Instant, Result<(), String>)>,
}

/// What [`DbProbe::check`] found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Probed {
    /// A probe ran now: `Err` holds the problem ("locked", "unreachable (…)").
    Fresh(Result<(), String>),
    /// Within [`FRESH_FOR`] of the last probe, whose result this is.
    Recent(Result<(), String>),
}

impl DbProbe {
    /// Looks at the database at `url` (the configured URL), or hands back
    /// the result of a look less than [`FRESH_FOR`] old.
    pub async fn check(&self, url: &str) -> Probed {
        let mut s = self.state.lock().await;
        if let Some((at, r)) = &s.last
            && at.elapsed() < FRESH_FOR
        {
            return Probed::Recent(r.clone());
        }
        // A kept connection may have died with a restarted server: one more
        // try on a fresh one before saying the database is down.
        let reused = s.conn.is_some();
        let mut r = probe(&mut s.conn, url).await;
        if r.is_err() && reused {
            r = probe(&mut s.conn, url).await;
        }
        s.last = Some((Instant::now(), r.clone()));
        Probed::Fresh(r)
    }
}

/// One look; a connection that failed is dropped (closing it ends any
/// transaction it was in).
async fn probe(conn: &mut Option<AnyConnection>, url: &str) -> Result<(), String> {
    let r = tokio::time::timeout(PROBE_TIMEOUT, look(conn, url)).await;
    let r =
        match r {
            Ok(Ok(())) => return Ok(()),
            Ok(Err(e)) => Err(super::health::database_problem(&e)
                .unwrap_or_else(|| format!("unreachable ({e:#})"))),
            Err(_) => Err(format!("no answer within {} s", PROBE_TIMEOUT.as_secs())),
        };
    *conn = None;
    r
}

async fn look(conn: &mut Option<AnyConnection>, url: &str) -> anyhow::Result<()> {
    let c = match conn {
        Some(c) => c,
        None => conn.insert(connect(url).await?),
    };
    match backend_of(c) {
        Backend::Sqlite => {
            c.execute("BEGIN IMMEDIATE").await?;
            c.execute("ROLLBACK").await?;
        }
        Backend::Postgres => {
            c.execute("SELECT 1").await?;
        }
    }
    Ok(())
}

async fn connect(url: &str) -> anyhow::Result<AnyConnection> {
    sqlx::any::install_default_drivers();
    let url = if url.starts_with("sqlite:") {
        crate::store::sqlite_url(url)?
    } else {
        url.to_string()
    };
    let mut c = AnyConnectOptions::from_str(&url)?
        .disable_statement_logging()
        .connect()
        .await?;
    if backend_of(&c) == Backend::Sqlite {
        let wait = format!("PRAGMA busy_timeout = {}", SQLITE_WAIT.as_millis());
        c.execute(sqlx::AssertSqlSafe(wait)).await?;
    }
    Ok(c)
}
