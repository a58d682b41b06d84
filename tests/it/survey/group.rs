//! Survey answers written together (group commit, `web::survey::commit`):
//! many answers at once to different surveys all commit, one that fails
//! in the database fails alone, and one token posted many times at once
//! is answered exactly once. The surveys are seeded by SQL (as the bench
//! does) so that many can be posted at the same moment.

use futures::future::join_all;
use sqlx::Connection as _;

use super::*;
use crate::both;
use crate::harness::posko::free_port;

/// Ticket numbers of the seeded surveys start here.
const FIRST: i64 = 1000;

fn token(i: i64) -> String {
    format!("G{i:042}")
}

/// A desk listening on its own port with a limit far above the test's
/// posts (the limiter stays on), started.
pub(super) async fn desk(backend: Backend, stack: &MailStack) -> Posko {
    let port = free_port();
    let mut posko = desk_with(
        backend,
        stack,
        &format!("[web]\nlisten = \"127.0.0.1:{port}\"\nposts_per_minute = 1000\n"),
    )
    .await;
    posko.web_port = port;
    serve(&mut posko).await;
    posko
}

/// `n` resolved tickets from [`FIRST`], each with an open survey.
async fn seed(posko: &Posko, n: i64) {
    let now = wall_now();
    for i in FIRST..FIRST + n {
        super::seed_resolved(posko, i, now).await;
        posko
            .sql(&format!(
                "INSERT INTO surveys (ticket_id, token_hash, state, language, sent_at, expires_at) \
                 VALUES ({i}, '{}', 'open', 'id', {now}, {})",
                posko::survey::token_hash(&token(i)),
                now + 86_400
            ))
            .await;
    }
}

async fn count(posko: &Posko, sql: &str) -> i64 {
    sqlx::any::install_default_drivers();
    let mut c = sqlx::AnyConnection::connect(&posko.db_url).await.unwrap();
    sqlx::query_scalar(sqlx::AssertSqlSafe(sql.to_string()))
        .fetch_one(&mut c)
        .await
        .unwrap()
}

/// Makes the database refuse the answer event of ticket `id`.
async fn fail_events_of(posko: &Posko, backend: Backend, id: i64) {
    match backend {
        Backend::Sqlite => {
            posko
                .sql(&format!(
                    "CREATE TRIGGER fail_one BEFORE INSERT ON events WHEN NEW.ticket_id = {id} \
                     BEGIN SELECT RAISE(ABORT, 'injected failure'); END"
                ))
                .await
        }
        Backend::Postgres => {
            posko
                .sql(&format!(
                    "CREATE FUNCTION fail_one() RETURNS trigger LANGUAGE plpgsql AS $$ \
                     BEGIN IF NEW.ticket_id = {id} THEN RAISE EXCEPTION 'injected failure'; END IF; \
                     RETURN NEW; END $$"
                ))
                .await;
            posko
                .sql("CREATE TRIGGER fail_one BEFORE INSERT ON events FOR EACH ROW EXECUTE FUNCTION fail_one()")
                .await
        }
    }
}

/// `text` without its terminal colours.
fn plain(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        if c == '\u{1b}' {
            chars.by_ref().find(|c| *c == 'm');
        } else {
            out.push(c);
        }
    }
    out
}

async fn many_answers_at_once_all_commit_but_a_failing_one(backend: Backend) {
    let stack = MailStack::start().await;
    let posko = desk(backend, &stack).await;
    let n = 40;
    seed(&posko, n).await;
    let bad = FIRST + 13;
    fail_events_of(&posko, backend, bad).await;

    let paths: Vec<String> = (FIRST..FIRST + n)
        .map(|i| format!("/s/{}", token(i)))
        .collect();
    let body = form(4, 5, "cepat");
    let answers = join_all(paths.iter().map(|p| post(&posko, p, &body))).await;
    for (i, a) in (FIRST..).zip(&answers) {
        if i == bad {
            assert_eq!(a.status, 503, "{i}: {a:?}");
        } else {
            assert_eq!(a.status, 200, "{i}: {}", a.body);
            assert!(a.body.contains(&format!("#{i}")), "{}", a.body);
        }
    }
    let answered = "SELECT COUNT(*) FROM surveys WHERE state = 'answered' AND ratings IS NOT NULL";
    assert_eq!(count(&posko, answered).await, n - 1);
    let events = "SELECT COUNT(*) FROM events WHERE kind = 'survey_answered'";
    assert_eq!(count(&posko, events).await, n - 1);
    // They shared commits, the failed one's too.
    let log = plain(&posko.daemon_log());
    let most = |line: &str, field: &str| {
        log.lines()
            .filter(|l| l.contains(line))
            .filter_map(|l| {
                l.split(field)
                    .nth(1)?
                    .split_whitespace()
                    .next()?
                    .parse::<usize>()
                    .ok()
            })
            .max()
            .unwrap_or(0)
    };
    assert!(most("survey answers: one commit", "answers=") > 1, "{log}");
    // The failed one was refused in its batch (shared with others or not:
    // the pages look their tokens up first, so which answers reach the
    // writer together depends on timing).
    assert!(most("survey answer not written", "together=") >= 1, "{log}");
    // The failed answer left its survey open: it can be answered later.
    let open = format!("SELECT COUNT(*) FROM surveys WHERE ticket_id = {bad} AND state = 'open'");
    assert_eq!(count(&posko, &open).await, 1);
    // Pages read together see each row as it is: the form only for the
    // open one.
    let pages = join_all(paths.iter().map(|p| get(&posko, p))).await;
    for (i, a) in (FIRST..).zip(&pages) {
        assert_eq!(
            a.status,
            if i == bad { 200 } else { 409 },
            "{i}: {}",
            a.body
        );
    }
    // Answered elsewhere (another instance on the same database): the
    // next page read shows no form; nothing was kept of the open one.
    let set = |state: &str| format!("UPDATE surveys SET state = '{state}' WHERE ticket_id = {bad}");
    posko.sql(&set("answered")).await;
    assert_eq!(get(&posko, &paths[13]).await.status, 409);
    posko.sql(&set("open")).await;
    posko
        .sql(match backend {
            Backend::Sqlite => "DROP TRIGGER fail_one",
            Backend::Postgres => "DROP TRIGGER fail_one ON events",
        })
        .await;
    let again = post(&posko, &paths[13], &body).await;
    assert_eq!(again.status, 200, "{}", again.body);
    assert_eq!(count(&posko, answered).await, n);
    // Each answered once: a second round is refused, nothing written.
    let twice = join_all(paths.iter().take(5).map(|p| post(&posko, p, &body))).await;
    assert!(twice.iter().all(|a| a.status == 409), "{twice:?}");
    assert_eq!(count(&posko, events).await, n);
}
both!(many_answers_at_once_all_commit_but_a_failing_one);

