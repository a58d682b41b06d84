//! Answers claimed in one statement (`surveys::claim_answers`, the
//! writer's batch): of a mix of surveys only the open ones are claimed and
//! each is written with its own answer; through the pages, posts that
//! arrive together to open, answered, expired, superseded and merged
//! surveys, to one survey many times and by both its tokens, each get
//! their own page and exactly one answer per survey is written.

use futures::future::join_all;
use posko::store::Db;
use posko::store::surveys::{self, Answered, Claim};
use sqlx::Row as _;

use super::group::desk as listening_desk;
use super::*;
use crate::both;
use crate::harness::posko::MAILDIR_TO_FILES;

const FIRST: i64 = 3000;

fn token(i: i64) -> String {
    format!("B{i:042}")
}

fn hash(t: &str) -> String {
    posko::survey::token_hash(t)
}

/// Ticket `id`, resolved, with a survey (`state`, expiring at `expires`)
/// by `token`'s hash; returns the survey's id.
pub(super) async fn survey(posko: &Posko, id: i64, token: &str, state: &str, expires: i64) -> i64 {
    let now = wall_now();
    super::seed_resolved(posko, id, now).await;
    another(posko, id, token, state, expires).await
}

/// One more survey of ticket `id`.
pub(super) async fn another(posko: &Posko, id: i64, token: &str, state: &str, expires: i64) -> i64 {
    let now = wall_now();
    posko
        .sql(&format!(
            "INSERT INTO surveys (ticket_id, token_hash, state, language, sent_at, expires_at) \
             VALUES ({id}, '{}', '{state}', 'id', {now}, {expires})",
            hash(token)
        ))
        .await;
    survey_id(posko, token).await
}

async fn survey_id(posko: &Posko, token: &str) -> i64 {
    let db = Db::connect(&posko.db_url).await.unwrap();
    let mut c = db.pool().acquire().await.unwrap();
    sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
        "SELECT id FROM surveys WHERE token_hash = '{}'",
        hash(token)
    )))
    .fetch_one(&mut *c)
    .await
    .unwrap()
}

/// `(id, state, ratings, score, comment, answered_at)` of every survey,
/// by id.
async fn rows(
    db: &Db,
) -> Vec<(
    i64,
    String,
    Option<String>,
    Option<i64>,
    Option<String>,
    Option<i64>,
)> {
    let mut c = db.pool().acquire().await.unwrap();
    sqlx::query("SELECT id, state, ratings, score, comment, answered_at FROM surveys ORDER BY id")
        .fetch_all(&mut *c)
        .await
        .unwrap()
        .iter()
        .map(|r| (r.get(0), r.get(1), r.get(2), r.get(3), r.get(4), r.get(5)))
        .collect()
}

