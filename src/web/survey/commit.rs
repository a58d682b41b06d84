//! Group commit of survey answers: the answers that arrive together share
//! one transaction and one commit.
//!
//! An answer's own work is small (its claim, one event row, rarely a
//! staff notice); what costs is the commit, a disk flush on SQLite
//! (`synchronous = FULL`) and a WAL flush on PostgreSQL, and each
//! statement's hand-off to the database. So the pages hand each
//! well-formed answer to an open survey (the page's lookup saw it open:
//! refusals never reach the writer) to a writer task ([`Answers`]) and
//! await its own outcome. The writer takes whatever is queued (at least
//! one answer, at most [`MAX_BATCH`]) and writes them in one transaction
//! of three statements whatever their number: one `UPDATE … FROM
//! (VALUES …)` claims them all ([`surveys::claim_answers_with`]), one
//! `INSERT … SELECT … FROM (VALUES …)` writes their events
//! ([`surveys::insert_answered_events_with`]; the rare staff notices of
//! low ratings go in one script before it), then the commit. Both
//! statements are padded to a few sizes, so each is prepared once.
//! On PostgreSQL an answer without a staff notice (the usual one) skips
//! the page's lookup: it comes here with its token's hash alone, and its
//! batch is written as ONE statement sent outside a transaction that
//! claims each survey by its token, writes the events and returns what
//! the thank-you page shows ([`surveys::answer_by_token_with`]): the
//! server commits it before it answers, so the batch is one round trip
//! instead of five (the lookup, `BEGIN`, claim, events, `COMMIT`). Under
//! load every round trip is a wake-up of the server's backend and of a
//! task here on busy cores, which every answer of the batch (and of the
//! batch queued behind it) waits for. Only an answer whose claim matched
//! nothing is looked up afterwards, to tell why (the page's refusal).
//! Two writers take turns at the queue there, so that one batch is
//! written while the other's commit is flushed.
//! There is no waiting window: while one batch commits the next one
//! queues up, so the batch grows with the load and an answer on a quiet
//! desk is written at once.
//!
//! What stays as it was with one transaction per answer:
//! - durable: an answer's outcome is sent only after the commit, so the
//!   thank-you page never shows for an answer that is not on disk;
//! - exactly one wins: the claim is conditional (`state = 'open'` and the
//!   rest); of several answers to one survey in a batch only the first is
//!   claimed and the others lose to it; one in another batch (the other
//!   writer) or on another instance waits for the row (or SQLite's write
//!   lock) and then matches nothing; the single statement's events are
//!   written from what its claim returned, so a lost claim writes none.
//!   A batch claims its surveys in the order of their ids (by token: of
//!   their hashes), so two writers do not wait on each other's rows
//!   crosswise (by token, only two surveys each answered by both its
//!   tokens in both batches could: PostgreSQL then ends one statement as
//!   a deadlock, and its halves go again as after any failed write);
//! - one answer's failure is its own: when an answer fails before the
//!   database (its event or notice cannot be made), the shared
//!   transaction is rolled back, that answer is told of its failure and
//!   the others are written again without it; when a shared statement or
//!   the commit fails, each half of the batch is tried again on its own,
//!   down to the answer that fails alone (a claim already committed then
//!   matches nothing and is refused, never written twice). Failures are
//!   rare, so this costs less than a savepoint per answer.

use std::collections::HashSet;
use std::sync::Arc;

use anyhow::{Context, Result, anyhow};
use tokio::sync::{Mutex, mpsc, oneshot};
use tracing::{debug, warn};

use super::{Site, act};
use crate::store::surveys::{self, Answered, Claim, Found};
use crate::store::unit::Unit;
use crate::store::{Backend, Db};
use crate::survey::{self, Answer};

/// Answers written in one transaction at most: at 200 connections all
/// the answers waiting fit in one or two batches; a batch written again
/// after a failed answer is still quick.
pub const MAX_BATCH: usize = 128;