async fn one_token_posted_many_times_at_once_wins_once(backend: Backend) {
    let stack = MailStack::start().await;
    let posko = desk(backend, &stack).await;
    seed(&posko, 1).await;
    let path = format!("/s/{}", token(FIRST));
    let bodies: Vec<String> = (1..=5u8)
        .cycle()
        .take(20)
        .map(|r| form(r, r, &format!("kiriman {r}")))
        .collect();
    let answers = join_all(bodies.iter().map(|b| post(&posko, &path, b))).await;
    let won = answers.iter().filter(|a| a.status == 200).count();
    let refused = answers.iter().filter(|a| a.status == 409).count();
    assert_eq!((won, refused), (1, 19), "{answers:?}");
    let events = format!(
        "SELECT COUNT(*) FROM events WHERE kind = 'survey_answered' AND ticket_id = {FIRST}"
    );
    assert_eq!(count(&posko, &events).await, 1);
}
both!(one_token_posted_many_times_at_once_wins_once);

/// Hostile: guessed tokens (a real one with one character changed, one of
/// the right shape for a ticket that has none) read and posted at the same
/// moment as real ones, so that they share lookup statements and commits:
/// each guess gets the unknown-link page and learns no ticket, each real
/// token its own ticket and no other's, and no guess answers anything.
async fn guessed_tokens_read_together_with_real_ones_learn_nothing(backend: Backend) {
    let stack = MailStack::start().await;
    let posko = desk(backend, &stack).await;
    let n = 20;
    seed(&posko, n).await;
    let mut paths: Vec<(Option<i64>, String)> = Vec::new();
    for i in FIRST..FIRST + n {
        paths.push((Some(i), format!("/s/{}", token(i))));
        paths.push((None, format!("/s/{}", token(i).replacen('G', "H", 1))));
        paths.push((None, format!("/s/{}", token(i + 5000))));
    }
    let no_ticket = |body: &str| (FIRST..FIRST + n).all(|j| !body.contains(&format!("#{j}")));
    let pages = join_all(paths.iter().map(|(_, p)| get(&posko, p))).await;
    for ((real, path), a) in paths.iter().zip(&pages) {
        match real {
            Some(i) => {
                assert_eq!(a.status, 200, "{path}: {}", a.body);
                assert!(a.body.contains(&format!("#{i}")), "{path}: {}", a.body);
                let mut others = (FIRST..FIRST + n).filter(|j| j != i);
                assert!(others.all(|j| !a.body.contains(&format!("#{j}"))), "{path}");
            }
            None => {
                assert_eq!(a.status, 404, "{path}: {}", a.body);
                assert!(no_ticket(&a.body), "{path}: {}", a.body);
            }
        }
    }
    let body = form(4, 5, "");
    let answers = join_all(paths.iter().map(|(_, p)| post(&posko, p, &body))).await;
    for ((real, path), a) in paths.iter().zip(&answers) {
        let want = if real.is_some() { 200 } else { 404 };
        assert_eq!(a.status, want, "{path}: {}", a.body);
        if real.is_none() {
            assert!(no_ticket(&a.body), "{path}: {}", a.body);
        }
    }
    let events = "SELECT COUNT(*) FROM events WHERE kind = 'survey_answered'";
    assert_eq!(count(&posko, events).await, n);
}
both!(guessed_tokens_read_together_with_real_ones_learn_nothing);
