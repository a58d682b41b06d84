//! The database: one code path for SQLite and PostgreSQL.
//!
//! Queries go through sqlx's `Any` driver with `$1`-style parameters, which
//! both backends accept, and use only types both share (BIGINT, TEXT, bytes),
//! so every query is written once and tested on both. Each submodule holds
//! the queries of one table as free functions taking a connection; the use
//! case (e.g. [`crate::ingest`]) opens the transaction and owns it.

pub mod checkpoint;
pub mod digest;
pub mod digest_sends;
pub mod events;
pub mod leases;
pub mod mailbox_state;
pub mod messages;
pub mod oauth_tokens;
pub mod outbox;
#[cfg(test)]
mod partial_index_tests;
pub mod participants;
pub mod quarantine;
pub mod raw;
pub mod script;
mod script_pg;
pub mod sla_clocks;
pub mod staff_keys;
mod survey_answers;
pub mod surveys;
pub mod surveys_read;
pub mod ticket_sent;
pub mod tickets;
mod turns;
pub mod unit;
pub mod watchers;

use std::path::Path;
use std::str::FromStr;
use std::time::Duration;

use anyhow::Context;
use sqlx::any::{AnyConnectOptions, AnyPoolOptions};
use sqlx::migrate::Migrator;
use sqlx::{AnyConnection, AnyPool, Transaction};

pub type Conn = AnyConnection;
pub type Tx = Transaction<'static, sqlx::Any>;

static SQLITE_MIGRATIONS: Migrator = sqlx::migrate!("./migrations/sqlite");
static POSTGRES_MIGRATIONS: Migrator = sqlx::migrate!("./migrations/postgres");

/// How long SQLite waits for a lock held by another process before failing,
/// unless `database.busy_timeout` says otherwise.
const SQLITE_BUSY_TIMEOUT: Duration = Duration::from_secs(10);

/// Set on every PostgreSQL connection (issue 14, story 4). Every statement
/// posko sends is prepared once per connection (sqlx's cache, the scripts'
/// `PREPARE`), and PostgreSQL by default plans a prepared statement afresh
/// for each of its first five runs before it settles on one plan. The
/// batch's merged inserts have a text per table, row count and stage (many
/// texts, each run a few times per connection) and thousands of
/// parameters: re-planning them was a tenth of the server's CPU per
/// message. The one plan is made for any arguments: posko's statements
/// find rows by keys and ranges through their indexes, which is what the
/// plan tests check (`store::script_pg` tests: generic plans made on empty
/// tables), and what a connection ran after its fifth run anyway.
const PG_SESSION: &str = "SET plan_cache_mode = force_generic_plan";

/// A report's connection ([`Db::acquire_for_report`]): plans per run.
const PG_REPORT_SESSION: &str = "SET plan_cache_mode = auto";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// The backend behind a connection, for a use case that holds only the
/// connection (a [`script::Script`] is sent differently to each).
pub fn backend_of(c: &Conn) -> Backend {
    if c.backend_name().eq_ignore_ascii_case("sqlite") {
        Backend::Sqlite
    } else {
        Backend::Postgres
    }
}

/// A connection pool and the backend behind it.
#[derive(Clone, Debug)]
pub struct Db {
    pool: AnyPool,
    backend: Backend,
    /// SQLite only: the background WAL checkpoints.
    checkpointer: Option<checkpoint::Checkpointer>,
    /// SQLite only: turns at the write lock (see [`turns`]).
    turns: Option<turns::WriteTurns>,
}

impl Db {
    /// Connects to `url` (`sqlite://path` or `postgres://…`), creating the
    /// SQLite file and its directory when missing.
    pub async fn connect(url: &str) -> anyhow::Result<Db> {
        Db::connect_with(url, SQLITE_BUSY_TIMEOUT).await
    }

    /// The database `cfg` names, with its settings.
    pub async fn open(cfg: &crate::config::Config) -> anyhow::Result<Db> {
        Db::connect_with(&cfg.database_url, cfg.database_busy_timeout).await
    }

