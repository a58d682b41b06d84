//! Turns at SQLite's write lock for the bulk writers of one process: the
//! intake's batches and the outbox's claims.
//!
//! SQLite has one writer at a time, and a writer that finds the lock taken
//! polls for it with growing sleeps (the busy handler: 1, 2, 5 … 100 ms).
//! An intake that reads the next batch while one commits starts its next
//! transaction at once after each commit, so the outbox, asleep in its
//! busy handler, rarely sees the lock free: it fell behind and sent most
//! of a pass's mail after the intake. Taking a turn here first queues both
//! in arrival order (a fair semaphore), so each commit hands the lock to
//! whoever waited. Other writers still use the busy handler; on PostgreSQL
//! (row locks, no single writer) there are no turns.

use std::sync::Arc;

use tokio::sync::{Semaphore, SemaphorePermit};

/// The queue for the write lock (cheap to clone: shared).
#[derive(Clone, Debug)]
pub struct WriteTurns(Arc<Semaphore>);

impl WriteTurns {
    pub fn new() -> WriteTurns {
        WriteTurns(Arc::new(Semaphore::new(1)))
    }

    /// Waits for this writer's turn; the turn lasts while the permit lives
    /// (take it before `BEGIN`, drop it after the commit).
    pub async fn take(&self) -> SemaphorePermit<'_> {
        self.0
            .acquire()
            .await
            .expect("the semaphore is never closed")
    }
}

impl Default for WriteTurns {
    fn default() -> WriteTurns {
        WriteTurns::new()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A writer that wants its turn back at once after giving it up waits
    /// behind the one that was already waiting.
    #[tokio::test]
    async fn turns_go_in_arrival_order() {
        let turns = WriteTurns::new();
        let first = turns.take().await;
        let other = turns.clone();
        let waiting = tokio::spawn(async move {
            let _t = other.take().await;
            "other"
        });
        tokio::task::yield_now().await;
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        drop(first);
        let again = tokio::spawn({
            let turns = turns.clone();
            async move {
                let _t = turns.take().await;
                "again"
            }
        });
        assert_eq!(waiting.await.unwrap(), "other");
        assert_eq!(again.await.unwrap(), "again");
    }
}
