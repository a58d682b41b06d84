//! Group commit of survey answers: the answers that arrive together share
//! one transaction and one commit.
//!
//! An answer's own work is small (one claiming `UPDATE`, one event row,
//! rarely a staff notice); what costs is the commit, a disk flush on
//! SQLite (`synchronous = FULL`) and a WAL flush on PostgreSQL. So the
//! pages hand each well-formed answer to a writer task ([`Answers`]) and
//! await its own outcome. The writer takes whatever is queued (at least
//! one answer, at most [`MAX_BATCH`]) and writes them in one transaction.
//! There is no waiting window: while one batch commits the next one
//! queues up, so the batch grows with the load and an answer on a quiet
//! desk is written at once.
//!
//! What stays as it was with one transaction per answer:
//! - durable: an answer's outcome is sent only after the commit, so the
//!   thank-you page never shows for an answer that is not on disk;
//! - exactly one wins: each answer claims its survey with a conditional
//!   `UPDATE` ([`surveys::claim_answer`]); a second claim of one token in
//!   the same batch matches nothing, and one in another batch or on
//!   another instance waits for the row (or SQLite's write lock) and then
//!   matches nothing;
//! - one answer's failure is its own: when an answer fails, the shared
//!   transaction is rolled back, that answer is told of its failure and
//!   the others are written again without it (failures are rare, so this
//!   costs less than a savepoint around every answer); if the commit
//!   itself fails, each answer is tried again alone (a claim already
//!   committed then matches nothing and is refused, never written twice).

use std::sync::Arc;

use anyhow::{Context, Result, anyhow};
use tokio::sync::{Mutex, mpsc, oneshot};
use tracing::{debug, warn};

use super::{Site, act};
use crate::store::surveys::{self, Answered, Found};
use crate::store::{Backend, Conn, Db};
use crate::survey::{self, Answer};

/// Answers written in one transaction at most: enough that a commit is
/// shared widely, few enough that a batch written again after a failed
/// answer is quick.
pub const MAX_BATCH: usize = 64;

/// Answers waiting for a writer; a page past this waits to queue.
const QUEUE: usize = 1024;

/// Writers at once on PostgreSQL: two let one batch's statements overlap
/// the other's commit, leaving the rest of the pool (8) to the reads. One
/// on SQLite, which has one writer at a time anyway.
const PG_WRITERS: usize = 2;

/// What became of an answer.
#[derive(Debug)]
pub enum Outcome {
    /// Written and committed: the survey as it is now.
    Answered(Box<Found>),
    /// The token's survey could not take it (unknown, answered, expired,
    /// superseded, its ticket merged or gone); nothing was written. The
    /// page reads why.
    NotClaimed,
}

struct Job {
    site: Arc<Site>,
    token_hash: String,
    answer: Answer,
    at: i64,
    reply: oneshot::Sender<Result<Outcome>>,
}

/// The pages' handle on the writers. Cheap to clone; the writers stop
/// when the last handle is dropped.
#[derive(Clone)]
pub struct Answers {
    jobs: mpsc::Sender<Job>,
}

impl Answers {
    /// Starts the writers on `db`.
    pub fn start(db: Db) -> Answers {
        let (tx, rx) = mpsc::channel(QUEUE);
        let rx = Arc::new(Mutex::new(rx));
        let writers = match db.backend() {
            Backend::Sqlite => 1,
            Backend::Postgres => PG_WRITERS,
        };
        for _ in 0..writers {
            tokio::spawn(write(db.clone(), rx.clone()));
        }
        Answers { jobs: tx }
    }

    /// Records `answer` to the survey of the token hashing to
    /// `token_hash`, at `at`; returns once it is committed (or refused).
    pub async fn answer(
        &self,
        site: Arc<Site>,
        token_hash: String,
        answer: Answer,
        at: i64,
    ) -> Result<Outcome> {
        let (reply, outcome) = oneshot::channel();
        let job = Job {
            site,
            token_hash,
            answer,
            at,
            reply,
        };
        self.jobs
            .send(job)
            .await
            .map_err(|_| anyhow!("the survey answer writer has stopped"))?;
        outcome
            .await
            .map_err(|_| anyhow!("the survey answer writer dropped an answer"))?
    }
}