    /// [`Db::connect`] with SQLite's busy timeout given.
    pub async fn connect_with(url: &str, busy_timeout: Duration) -> anyhow::Result<Db> {
        let busy_ms = busy_timeout.as_millis();
        sqlx::any::install_default_drivers();
        let backend = if url.starts_with("sqlite:") {
            Backend::Sqlite
        } else {
            Backend::Postgres
        };
        let url = match backend {
            Backend::Sqlite => sqlite_url(url)?,
            Backend::Postgres => url.to_string(),
        };
        let opts = AnyConnectOptions::from_str(&url)
            .with_context(|| format!("invalid database url {url:?}"))?;
        let pool = match backend {
            Backend::Sqlite => {
                AnyPoolOptions::new()
                    // SQLite has one writer at a time anyway; a few readers
                    // are enough for the CLI and the workers.
                    .max_connections(4)
                    // A writer waiting out busy_timeout holds its
                    // connection meanwhile; the others must not give up
                    // before it does.
                    .acquire_timeout(Duration::from_secs(30).max(busy_timeout * 2))
                    .after_connect(move |conn, _| {
                        Box::pin(async move {
                            use sqlx::Executor;
                            // WAL lets readers run beside the writer;
                            // synchronous=FULL makes each commit durable
                            // (the message is acknowledged to the mail
                            // server only after it).
                            // Checkpoints run in the background
                            // (`checkpoint`), the writer's own only past
                            // a larger log than SQLite's default.
                            let pragmas = format!(
                                "PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL; \
                                 PRAGMA busy_timeout = {busy_ms}; \
                                 PRAGMA foreign_keys = ON; \
                                 PRAGMA wal_autocheckpoint = {};",
                                checkpoint::AUTOCHECKPOINT_PAGES
                            );
                            conn.execute(sqlx::AssertSqlSafe(pragmas)).await?;
                            Ok(())
                        })
                    })
                    .connect_with(opts)
                    .await
            }
            Backend::Postgres => {
                AnyPoolOptions::new()
                    .max_connections(8)
                    .acquire_timeout(Duration::from_secs(30))
                    .after_connect(|conn, _| {
                        Box::pin(async move {
                            use sqlx::Executor;
                            conn.execute(PG_SESSION).await?;
                            Ok(())
                        })
                    })
                    .connect_with(opts)
                    .await
            }
        }
        .with_context(|| format!("cannot open the database {}", redact(&url)))?;
        let checkpointer = match backend {
            Backend::Sqlite => Some(checkpoint::Checkpointer::start(pool.clone())),
            Backend::Postgres => None,
        };
        let turns = match backend {
            Backend::Sqlite => Some(turns::WriteTurns::new()),
            Backend::Postgres => None,
        };
        Ok(Db {
            pool,
            backend,
            checkpointer,
            turns,
        })
    }

    pub fn backend(&self) -> Backend {
        self.backend
    }

    pub fn pool(&self) -> &AnyPool {
        &self.pool
    }

    /// A connection for a one-off read of many rows (the digest, `posko
    /// report`): on PostgreSQL it plans each statement for its arguments
    /// (`plan_cache_mode = auto`, the server's default) rather than the
    /// pool's one generic plan ([`PG_SESSION`]): a report's statement runs
    /// once, over a period whose length decides whether an index or a scan
    /// is the better plan. The connection is closed when dropped, so the
    /// setting never reaches the pool's other users.
    pub async fn acquire_for_report(
        &self,
    ) -> anyhow::Result<sqlx::pool::PoolConnection<sqlx::Any>> {
        let mut c = self
            .pool
            .acquire()
            .await
            .context("cannot get a database connection")?;
        if self.backend == Backend::Postgres {
            c.close_on_drop();
            sqlx::raw_sql(PG_REPORT_SESSION)
                .execute(&mut *c)
                .await
                .context("cannot set up the report's connection")?;
        }
        Ok(c)
    }

    /// Applies pending migrations.
    pub async fn migrate(&self) -> anyhow::Result<()> {
        let m = match self.backend {
            Backend::Sqlite => &SQLITE_MIGRATIONS,
            Backend::Postgres => &POSTGRES_MIGRATIONS,
        };
        // sqlx takes no lock around SQLite migrations: two processes that
        // start on one file at once (the daemon and a `posko tickets list`)
        // may both decide a migration is due, and the second fails on what
        // the first made. Each migration is its own transaction, so the
        // loser changed nothing; a second run, after the winner committed,
        // finds every migration applied.
        let mut attempts = 0;
        loop {
            match m.run(&self.pool).await {
                Ok(()) => return Ok(()),
                Err(e) if self.backend == Backend::Sqlite && attempts < 3 => {
                    attempts += 1;
                    tracing::debug!(error = %e, attempts, "migration raced another process; again");
                    tokio::time::sleep(std::time::Duration::from_millis(100 * attempts)).await;
                }
                Err(e) => return Err(e).context("database migration failed"),
            }
        }
    }

    /// Begins a write transaction.
    ///
    /// On SQLite it is `BEGIN IMMEDIATE`: taking the write lock up front means
    /// a busy database makes us wait (busy_timeout) instead of failing when a
    /// read transaction later tries to upgrade to a write.
    pub async fn begin(&self) -> anyhow::Result<Tx> {
        let tx = match self.backend {
            Backend::Sqlite => self.pool.begin_with("BEGIN IMMEDIATE").await,
            Backend::Postgres => self.pool.begin().await,
        };
        if let Some(c) = &self.checkpointer {
            c.poke();
        }
        tx.context("cannot begin a database transaction")
    }

