//! PostgreSQL claims a batch of answers by their tokens, with no lookup
//! before (`surveys::answer_by_token_with`): of a mix of surveys only the
//! open ones are claimed, each with its own answer and one event whose
//! actor is the ticket's requester and whose data ends with the survey's
//! id; a survey posted to by both its tokens, or by one token twice, in
//! one statement is claimed once; the statement returns what the
//! thank-you page shows; sent again, it claims nothing.

use posko::store::Db;
use posko::store::surveys::{self, Answered, TokenClaim};

use super::batch::{another, survey};
use super::*;
use crate::harness::posko::MAILDIR_TO_FILES;

const FIRST: i64 = 8000;

fn token(i: i64) -> String {
    format!("T{i:042}")
}

fn hash(i: i64) -> String {
    posko::survey::token_hash(&token(i))
}

/// `(survey, ticket, actor, data)` of every survey_answered event.
type Event = (i64, i64, String, String);

/// `(id, state, ratings, comment)` of a survey.
type State = (i64, String, Option<String>, Option<String>);

/// The rows of `sql` on `db`.
async fn all<T>(db: &Db, sql: &'static str) -> Vec<T>
where
    T: for<'r> sqlx::FromRow<'r, sqlx::any::AnyRow> + Send + Unpin,
{
    let mut c = db.pool().acquire().await.unwrap();
    sqlx::query_as(sql).fetch_all(&mut *c).await.unwrap()
}

async fn events(db: &Db) -> Vec<Event> {
    all(
        db,
        "SELECT s.id, e.ticket_id, e.actor, e.data FROM events e \
         JOIN surveys s ON s.ticket_id = e.ticket_id AND s.state = 'answered' \
         WHERE e.kind = 'survey_answered' ORDER BY s.id",
    )
    .await
}

async fn states(db: &Db) -> Vec<State> {
    all(
        db,
        "SELECT id, state, ratings, comment FROM surveys ORDER BY id",
    )
    .await
}

#[tokio::test]
async fn a_batch_by_token_claims_only_the_open_surveys_once_each() {
    let posko = Posko::from_parts(Backend::Postgres, "", MAILDIR_TO_FILES).await;
    let db = Db::connect(&posko.db_url).await.expect("connect");
    db.migrate().await.expect("migrate");
    let now = wall_now();
    let later = now + 86_400;
    let at = |i: i64| FIRST + i;
    let open = survey(&posko, at(0), &token(0), "open", later).await;
    survey(&posko, at(1), &token(1), "answered", later).await;
    survey(&posko, at(2), &token(2), "open", now).await;
    survey(&posko, at(3), &token(3), "open", later).await;
    let newest = another(&posko, at(3), &token(4), "open", later).await;
    survey(&posko, at(5), &token(5), "open", later).await;
    posko
        .sql(&format!(
            "UPDATE tickets SET merged_into = {} WHERE id = {}",
            at(0),
            at(5)
        ))
        .await;
    let both = survey(&posko, at(6), &token(6), "open", later).await;
    let twice = survey(&posko, at(8), &token(8), "open", later).await;
    posko
        .sql(&format!(
            "UPDATE surveys SET reminder_token_hash = '{}' WHERE id = {both}",
            hash(7)
        ))
        .await;
    posko
        .sql(&format!(
            "UPDATE tickets SET subject = 'Printer <b>' WHERE id = {}",
            at(0)
        ))
        .await;
    let before = states(&db).await;

    // (token, rating): 0 open; 1 answered; 2 expired (at `now`); 3 older
    // than its ticket's newest; 4 the newest; 5 its ticket merged; 6 and 7
    // one survey's two tokens; 8 twice; 9 no survey.
    let asked: Vec<(i64, u8)> = vec![
        (0, 5),
        (1, 4),
        (2, 3),
        (3, 2),
        (4, 3),
        (5, 1),
        (6, 4),
        (7, 5),
        (8, 3),
        (8, 4),
        (9, 5),
    ];
    let hashes: Vec<String> = asked.iter().map(|(t, _)| hash(*t)).collect();
    let json: Vec<String> = asked
        .iter()
        .map(|(_, r)| format!("{{\"overall\":{r}}}"))
        .collect();
    let heads: Vec<String> = asked
        .iter()
        .map(|(t, _)| format!("{{\"token\":{t},\"survey\":"))
        .collect();
    let claims: Vec<TokenClaim> = (0..asked.len())
        .map(|k| TokenClaim {
            hash: &hashes[k],
            now,
            answered: Answered {
                ratings_json: &json[k],
                score: Some(i64::from(asked[k].1)),
                comment: Some("cepat"),
            },
            data_head: &heads[k],
        })
        .collect();
    let n = 16;
    let sql = surveys::answer_by_token_sql(n);
    let mut c = db.pool().acquire().await.unwrap();
    let claimed = surveys::answer_by_token_with(&mut c, &sql, n, &claims)
        .await
        .unwrap();
    drop(c);

    // Each survey claimed once, by one of its claims; what the page shows.
    let mut ids: Vec<i64> = claimed.iter().map(|(_, f)| f.id).collect();
    ids.sort();
    let mut want = vec![open, newest, both, twice];
    want.sort();
    assert_eq!(ids, want, "{claimed:?}");
    for (k, f) in &claimed {
        let (t, _) = asked[*k];
        let want_id = match t {
            0 => open,
            4 => newest,
            6 | 7 => both,
            8 => twice,
            _ => panic!("token {t} claimed: {f:?}"),
        };
        assert_eq!(f.id, want_id);
        assert_eq!(f.state, "answered");
        assert_eq!(f.language, "id");
        assert_eq!(f.requester, "alice@corp.test");
        assert_eq!(f.ticket_status.as_deref(), Some("resolved"));
        assert!(!f.merged && !f.newer, "{f:?}");
        let ticket = if t == 4 { at(3) } else { at(t) };
        assert_eq!(f.ticket_id, ticket);
    }
    let subject = claimed.iter().find(|(_, f)| f.id == open).unwrap();
    assert_eq!(subject.1.subject, "Printer <b>");

    // Each claimed survey holds the answer of the claim that won it, and
    // has that claim's one event; the others are as they were.
    let winner = |id: i64| claimed.iter().find(|(_, f)| f.id == id).map(|(k, _)| *k);
    let after = states(&db).await;
    for (b, a) in before.iter().zip(&after) {
        match winner(a.0) {
            Some(k) => {
                assert_eq!(a.1, "answered");
                assert_eq!(a.2.as_deref(), Some(json[k].as_str()));
                assert_eq!(a.3.as_deref(), Some("cepat"));
            }
            None => assert_eq!(a, b, "survey {} changed", a.0),
        }
    }
    let written = events(&db).await;
    let want: Vec<Event> = after
        .iter()
        .filter_map(|s| winner(s.0).map(|k| (s.0, k)))
        .map(|(id, k)| {
            let f = &claimed.iter().find(|(_, f)| f.id == id).unwrap().1;
            let data = format!("{{\"token\":{},\"survey\":{id}}}", asked[k].0);
            (id, f.ticket_id, "alice@corp.test".to_string(), data)
        })
        .collect();
    assert_eq!(written, want);

    // Sent again: nothing matches, nothing changes.
    let mut c = db.pool().acquire().await.unwrap();
    let again = surveys::answer_by_token_with(&mut c, &sql, n, &claims)
        .await
        .unwrap();
    drop(c);
    assert!(again.is_empty(), "{again:?}");
    assert_eq!(states(&db).await, after);
    assert_eq!(events(&db).await, written);
}