/// The claim statement's sizes: a batch's statement is padded to the
/// next, so that each connection prepares only these few.
const SIZES: [usize; 8] = [1, 2, 4, 8, 16, 32, 64, MAX_BATCH];

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
    /// The token's survey could not take it (answered meanwhile, expired,
    /// superseded, its ticket merged or gone); nothing was written. The
    /// page reads why.
    NotClaimed,
}

struct Job {
    site: Arc<Site>,
    target: Target,
    token_hash: String,
    answer: Answer,
    at: i64,
    reply: oneshot::Sender<Result<Outcome>>,
}

/// Which survey an answer is for.
pub enum Target {
    /// The survey and its ticket as the page's lookup found them, open.
    Found(Box<Found>),
    /// The survey of the token's hash, not looked up (PostgreSQL, an
    /// answer with no staff notice): the claim finds it.
    Token,
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
        let backend = db.backend();
        let writers = match backend {
            Backend::Sqlite => 1,
            Backend::Postgres => PG_WRITERS,
        };
        let sql = Arc::new(Sql {
            claim: SIZES
                .iter()
                .map(|n| surveys::claim_answers_sql(backend, *n))
                .collect(),
            events: SIZES
                .iter()
                .map(|n| surveys::answered_events_sql(backend, *n))
                .collect(),
            by_token: match backend {
                Backend::Sqlite => Vec::new(),
                Backend::Postgres => SIZES
                    .iter()
                    .map(|n| surveys::answer_by_token_sql(*n))
                    .collect(),
            },
        });
        for _ in 0..writers {
            tokio::spawn(write(db.clone(), rx.clone(), sql.clone()));
        }
        Answers { jobs: tx }
    }

    /// Records `answer` to the survey `target` of the token hashing to
    /// `token_hash`, at `at`; returns once it is committed (or refused).
    pub async fn answer(
        &self,
        site: Arc<Site>,
        target: Target,
        token_hash: String,
        answer: Answer,
        at: i64,
    ) -> Result<Outcome> {
        let (reply, outcome) = oneshot::channel();
        let job = Job {
            site,
            target,
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

/// The writers' statements, one of each per size of [`SIZES`].
struct Sql {
    claim: Vec<String>,
    events: Vec<String>,
    /// PostgreSQL: answers claimed by token, with their events, as one
    /// statement that commits by itself ([`surveys::answer_by_token_sql`]);
    /// none on SQLite.
    by_token: Vec<String>,
}

/// One writer: batches until the handles are gone.
async fn write(db: Db, jobs: Arc<Mutex<mpsc::Receiver<Job>>>, sql: Arc<Sql>) {
    let mut batch = Vec::with_capacity(MAX_BATCH);
    loop {
        // The lock is held only while waiting for work: the other writer
        // takes the next batch while this one writes.
        if jobs.lock().await.recv_many(&mut batch, MAX_BATCH).await == 0 {
            return;
        }
        // Answers by token and answers looked up (with a staff notice)
        // are written apart, one after the other.
        let (by_token, found): (Vec<Job>, Vec<Job>) = batch
            .drain(..)
            .partition(|j| matches!(j.target, Target::Token));
        for jobs in [by_token, found] {
            if !jobs.is_empty() {
                commit(&db, &sql, jobs).await;
            }
        }
    }
}

/// Why a shared transaction was not committed.
enum Failed {
    /// Answer `i` failed before the database: the transaction was rolled
    /// back.
    Answer(usize, anyhow::Error),
    /// A shared statement, or the transaction itself (begin, commit).
    Transaction(anyhow::Error),
}

/// Writes `jobs` together and tells each its outcome.
async fn commit(db: &Db, sql: &Sql, jobs: Vec<Job>) {
    let together = jobs.len();
    let mut pending = vec![jobs];
    while let Some(mut jobs) = pending.pop() {
        match attempt(db, sql, &jobs).await {
            Ok(outcomes) => {
                for (job, outcome) in jobs.into_iter().zip(outcomes) {
                    let _ = job.reply.send(Ok(outcome));
                }
            }
            Err(Failed::Answer(i, e)) => {
                // The failed answer alone is told; the others go again
                // without it (each failure removes one: this ends).
                warn!(error = %format!("{e:#}"), together, "survey answer not written");
                let _ = jobs.remove(i).reply.send(Err(e));
                if !jobs.is_empty() {
                    pending.push(jobs);
                }
            }
            Err(Failed::Transaction(e)) if jobs.len() > 1 => {
                // Which answer it was is not known: each half goes again
                // on its own, down to the one that fails alone.
                warn!(error = %format!("{e:#}"), answers = jobs.len(),
                    "survey answers: a shared write failed; in halves");
                let back = jobs.split_off(jobs.len() / 2);
                pending.push(back);
                pending.push(jobs);
            }
            Err(Failed::Transaction(e)) => {
                warn!(error = %format!("{e:#}"), together, "survey answer not written");
                if let Some(job) = jobs.into_iter().next() {
                    let _ = job.reply.send(Err(e));
                }
            }
        }
    }
}

/// One transaction for `jobs`, all written or none: the outcome of each.
/// Answers by token (all of `jobs` or none) are one statement instead
/// ([`by_token`]).
async fn attempt(db: &Db, sql: &Sql, jobs: &[Job]) -> Result<Vec<Outcome>, Failed> {
    let backend = db.backend();
    let mut ratings = Vec::with_capacity(jobs.len());
    for (i, job) in jobs.iter().enumerate() {
        let json =
            serde_json::to_string(&job.answer.ratings).map_err(|e| Failed::Answer(i, e.into()))?;
        ratings.push(json);
    }
    let found: Option<Vec<&Found>> = jobs
        .iter()
        .map(|j| match &j.target {
            Target::Found(f) => Some(&**f),
            Target::Token => None,
        })
        .collect();
    let Some(found) = found else {
        return by_token(db, sql, jobs, &ratings).await;
    };
    let low = |job: &Job| job.answer.low_count(&job.site.cfg.survey.questions) > 0;
    let claims = claims(jobs, &found, &ratings);
    let size = SIZES
        .iter()
        .position(|n| *n >= claims.len())
        .context("more answers than a batch")
        .map_err(Failed::Transaction)?;
    let mut tx = db.begin().await.map_err(Failed::Transaction)?;
    let claimed = surveys::claim_answers_with(&mut tx, &sql.claim[size], SIZES[size], &claims)
        .await
        .context("cannot claim the surveys answered")
        .map_err(Failed::Transaction)?;
    let mut claimed: HashSet<i64> = claimed.into_iter().collect();
    // The staff tokens' ring for low ratings' notices, read once.
    let keys = match jobs
        .iter()
        .zip(&found)
        .find(|(j, f)| claimed.contains(&f.id) && low(j))
    {
        Some((j, _)) => crate::sla::scan::staff_keys_of(&j.site.cfg, &mut tx)
            .await
            .map_err(Failed::Transaction)?,
        None => None,
    };
    let mut out = Vec::with_capacity(jobs.len());
    let mut events = Vec::with_capacity(claimed.len());
    let mut w = Unit::new(&mut tx, backend);
    for (i, (job, f)) in jobs.iter().zip(&found).enumerate() {
        // The first answer to a survey takes its claim; the others lose.
        if !claimed.remove(&f.id) {
            out.push(Outcome::NotClaimed);
            continue;
        }
        let mut found = Box::new((*f).clone());
        found.state = "answered".to_string();
        events.push(act::answered_event(
            &job.site,
            &found,
            &job.answer,
            &ratings[i],
            job.at,
        ));
        let ring = keys.as_deref();
        if let Err(e) = act::push_answer(&mut w, &job.site, &found, &job.answer, ring, job.at) {
            drop(w);
            let _ = tx.rollback().await;
            return Err(Failed::Answer(i, e));
        }
        out.push(Outcome::Answered(found));
    }
    w.finish()
        .await
        .context("cannot write the survey answers' notices")
        .map_err(Failed::Transaction)?;
    if !events.is_empty() {
        let size = SIZES.iter().position(|n| *n >= events.len()).unwrap_or(0);
        surveys::insert_answered_events_with(&mut tx, &sql.events[size], SIZES[size], &events)
            .await
            .context("cannot write the survey answers' events")
            .map_err(Failed::Transaction)?;
    }
    tx.commit()
        .await
        .context("cannot commit the survey answers")
        .map_err(Failed::Transaction)?;
    debug!(answers = jobs.len(), "survey answers: one commit");
    Ok(out)
}

/// PostgreSQL, answers by token (none with a staff notice): claims,
/// events and what the pages show in one statement sent outside a
/// transaction, which PostgreSQL commits before it answers
/// ([`surveys::answer_by_token_with`]): one round trip for the batch, as
/// durable as the transaction's commit. A failing event (or commit)
/// undoes the whole statement; the batch is then tried in halves as a
/// failed transaction is. Of several answers by one token only the first
/// is sent; the others lose to it.
async fn by_token(
    db: &Db,
    sql: &Sql,
    jobs: &[Job],
    ratings: &[String],
) -> Result<Vec<Outcome>, Failed> {
    if sql.by_token.is_empty() {
        let e = anyhow!("survey answers by token need PostgreSQL");
        return Err(Failed::Transaction(e));
    }
    // By hash, so that two writers lock shared surveys in one order.
    let mut order: Vec<usize> = (0..jobs.len()).collect();
    order.sort_by(|a, b| jobs[*a].token_hash.cmp(&jobs[*b].token_hash).then(a.cmp(b)));
    order.dedup_by(|a, b| jobs[*a].token_hash == jobs[*b].token_hash);
    let heads: Vec<String> = order
        .iter()
        .map(|i| {
            let job = &jobs[*i];
            act::answered_data_head(&job.site, &job.answer, &ratings[*i])
        })
        .collect();
    let claims: Vec<surveys::TokenClaim<'_>> = order
        .iter()
        .zip(&heads)
        .map(|(i, head)| {
            let (job, a) = (&jobs[*i], &jobs[*i].answer);
            surveys::TokenClaim {
                hash: &job.token_hash,
                now: job.at,
                answered: answered(a, &ratings[*i]),
                data_head: head,
            }
        })
        .collect();
    let size = SIZES
        .iter()
        .position(|n| *n >= claims.len())
        .context("more answers than a batch")
        .map_err(Failed::Transaction)?;
    let mut c = db
        .pool()
        .acquire()
        .await
        .context("cannot reach the database")
        .map_err(Failed::Transaction)?;
    let claimed = surveys::answer_by_token_with(&mut c, &sql.by_token[size], SIZES[size], &claims)
        .await
        .context("cannot write the survey answers")
        .map_err(Failed::Transaction)?;
    let mut out: Vec<Outcome> = jobs.iter().map(|_| Outcome::NotClaimed).collect();
    for (slot, found) in claimed {
        let i = *order
            .get(slot)
            .context("a claim the batch did not send")
            .map_err(Failed::Transaction)?;
        out[i] = Outcome::Answered(Box::new(found));
    }
    debug!(answers = jobs.len(), "survey answers: one commit");
    Ok(out)
}

/// The claims of `jobs` (for the surveys `found`, with their `ratings` as
/// JSON): one per survey, by the first answer to it, in the order of the
/// surveys' ids (so that two writers never wait on each other's rows
/// crosswise).
fn claims<'a>(jobs: &'a [Job], found: &[&Found], ratings: &'a [String]) -> Vec<Claim<'a>> {
    let mut order: Vec<usize> = (0..jobs.len()).collect();
    order.sort_by_key(|i| (found[*i].id, *i));
    order.dedup_by_key(|i| found[*i].id);
    order
        .into_iter()
        .map(|i| Claim {
            id: found[i].id,
            hash: &jobs[i].token_hash,
            now: jobs[i].at,
            answered: answered(&jobs[i].answer, &ratings[i]),
        })
        .collect()
}

/// What answer `a` (its ratings as JSON: `ratings`) writes.
fn answered<'a>(a: &'a Answer, ratings: &'a str) -> Answered<'a> {
    Answered {
        ratings_json: ratings,
        score: survey::score(&a.ratings),
        comment: a.comment.as_deref(),
    }
}
