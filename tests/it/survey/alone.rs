//! PostgreSQL writes a batch of answers as one statement that commits by
//! itself, each survey claimed by its token (`surveys::answer_by_token_with`,
//! `web::survey::commit`), and two
//! writers send such statements at once. Hostile: two batches claiming
//! the same survey wait together on its row (held by a third
//! transaction) and are let go at the same moment: exactly one wins it,
//! and only the winner's event is written; an event that fails undoes its
//! statement's claims, so the other batch takes the survey; a survey the
//! holder answered is claimed by neither.

use posko::store::Db;
use posko::store::surveys::{self, Answered, Claim, TokenClaim};
use sqlx::Row as _;

use super::*;
use crate::harness::posko::MAILDIR_TO_FILES;

const FIRST: i64 = 7000;

fn token(i: i64) -> String {
    format!("W{i:042}")
}

fn hash(i: i64) -> String {
    posko::survey::token_hash(&token(i))
}

/// Ticket `FIRST + i`, resolved, with an open survey by `token(i)`;
/// returns the survey's id.
async fn open_survey(posko: &Posko, i: i64) -> i64 {
    super::batch::survey(posko, FIRST + i, &token(i), "open", wall_now() + 86_400).await
}

/// An answer by `token(i)` rated `r`: its event's data names the batch
/// (`who`), to tell whose event was written.
struct Post {
    hash: String,
    ratings: String,
    head: String,
}

fn answer(i: i64, r: u8, who: &str) -> Post {
    Post {
        hash: hash(i),
        ratings: format!("{{\"overall\":{r}}}"),
        head: format!("{{\"by\":\"{who}\",\"survey\":"),
    }
}

/// The data of the event written by batch `who` for survey `id`.
fn by(who: &str, id: i64) -> String {
    format!("{{\"by\":\"{who}\",\"survey\":{id}}}")
}

/// Sends `posts` as one statement on a connection of its own (a writer);
/// the ids of the surveys it claimed.
async fn send(db: Db, posts: Vec<Post>) -> anyhow::Result<Vec<i64>> {
    let now = wall_now();
    let claims: Vec<TokenClaim> = posts
        .iter()
        .map(|p| TokenClaim {
            hash: &p.hash,
            now,
            answered: Answered {
                ratings_json: &p.ratings,
                score: Some(4),
                comment: None,
            },
            data_head: &p.head,
        })
        .collect();
    let n = 4;
    let sql = surveys::answer_by_token_sql(n);
    let mut c = db.pool().acquire().await?;
    let claimed = surveys::answer_by_token_with(&mut c, &sql, n, &claims).await?;
    Ok(claimed.into_iter().map(|(_, f)| f.id).collect())
}

/// Runs the batches `a` and `b` at once while survey `held` is claimed
/// by a transaction of its own; once both wait on its row, that
/// transaction commits (`commit`) or rolls back. Returns both outcomes.
async fn race(
    db: &Db,
    held: (i64, i64),
    commit: bool,
    a: Vec<Post>,
    b: Vec<Post>,
) -> (anyhow::Result<Vec<i64>>, anyhow::Result<Vec<i64>>) {
    let (id, i) = held;
    let h = hash(i);
    let claim = Claim {
        id,
        hash: &h,
        now: wall_now(),
        answered: Answered {
            ratings_json: "{\"overall\":1}",
            score: Some(1),
            comment: Some("holder"),
        },
    };
    let mut tx = db.begin().await.unwrap();
    let won = surveys::claim_answers(&mut tx, db.backend(), &[claim])
        .await
        .unwrap();
    assert_eq!(won, vec![id]);
    let first = tokio::spawn(send(db.clone(), a));
    let second = tokio::spawn(send(db.clone(), b));
    // Both statements wait on the held row: their backends are blocked
    // on a lock (polled: a wait the test cannot be told of otherwise).
    let mut c = db.pool().acquire().await.unwrap();
    let deadline = std::time::Instant::now() + WAIT;
    loop {
        let waiting: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM pg_stat_activity \
             WHERE datname = current_database() AND wait_event_type = 'Lock'",
        )
        .fetch_one(&mut *c)
        .await
        .unwrap();
        if waiting >= 2 {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "the batches never waited"
        );
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    drop(c);
    if commit {
        tx.commit().await.unwrap();
    } else {
        tx.rollback().await.unwrap();
    }
    (first.await.unwrap(), second.await.unwrap())
}

/// `(ticket, data)` of every survey_answered event, by ticket.
async fn events(db: &Db) -> Vec<(i64, String)> {
    let mut c = db.pool().acquire().await.unwrap();
    sqlx::query(
        "SELECT ticket_id, data FROM events WHERE kind = 'survey_answered' ORDER BY ticket_id, id",
    )
    .fetch_all(&mut *c)
    .await
    .unwrap()
    .iter()
    .map(|r| (r.get(0), r.get(1)))
    .collect()
}

