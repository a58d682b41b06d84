//! SQLite's WAL checkpoints, moved off the writer's path.
//!
//! In WAL mode a commit appends pages to the `-wal` file and syncs it; the
//! pages are copied back into the database file later, by a checkpoint.
//! SQLite's own rule runs that checkpoint inside the commit that takes the
//! log past `wal_autocheckpoint` pages, so with big ingest batches nearly
//! every commit paid for one: a third of a batch's time, while the rest of
//! posko waited. Here a task runs a PASSIVE checkpoint (it never blocks the
//! writer or readers) shortly after each write transaction begins, on
//! another connection, so on a machine with two cores it overlaps with the
//! next batch's work. Durability is unchanged: a commit is on disk once the
//! WAL is synced, checkpointed or not. The writer's own rule stays as a
//! back-stop at [`AUTOCHECKPOINT_PAGES`]: it then copies only what this
//! task has not, and lets SQLite start the log over.

use std::sync::Arc;
use std::time::Duration;

use sqlx::AnyPool;
use tokio::sync::Notify;
use tracing::debug;

/// `PRAGMA wal_autocheckpoint` of every connection (pages of 4 KiB): the
/// writer checkpoints itself only when the log grows past 32 MiB.
pub const AUTOCHECKPOINT_PAGES: u32 = 8192;

/// How long after a write transaction begins the checkpoint runs: long
/// enough for the transaction before it to have committed, short enough to
/// keep the log small. Several transactions within it share one checkpoint.
const DELAY: Duration = Duration::from_millis(50);

/// Wakes the checkpoint task; cheap to clone.
#[derive(Clone, Debug)]
pub struct Checkpointer {
    wake: Arc<Notify>,
}

impl Checkpointer {
    /// Starts the task on the current tokio runtime. It ends when the pool
    /// is closed (see [`Checkpointer::stop`]).
    pub fn start(pool: AnyPool) -> Checkpointer {
        let wake = Arc::new(Notify::new());
        tokio::spawn(run(pool, wake.clone()));
        Checkpointer { wake }
    }

    /// A write transaction began: checkpoint soon.
    pub fn poke(&self) {
        self.wake.notify_one();
    }

    /// Lets the task see that the pool is closed, and end.
    pub fn stop(&self) {
        self.wake.notify_one();
    }
}

async fn run(pool: AnyPool, wake: Arc<Notify>) {
    loop {
        wake.notified().await;
        if pool.is_closed() {
            return;
        }
        tokio::time::sleep(DELAY).await;
        if pool.is_closed() {
            return;
        }
        // A failure (a busy database, a closed pool) only means this round
        // is skipped: the next one, or the writer's back-stop, catches up.
        if let Err(e) = sqlx::query("PRAGMA wal_checkpoint(PASSIVE)")
            .execute(&pool)
            .await
        {
            debug!(error = %e, "background WAL checkpoint skipped");
        }
    }
}

#[cfg(test)]
mod tests {
    use std::time::Instant;

    use crate::store::Db;

    /// Without the task, committed pages would stay in the `-wal` file (the
    /// writer's own checkpoint waits for 32 MiB of log); with it, they reach
    /// the database file shortly after the commit.
    #[tokio::test]
    async fn committed_pages_reach_the_database_file_in_the_background() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("c.db");
        let db = Db::connect(&format!("sqlite://{}", path.display()))
            .await
            .unwrap();
        let before = std::fs::metadata(&path).unwrap().len();
        let mut tx = db.begin().await.unwrap();
        sqlx::query("CREATE TABLE t (b BLOB)")
            .execute(&mut *tx)
            .await
            .unwrap();
        sqlx::query("INSERT INTO t VALUES ($1)")
            .bind(vec![7u8; 512 * 1024])
            .execute(&mut *tx)
            .await
            .unwrap();
        tx.commit().await.unwrap();
        let started = Instant::now();
        loop {
            let size = std::fs::metadata(&path).unwrap().len();
            if size >= before + 512 * 1024 {
                break;
            }
            assert!(
                started.elapsed().as_secs() < 10,
                "the database file is still {size} bytes: no checkpoint ran"
            );
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }
        db.close().await;
    }
}
