//! An answer's claim writes no indexed column (migration 0017): on
//! PostgreSQL it is a HOT update (no index entries), and the reminder an
//! answer leaves due is cleared by the lifecycle's due read, which still
//! goes by the reminder index and returns only open surveys.

use posko::store::surveys::{self, Answered, Claim};
use posko::store::{Backend as DbBackend, Db};
use sqlx::Row as _;

use super::*;
use crate::both;
use crate::harness::posko::MAILDIR_TO_FILES;

const FIRST: i64 = 5000;

fn token(i: i64) -> String {
    format!("H{i:042}")
}

/// Ticket `id`, resolved, with an open survey by `token` whose reminder
/// falls due at `remind_at`; returns the survey's id.
async fn pending(posko: &Posko, db: &Db, id: i64, token: &str, remind_at: i64) -> i64 {
    let now = wall_now();
    let hash = posko::survey::token_hash(token);
    super::seed_resolved(posko, id, now).await;
    posko
        .sql(&format!(
            "INSERT INTO surveys (ticket_id, token_hash, state, language, sent_at, expires_at, remind_at) \
             VALUES ({id}, '{hash}', 'open', 'id', {now}, {}, {remind_at})",
            now + 86_400
        ))
        .await;
    let mut c = db.pool().acquire().await.unwrap();
    sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
        "SELECT id FROM surveys WHERE token_hash = '{hash}'"
    )))
    .fetch_one(&mut *c)
    .await
    .unwrap()
}

/// The plan of `sql` with sequential scans off: which indexes it can use.
async fn plan(db: &Db, sql: &str) -> String {
    let mut c = db.pool().acquire().await.unwrap();
    sqlx::query("SET enable_seqscan = off")
        .execute(&mut *c)
        .await
        .unwrap();
    let lines: Vec<String> = sqlx::query(sqlx::AssertSqlSafe(format!("EXPLAIN {sql}")))
        .fetch_all(&mut *c)
        .await
        .unwrap()
        .iter()
        .map(|r| r.get::<String, _>(0))
        .collect();
    sqlx::query("RESET enable_seqscan")
        .execute(&mut *c)
        .await
        .unwrap();
    lines.join("\n")
}

async fn an_answer_is_a_hot_update_and_leaves_no_reminder_due(backend: Backend) {
    let posko = Posko::from_parts(backend, "", MAILDIR_TO_FILES).await;
    let db = Db::connect(&posko.db_url).await.expect("connect");
    db.migrate().await.expect("migrate");
    let now = wall_now();
    let remind = now + 3 * 86_400;
    let answered = pending(&posko, &db, FIRST, &token(0), remind).await;
    let unanswered = pending(&posko, &db, FIRST + 1, &token(1), remind).await;

    let hash = posko::survey::token_hash(&token(0));
    let claim = Claim {
        id: answered,
        hash: &hash,
        now,
        answered: Answered {
            ratings_json: "{\"overall\":4}",
            score: Some(4),
            comment: Some("cepat"),
        },
    };
    let mut tx = db.begin().await.unwrap();
    let won = surveys::claim_answers(&mut tx, db.backend(), &[claim])
        .await
        .unwrap();
    assert_eq!(won, vec![answered]);
    if db.backend() == DbBackend::Postgres {
        // This transaction's own counts: the claim updated one row, and
        // wrote it beside the old version with no index entry.
        let (upd, hot): (i64, i64) = sqlx::query_as(
            "SELECT n_tup_upd, n_tup_hot_upd FROM pg_stat_xact_user_tables WHERE relname = 'surveys'",
        )
        .fetch_one(&mut *tx)
        .await
        .unwrap();
        assert_eq!((upd, hot), (1, 1), "the claim was not a HOT update");
    }
    tx.commit().await.unwrap();

    // Before the reminders fall due, nothing is due nor cleared.
    let mut tx = db.begin().await.unwrap();
    assert!(
        surveys::due_reminders(&mut tx, now, 10)
            .await
            .unwrap()
            .is_empty()
    );
    tx.commit().await.unwrap();
    // Once due: only the open survey; the answered one's leftover is
    // cleared, so the next tick does not read it again.
    let mut tx = db.begin().await.unwrap();
    let due = surveys::due_reminders(&mut tx, remind, 10).await.unwrap();
    tx.commit().await.unwrap();
    assert_eq!(due, vec![unanswered]);
    let mut c = db.pool().acquire().await.unwrap();
    let left: Vec<(i64, Option<i64>)> =
        sqlx::query_as("SELECT id, remind_at FROM surveys ORDER BY id")
            .fetch_all(&mut *c)
            .await
            .unwrap();
    assert_eq!(left, vec![(answered, None), (unanswered, Some(remind))]);
    drop(c);

    if db.backend() == DbBackend::Postgres {
        // The tick's reads and its clearing still go by the reminder
        // index (partial: its predicate must follow from theirs).
        for sql in [
            "SELECT id FROM surveys WHERE remind_at <= 1 AND state = 'open' ORDER BY remind_at LIMIT 200",
            "UPDATE surveys SET remind_at = NULL WHERE remind_at <= 1 AND state <> 'open'",
        ] {
            let p = plan(&db, sql).await;
            assert!(p.contains("surveys_remind"), "{sql}:\n{p}");
        }
    }
}
both!(an_answer_is_a_hot_update_and_leaves_no_reminder_due);