/// One writer: batches until the handles are gone.
async fn write(db: Db, jobs: Arc<Mutex<mpsc::Receiver<Job>>>) {
    let mut batch = Vec::with_capacity(MAX_BATCH);
    loop {
        // The lock is held only while waiting for work: the other writer
        // takes the next batch while this one writes.
        if jobs.lock().await.recv_many(&mut batch, MAX_BATCH).await == 0 {
            return;
        }
        commit(&db, std::mem::take(&mut batch)).await;
    }
}

/// Why a shared transaction was not committed.
enum Failed {
    /// Answer `i` failed: the transaction was rolled back.
    Answer(usize, anyhow::Error),
    /// The transaction itself (begin, commit).
    Transaction(anyhow::Error),
}

/// Writes `jobs` together and tells each its outcome.
async fn commit(db: &Db, mut jobs: Vec<Job>) {
    loop {
        match attempt(db, &jobs).await {
            Ok(outcomes) => {
                for (job, outcome) in jobs.into_iter().zip(outcomes) {
                    let _ = job.reply.send(Ok(outcome));
                }
                return;
            }
            Err(Failed::Answer(i, e)) => {
                // The failed answer alone is told; the others go again
                // without it (each failure removes one: this ends).
                warn!(error = %format!("{e:#}"), together = jobs.len(), "survey answer not written");
                let _ = jobs.remove(i).reply.send(Err(e));
                if jobs.is_empty() {
                    return;
                }
            }
            Err(Failed::Transaction(e)) if jobs.len() > 1 => {
                warn!(error = %format!("{e:#}"), answers = jobs.len(),
                    "survey answers: the shared commit failed; each alone");
                for job in jobs {
                    let outcome = match attempt(db, std::slice::from_ref(&job)).await {
                        Ok(mut v) => v.pop().context("no outcome"),
                        Err(Failed::Answer(_, e) | Failed::Transaction(e)) => Err(e),
                    };
                    let _ = job.reply.send(outcome);
                }
                return;
            }
            Err(Failed::Transaction(e)) => {
                if let Some(job) = jobs.into_iter().next() {
                    let _ = job.reply.send(Err(e));
                }
                return;
            }
        }
    }
}

/// One transaction for `jobs`, all written or none: the outcome of each.
async fn attempt(db: &Db, jobs: &[Job]) -> Result<Vec<Outcome>, Failed> {
    let backend = db.backend();
    let mut tx = db.begin().await.map_err(Failed::Transaction)?;
    let mut out = Vec::with_capacity(jobs.len());
    for (i, job) in jobs.iter().enumerate() {
        match one(&mut tx, backend, job).await {
            Ok(outcome) => out.push(outcome),
            Err(e) => {
                let _ = tx.rollback().await;
                return Err(Failed::Answer(i, e));
            }
        }
    }
    tx.commit()
        .await
        .context("cannot commit the survey answers")
        .map_err(Failed::Transaction)?;
    debug!(answers = jobs.len(), "survey answers: one commit");
    Ok(out)
}

/// One answer: the claim (its lookup too), then what it writes.
async fn one(c: &mut Conn, backend: Backend, job: &Job) -> Result<Outcome> {
    let a = &job.answer;
    let ratings_json = serde_json::to_string(&a.ratings)?;
    let answered = Answered {
        ratings_json: &ratings_json,
        score: survey::score(&a.ratings),
        comment: a.comment.as_deref(),
    };
    let Some(found) = surveys::claim_answer(c, &job.token_hash, job.at, &answered).await? else {
        return Ok(Outcome::NotClaimed);
    };
    act::record_answer(c, backend, &job.site, &found, a, job.at).await?;
    Ok(Outcome::Answered(Box::new(found)))
}