/// The rows of `sql` (three columns) on the desk's database.
async fn triples<A, B, C>(posko: &Posko, sql: &'static str) -> Vec<(A, B, C)>
where
    for<'r> A: sqlx::Decode<'r, sqlx::Any> + sqlx::Type<sqlx::Any>,
    for<'r> B: sqlx::Decode<'r, sqlx::Any> + sqlx::Type<sqlx::Any>,
    for<'r> C: sqlx::Decode<'r, sqlx::Any> + sqlx::Type<sqlx::Any>,
{
    let db = Db::connect(&posko.db_url).await.unwrap();
    let mut c = db.pool().acquire().await.unwrap();
    sqlx::query(sql)
        .fetch_all(&mut *c)
        .await
        .unwrap()
        .iter()
        .map(|r| (r.get(0), r.get(1), r.get(2)))
        .collect()
}

async fn a_batch_claims_only_the_open_surveys_each_with_its_answer(backend: Backend) {
    let posko = Posko::from_parts(backend, "", MAILDIR_TO_FILES).await;
    let db = Db::connect(&posko.db_url).await.expect("connect");
    db.migrate().await.expect("migrate");
    let now = wall_now();
    let later = now + 86_400;
    let open = survey(&posko, FIRST, &token(0), "open", later).await;
    let answered = survey(&posko, FIRST + 1, &token(1), "answered", later).await;
    let expired = survey(&posko, FIRST + 2, &token(2), "open", now - 1).await;
    let old = survey(&posko, FIRST + 3, &token(3), "superseded", later).await;
    let newer_exists = another(&posko, FIRST + 3, &token(4), "open", later).await;
    // An open survey older than its ticket's newest one (state not yet
    // moved): the newest rules.
    posko
        .sql(&format!(
            "UPDATE surveys SET state = 'open' WHERE id = {old}"
        ))
        .await;
    let merged = survey(&posko, FIRST + 4, &token(5), "open", later).await;
    posko
        .sql(&format!(
            "UPDATE tickets SET merged_into = {FIRST} WHERE id = {}",
            FIRST + 4
        ))
        .await;
    let wrong_hash = survey(&posko, FIRST + 5, &token(6), "open", later).await;
    let by_reminder = survey(&posko, FIRST + 6, &token(7), "open", later).await;
    posko
        .sql(&format!(
            "UPDATE surveys SET reminder_token_hash = '{}' WHERE id = {by_reminder}",
            hash(&token(8))
        ))
        .await;
    let before = rows(&db).await;

    let hashes: Vec<String> = (0..9).map(|i| hash(&token(i))).collect();
    let claim = |id: i64, h: usize, r: u8, comment: Option<&'static str>| (id, h, r, comment);
    let asked = [
        claim(open, 0, 5, Some("cepat")),
        claim(answered, 1, 4, None),
        claim(expired, 2, 3, Some("x")),
        claim(old, 3, 2, None),
        claim(merged, 5, 1, None),
        claim(wrong_hash, 0, 2, None),
        claim(by_reminder, 8, 1, Some("lambat")),
        claim(newer_exists, 4, 3, None),
    ];
    let json: Vec<String> = asked
        .iter()
        .map(|(_, _, r, _)| format!("{{\"overall\":{r}}}"))
        .collect();
    let claims: Vec<Claim> = asked
        .iter()
        .zip(&json)
        .map(|((id, h, r, comment), j)| Claim {
            id: *id,
            hash: &hashes[*h],
            now,
            answered: Answered {
                ratings_json: j,
                score: Some(i64::from(*r)),
                comment: *comment,
            },
        })
        .collect();
    let mut tx = db.begin().await.unwrap();
    let found = surveys::claim_answers(&mut tx, db.backend(), &claims)
        .await
        .unwrap();
    tx.commit().await.unwrap();
    let mut won = found.clone();
    won.sort();
    let mut want = vec![open, newer_exists, by_reminder];
    want.sort();
    assert_eq!(won, want);
    // The rows claimed hold their own answer; the others are as they were.
    let after = rows(&db).await;
    for (b, a) in before.iter().zip(&after) {
        match asked.iter().zip(&json).find(|((id, ..), _)| *id == a.0) {
            Some(((_, _, r, comment), j)) if won.contains(&a.0) => {
                assert_eq!(a.1, "answered");
                assert_eq!(a.2.as_deref(), Some(j.as_str()));
                assert_eq!(a.3, Some(i64::from(*r)));
                assert_eq!(a.4.as_deref(), *comment);
                assert_eq!(a.5, Some(now));
            }
            _ => assert_eq!(a, b, "survey {} changed", a.0),
        }
    }
    // Claimed again: nothing matches, nothing changes.
    let mut tx = db.begin().await.unwrap();
    let again = surveys::claim_answers(&mut tx, db.backend(), &claims)
        .await
        .unwrap();
    tx.commit().await.unwrap();
    assert!(again.is_empty(), "{again:?}");
    assert_eq!(rows(&db).await, after);
}
both!(a_batch_claims_only_the_open_surveys_each_with_its_answer);

async fn posts_together_to_every_kind_of_survey_each_get_their_page(backend: Backend) {
    let stack = MailStack::start().await;
    let posko = listening_desk(backend, &stack).await;
    let now = wall_now();
    let later = now + 86_400;
    let n = 12;
    for i in 0..n {
        survey(&posko, FIRST + i, &token(i), "open", later).await;
    }
    survey(&posko, FIRST + 20, &token(20), "answered", later).await;
    survey(&posko, FIRST + 21, &token(21), "open", now - 1).await;
    survey(&posko, FIRST + 22, &token(22), "superseded", later).await;
    another(&posko, FIRST + 22, &token(23), "open", later).await;
    survey(&posko, FIRST + 24, &token(24), "open", later).await;
    posko
        .sql(&format!(
            "UPDATE tickets SET merged_into = {FIRST} WHERE id = {}",
            FIRST + 24
        ))
        .await;
    // Survey 0 by its reminder token too.
    posko
        .sql(&format!(
            "UPDATE surveys SET reminder_token_hash = '{}' WHERE token_hash = '{}'",
            hash(&token(30)),
            hash(&token(0))
        ))
        .await;

    // (token, the status it must get; None: one of its group wins)
    let mut posts: Vec<(i64, Option<u16>)> =
        (1..n).filter(|i| *i != 5).map(|i| (i, Some(200))).collect();
    posts.extend([(0, None), (30, None)]);
    posts.extend((0..3).map(|_| (5, None)));
    posts.extend([
        (20, Some(409)),
        (21, Some(410)),
        (22, Some(410)),
        (24, Some(410)),
        (99, Some(404)),
    ]);
    let bodies: Vec<String> = posts
        .iter()
        .map(|(t, _)| form(4, (*t % 5 + 1) as u8, &format!("kiriman {t}")))
        .collect();
    let paths: Vec<String> = posts
        .iter()
        .map(|(t, _)| format!("/s/{}", token(*t)))
        .collect();
    let pages = join_all(paths.iter().zip(&bodies).map(|(p, b)| post(&posko, p, b))).await;
    for ((t, want), page) in posts.iter().zip(&pages) {
        if let Some(want) = want {
            assert_eq!(page.status, *want, "token {t}: {}", page.body);
        }
    }
    // Survey 0 (two tokens) and 5 (three posts): exactly one 200 each, the
    // rest 409.
    for group in [[0, 30].as_slice(), [5].as_slice()] {
        let of: Vec<u16> = posts
            .iter()
            .zip(&pages)
            .filter(|((t, want), _)| want.is_none() && group.contains(t))
            .map(|(_, p)| p.status)
            .collect();
        assert_eq!(
            of.iter().filter(|s| **s == 200).count(),
            1,
            "{group:?}: {of:?}"
        );
        assert!(
            of.iter().all(|s| [200, 409].contains(s)),
            "{group:?}: {of:?}"
        );
    }
    // One answer per open survey, each event the survey's own ratings.
    let written: Vec<(i64, String, String)> = triples(
        &posko,
        "SELECT s.ticket_id, s.ratings, e.data FROM surveys s \
         JOIN events e ON e.ticket_id = s.ticket_id AND e.kind = 'survey_answered' \
         ORDER BY s.ticket_id",
    )
    .await;
    let tickets: Vec<i64> = written.iter().map(|w| w.0).collect();
    assert_eq!(tickets, (FIRST..FIRST + n).collect::<Vec<_>>());
    for (ticket, ratings, data) in &written {
        let ratings: serde_json::Value = serde_json::from_str(ratings).unwrap();
        let data: serde_json::Value = serde_json::from_str(data).unwrap();
        assert_eq!(data["ratings"], ratings, "ticket {ticket}");
    }
}
both!(posts_together_to_every_kind_of_survey_each_get_their_page);

/// Makes the database refuse the answer events of every ticket whose
/// number is a multiple of 4.
async fn fail_events_of_every_fourth(posko: &Posko, backend: Backend) {
    match backend {
        Backend::Sqlite => {
            posko
                .sql(
                    "CREATE TRIGGER fail_four BEFORE INSERT ON events WHEN NEW.ticket_id % 4 = 0 \
                     BEGIN SELECT RAISE(ABORT, 'injected failure'); END",
                )
                .await
        }
        Backend::Postgres => {
            posko
                .sql(
                    "CREATE FUNCTION fail_four() RETURNS trigger LANGUAGE plpgsql AS $$ \
                     BEGIN IF NEW.ticket_id % 4 = 0 THEN RAISE EXCEPTION 'injected failure'; END IF; \
                     RETURN NEW; END $$",
                )
                .await;
            posko
                .sql("CREATE TRIGGER fail_four BEFORE INSERT ON events FOR EACH ROW EXECUTE FUNCTION fail_four()")
                .await
        }
    }
}

/// Many failing answers among good ones, posted together: the shared
/// events statement fails for the batches holding one, and the halves go
/// again down to the failing answers, each of which fails alone (503,
/// its survey still open); every other answer is written once.
async fn failing_answers_in_shared_batches_fail_alone(backend: Backend) {
    let stack = MailStack::start().await;
    let posko = listening_desk(backend, &stack).await;
    let later = wall_now() + 86_400;
    let n = 48;
    for i in 0..n {
        survey(&posko, FIRST + i, &token(i), "open", later).await;
    }
    fail_events_of_every_fourth(&posko, backend).await;
    let paths: Vec<String> = (0..n).map(|i| format!("/s/{}", token(i))).collect();
    let body = form(4, 5, "");
    let pages = join_all(paths.iter().map(|p| post(&posko, p, &body))).await;
    for (i, page) in (0..n).zip(&pages) {
        let want = if (FIRST + i) % 4 == 0 { 503 } else { 200 };
        assert_eq!(page.status, want, "ticket {}: {}", FIRST + i, page.body);
    }
    let states: Vec<(i64, String, i64)> = triples(
        &posko,
        "SELECT s.ticket_id, s.state, \
           (SELECT COUNT(*) FROM events e WHERE e.ticket_id = s.ticket_id AND e.kind = 'survey_answered') \
         FROM surveys s ORDER BY s.ticket_id",
    )
    .await;
    for (ticket, state, events) in states {
        let (want_state, want_events) = if ticket % 4 == 0 {
            ("open", 0)
        } else {
            ("answered", 1)
        };
        assert_eq!(
            (state.as_str(), events),
            (want_state, want_events),
            "ticket {ticket}"
        );
    }
}
both!(failing_answers_in_shared_batches_fail_alone);