    /// Waits for a bulk writer's turn at SQLite's write lock (the intake's
    /// batches, the outbox's claims; see [`turns`]): hold it from before
    /// [`Db::begin`] until after the commit. `None` on PostgreSQL.
    pub async fn write_turn(&self) -> Option<tokio::sync::SemaphorePermit<'_>> {
        match &self.turns {
            Some(t) => Some(t.take().await),
            None => None,
        }
    }

    /// One trivial query: does the database answer (`/readyz`)?
    pub async fn ping(&self) -> anyhow::Result<()> {
        sqlx::query("SELECT 1")
            .execute(&self.pool)
            .await
            .context("the database does not answer")?;
        Ok(())
    }

    pub async fn close(&self) {
        self.pool.close().await;
        if let Some(c) = &self.checkpointer {
            c.stop();
        }
    }

    /// A handle that never connects, for work that must not touch a
    /// database ([`crate::ingest::Ingestor::offline`]): the pool is lazy and
    /// has no maintenance task, so making it needs no runtime and no I/O,
    /// and a query on it (a bug there) fails instead of writing anywhere.
    pub fn unconnected() -> Db {
        sqlx::any::install_default_drivers();
        let opts = AnyConnectOptions::from_str("sqlite://posko-unconnected.db?mode=ro")
            .expect("a constant sqlite url");
        let pool = AnyPoolOptions::new()
            .idle_timeout(None)
            .max_lifetime(None)
            .acquire_timeout(Duration::from_millis(1))
            .connect_lazy_with(opts);
        Db {
            pool,
            backend: Backend::Sqlite,
            checkpointer: None,
            turns: None,
        }
    }
}

/// Makes SQLite create the file (and its directory) when missing.
pub(crate) fn sqlite_url(url: &str) -> anyhow::Result<String> {
    let rest = url
        .trim_start_matches("sqlite://")
        .trim_start_matches("sqlite:");
    let (path, params) = match rest.split_once('?') {
        Some((p, q)) => (p, Some(q)),
        None => (rest, None),
    };
    let dir = Path::new(path)
        .parent()
        .filter(|d| !d.as_os_str().is_empty());
    if path != ":memory:"
        && let Some(dir) = dir
    {
        std::fs::create_dir_all(dir)
            .with_context(|| format!("cannot create the directory {}", dir.display()))?;
    }
    let mut params = params.unwrap_or("").to_string();
    if !params.contains("mode=") {
        if !params.is_empty() {
            params.push('&');
        }
        params.push_str("mode=rwc");
    }
    Ok(format!("sqlite://{path}?{params}"))
}

/// The url without its password, for messages.
pub fn redact(url: &str) -> String {
    match url::Url::parse(url) {
        Ok(mut u) if u.password().is_some() => {
            let _ = u.set_password(Some("***"));
            u.to_string()
        }
        _ => url.to_string(),
    }
}

/// The database could not be reached for a whole batch (locked, gone): the
/// message was not tried, and is left for the next pass.
#[derive(Debug, thiserror::Error)]
#[error("not taken in now, the database is unavailable: {0}")]
pub struct Unavailable(pub String);

/// True when the error is worth retrying later: a locked or busy database,
/// a lost connection, a pool timeout. The MTA pipe maps it to exit status 75.
pub fn is_transient(err: &anyhow::Error) -> bool {
    err.chain().any(|cause| {
        if cause.downcast_ref::<Unavailable>().is_some() {
            return true;
        }
        if let Some(e) = cause.downcast_ref::<sqlx::Error>() {
            match e {
                sqlx::Error::Io(_)
                | sqlx::Error::PoolTimedOut
                | sqlx::Error::PoolClosed
                | sqlx::Error::WorkerCrashed => return true,
                sqlx::Error::Database(db) => {
                    let msg = db.message().to_ascii_lowercase();
                    let code = db.code().map(|c| c.to_string()).unwrap_or_default();
                    // SQLite: 5 BUSY, 6 LOCKED (and extended codes);
                    // PostgreSQL: 40001 serialization, 40P01 deadlock,
                    // 57P0x shutdown, 08xxx connection.
                    return msg.contains("locked")
                        || msg.contains("busy")
                        || code == "5"
                        || code == "6"
                        || code.starts_with("40")
                        || code.starts_with("57P")
                        || code.starts_with("08");
                }
                _ => {}
            }
        }
        cause.downcast_ref::<std::io::Error>().is_some()
    })
}

/// True when the error is a unique-constraint violation (a concurrent
/// instance won a race to insert the same row).
pub fn is_unique_violation(err: &sqlx::Error) -> bool {
    match err {
        sqlx::Error::Database(db) => {
            matches!(db.kind(), sqlx::error::ErrorKind::UniqueViolation)
                || db.message().contains("UNIQUE constraint failed")
        }
        _ => false,
    }
}
