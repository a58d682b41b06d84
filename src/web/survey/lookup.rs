//! Token lookups read together: the pages' reads of a survey by its
//! token's hash that arrive at the same time go to the database as one
//! statement (`… WHERE token_hash IN (…)`, [`surveys::find_many`]).
//!
//! Profiling the GET page under load showed most of the daemon's CPU in
//! the hand-off of each query to the database (sqlx runs each SQLite
//! connection on a thread of its own: two thread wake-ups per query;
//! PostgreSQL: a round trip). One statement for many lookups pays that
//! once. Nothing is cached: every page still reads the row as the
//! database has it at that moment, so a survey answered on another
//! instance of a fleet never shows its form again.
//!
//! As with the answers ([`super::commit`]) there is no waiting window: a
//! reader takes what is queued (at most [`MAX_BATCH`]) when it is free,
//! so a lookup on a quiet desk goes at once.

use std::sync::Arc;

use anyhow::{Result, anyhow};
use tokio::sync::{Mutex, mpsc, oneshot};

use crate::store::surveys::{self, Found};
use crate::store::{Backend, Db};

/// Lookups in one statement at most.
pub const MAX_BATCH: usize = 64;

/// The statement sizes used: a batch is padded to the next (repeating a
/// hash) so that each connection prepares only these few statements.
const SIZES: [usize; 7] = [1, 2, 4, 8, 16, 32, MAX_BATCH];

/// Lookups waiting for a reader.
const QUEUE: usize = 1024;

/// Readers at once on SQLite: two keep both cores of a small machine
/// busy (readers run side by side in WAL mode) and leave two of the
/// pool's four connections to the writer and the workers.
const SQLITE_READERS: usize = 2;

/// Readers at once on PostgreSQL: a round trip waits on the server, so
/// more overlap; half the pool's eight connections.
const PG_READERS: usize = 4;

/// Lookups in one statement at most on PostgreSQL. Measured (GET, 200
/// connections, 2 cores): batches of up to 64 served 6,700 req/s with a
/// p99 of 90–465 ms; up to 16, 18,000 req/s with a p99 of ~29 ms; up to
/// 8, about the same with a p99 of ~20 ms but more CPU per request. The
/// server's time for a statement grows faster than its list, and a large
/// batch holds back every page in it.
const PG_MAX_BATCH: usize = 16;

struct Ask {
    hash: String,
    reply: oneshot::Sender<Result<Option<Found>>>,
}

/// The pages' handle on the readers. Cheap to clone; the readers stop when
/// the last handle is dropped.
#[derive(Clone)]
pub struct Lookups {
    asks: mpsc::Sender<Ask>,
}

impl Lookups {
    pub fn start(db: Db) -> Lookups {
        let (tx, rx) = mpsc::channel(QUEUE);
        let rx = Arc::new(Mutex::new(rx));
        let sql: Arc<Vec<String>> =
            Arc::new(SIZES.iter().map(|n| surveys::find_many_sql(*n)).collect());
        let (readers, most) = match db.backend() {
            Backend::Sqlite => (SQLITE_READERS, MAX_BATCH),
            Backend::Postgres => (PG_READERS, PG_MAX_BATCH),
        };
        for _ in 0..readers {
            tokio::spawn(read(db.clone(), rx.clone(), sql.clone(), most));
        }
        Lookups { asks: tx }
    }

    /// The survey whose first or reminder token hashes to `hash`.
    pub async fn find(&self, hash: String) -> Result<Option<Found>> {
        let (reply, found) = oneshot::channel();
        self.asks
            .send(Ask { hash, reply })
            .await
            .map_err(|_| anyhow!("the survey lookups have stopped"))?;
        found
            .await
            .map_err(|_| anyhow!("the survey lookups dropped a lookup"))?
    }
}

/// One reader: batches of at most `most` until the handles are gone.
async fn read(db: Db, asks: Arc<Mutex<mpsc::Receiver<Ask>>>, sql: Arc<Vec<String>>, most: usize) {
    let mut batch = Vec::with_capacity(most);
    loop {
        if asks.lock().await.recv_many(&mut batch, most).await == 0 {
            return;
        }
        let asked = std::mem::take(&mut batch);
        match find(&db, &sql, &asked).await {
            Ok(found) => {
                for ask in asked {
                    let f = found
                        .iter()
                        .find(|(h, _)| *h == ask.hash)
                        .map(|(_, f)| f.clone());
                    let _ = ask.reply.send(Ok(f));
                }
            }
            Err(e) => {
                let e = format!("{e:#}");
                for ask in asked {
                    let _ = ask.reply.send(Err(anyhow!("cannot read the survey: {e}")));
                }
            }
        }
    }
}

async fn find(db: &Db, sql: &[String], asked: &[Ask]) -> Result<Vec<(String, Found)>> {
    let i = SIZES
        .iter()
        .position(|n| *n >= asked.len())
        .unwrap_or(SIZES.len() - 1);
    let mut hashes: Vec<&str> = asked.iter().map(|a| a.hash.as_str()).collect();
    hashes.resize(SIZES[i], hashes[0]);
    let mut c = db.pool().acquire().await?;
    surveys::find_many_with(&mut c, &sql[i], &hashes).await
}