/// The state and ratings of survey `id`.
async fn survey_row(db: &Db, id: i64) -> (String, Option<String>) {
    let mut c = db.pool().acquire().await.unwrap();
    sqlx::query_as("SELECT state, ratings FROM surveys WHERE id = $1")
        .bind(id)
        .fetch_one(&mut *c)
        .await
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_writers_answering_one_survey_at_once_one_wins() {
    let posko = Posko::from_parts(Backend::Postgres, "", MAILDIR_TO_FILES).await;
    let db = Db::connect(&posko.db_url).await.expect("connect");
    db.migrate().await.expect("migrate");
    let mut ids = Vec::new();
    for i in 0..9 {
        ids.push(open_survey(&posko, i).await);
    }
    let by_i = |i: i64| ids[i as usize];

    // 1. The holder gives up: both batches go for survey 0 at the same
    // moment; one takes it, the other's claim of it matches nothing; each
    // takes its own other survey.
    let (a, b) = race(
        &db,
        (by_i(0), 0),
        false,
        vec![answer(0, 5, "a"), answer(1, 5, "a")],
        vec![answer(0, 3, "b"), answer(2, 3, "b")],
    )
    .await;
    let (mut a, mut b) = (a.unwrap(), b.unwrap());
    a.sort();
    b.sort();
    let a_won = a.contains(&by_i(0));
    let b_won = b.contains(&by_i(0));
    assert!(
        a_won != b_won,
        "survey 0 claimed by a: {a_won}, by b: {b_won}"
    );
    let winner = if a_won { "a" } else { "b" };
    assert!(a.contains(&by_i(1)) && b.contains(&by_i(2)), "{a:?} {b:?}");
    assert_eq!(a.len() + b.len(), 3);
    let (state, ratings) = survey_row(&db, by_i(0)).await;
    assert_eq!(state, "answered");
    let want = if a_won { 5 } else { 3 };
    assert_eq!(ratings, Some(format!("{{\"overall\":{want}}}")));
    assert_eq!(
        events(&db).await,
        vec![
            (FIRST, by(winner, by_i(0))),
            (FIRST + 1, by("a", by_i(1))),
            (FIRST + 2, by("b", by_i(2))),
        ]
    );

    // 2. The holder answers: neither batch claims its survey nor writes
    // its event; their other surveys are theirs.
    let (a, b) = race(
        &db,
        (by_i(3), 3),
        true,
        vec![answer(3, 5, "a"), answer(4, 5, "a")],
        vec![answer(3, 2, "b"), answer(5, 2, "b")],
    )
    .await;
    assert_eq!((a.unwrap(), b.unwrap()), (vec![by_i(4)], vec![by_i(5)]));
    let (state, ratings) = survey_row(&db, by_i(3)).await;
    assert_eq!(
        (state.as_str(), ratings.as_deref()),
        ("answered", Some("{\"overall\":1}"))
    );
    let written = events(&db).await;
    assert!(written.iter().all(|(t, _)| *t != FIRST + 3), "{written:?}");
    assert_eq!(written.len(), 5);

    // 3. Batch a's event of survey 7 fails: its whole statement is undone
    // (its claims of 6 and 7 too), so b takes survey 6, whoever ran first.
    posko
        .sql(&format!(
            "CREATE FUNCTION fail_seven() RETURNS trigger LANGUAGE plpgsql AS $$ \
             BEGIN IF NEW.ticket_id = {} THEN RAISE EXCEPTION 'injected failure'; END IF; \
             RETURN NEW; END $$",
            FIRST + 7
        ))
        .await;
    posko
        .sql("CREATE TRIGGER fail_seven BEFORE INSERT ON events FOR EACH ROW EXECUTE FUNCTION fail_seven()")
        .await;
    let (a, b) = race(
        &db,
        (by_i(6), 6),
        false,
        vec![answer(6, 5, "a"), answer(7, 5, "a")],
        vec![answer(6, 2, "b"), answer(8, 2, "b")],
    )
    .await;
    let err = a.expect_err("batch a must fail");
    assert!(format!("{err:#}").contains("injected failure"), "{err:#}");
    let mut b = b.unwrap();
    b.sort();
    assert_eq!(b, vec![by_i(6), by_i(8)]);
    assert_eq!(survey_row(&db, by_i(7)).await, ("open".to_string(), None));
    let (state, ratings) = survey_row(&db, by_i(6)).await;
    assert_eq!(
        (state.as_str(), ratings.as_deref()),
        ("answered", Some("{\"overall\":2}"))
    );
    let written = events(&db).await;
    let of = |t: i64| {
        written
            .iter()
            .filter(|(x, _)| *x == t)
            .map(|(_, d)| d.clone())
            .collect::<Vec<_>>()
    };
    assert_eq!(of(FIRST + 6), vec![by("b", by_i(6))]);
    assert_eq!(of(FIRST + 7), Vec::<String>::new());
    assert_eq!(of(FIRST + 8), vec![by("b", by_i(8))]);
}
