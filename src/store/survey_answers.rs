//! The statements that write a batch of survey answers (issue 11, the
//! pages' group commit in `web::survey::commit`): the claim of many
//! surveys in one `UPDATE … FROM (VALUES …)`, their events in one
//! `INSERT … SELECT`, and on PostgreSQL both as one statement that
//! commits by itself. Re-exported by [`super::surveys`], whose other
//! queries change one survey or ticket at a time.

use anyhow::Result;
use sqlx::Row;

use super::surveys::{Found, found_of};
use super::{Backend, Conn};
use crate::domain::TicketId;

/// What an answer writes.
#[derive(Debug, Clone)]
pub struct Answered<'a> {
    pub ratings_json: &'a str,
    pub score: Option<i64>,
    pub comment: Option<&'a str>,
}

/// One answer to claim: survey `id` (as a lookup found it) by the token
/// hashing to `hash`, at `now`.
#[derive(Debug, Clone)]
pub struct Claim<'a> {
    pub id: i64,
    pub hash: &'a str,
    pub now: i64,
    pub answered: Answered<'a>,
}

/// A table `u` of `n` rows of bound values (`$1` …, row by row) with the
/// columns `cols` (name, PostgreSQL type), for an `… FROM` of one batch.
/// SQLite names a VALUES list's columns column1 …, so they are renamed in
/// a sub-select; PostgreSQL takes the names after the alias and the types
/// as casts (a bound value alone would be typed as text).
fn values_table(backend: Backend, n: usize, cols: &[(&str, &str)]) -> String {
    let rows = (0..n)
        .map(|i| {
            let row = cols
                .iter()
                .enumerate()
                .map(|(k, (_, ty))| {
                    let p = i * cols.len() + k + 1;
                    match backend {
                        Backend::Sqlite => format!("${p}"),
                        Backend::Postgres => format!("${p}::{ty}"),
                    }
                })
                .collect::<Vec<_>>()
                .join(", ");
            format!("({row})")
        })
        .collect::<Vec<_>>()
        .join(", ");
    match backend {
        Backend::Sqlite => {
            let names = cols
                .iter()
                .enumerate()
                .map(|(k, (name, _))| format!("column{} AS {name}", k + 1))
                .collect::<Vec<_>>()
                .join(", ");
            format!("(SELECT {names} FROM (VALUES {rows})) AS u")
        }
        Backend::Postgres => {
            let names = cols.iter().map(|(name, _)| *name).collect::<Vec<_>>();
            format!("(VALUES {rows}) AS u({})", names.join(", "))
        }
    }
}

/// The SQL of [`claim_answers_with`] for `n` claims on `backend`: one
/// `UPDATE … FROM (VALUES …)`, each survey's conditions as in one
/// answer's claim, returning the ids of the surveys claimed. Only the id:
/// the pages already hold what they show of a survey and its ticket from
/// the lookup that found it open, and a `RETURNING` that read the ticket
/// again (five subqueries a row) was most of the claim's cost in the
/// writer, whose work no other does meanwhile on SQLite.
///
/// It sets no indexed column, so that on PostgreSQL the new row version
/// is a HOT update (no index entries; migration 0017): in particular it
/// leaves `remind_at`, which [`super::surveys::due_reminders`] clears once it falls due
/// on a survey no longer open.
pub fn claim_answers_sql(backend: Backend, n: usize) -> String {
    let from = values_table(backend, n, CLAIM_COLUMNS);
    format!("UPDATE surveys {CLAIM_SET} FROM {from} {CLAIM_WHERE} RETURNING surveys.id")
}

/// The columns of a batch's claims (`u`), in the order they are bound.
const CLAIM_COLUMNS: &[(&str, &str)] = &[
    ("id", "BIGINT"),
    ("hash", "TEXT"),
    ("at", "BIGINT"),
    ("ratings", "TEXT"),
    ("score", "BIGINT"),
    ("comment", "TEXT"),
];

/// What a claim writes of each answer of `u`.
const CLAIM_SET: &str = "SET state = 'answered', answered_at = u.at, ratings = u.ratings, \
     score = u.score, comment = u.comment";

/// Which surveys a claim moves: each of `u` still open by its token,
/// unexpired, the newest of its ticket, and the ticket there and not
/// merged.
const CLAIM_WHERE: &str = "WHERE surveys.id = u.id \
       AND (surveys.token_hash = u.hash OR surveys.reminder_token_hash = u.hash) \
       AND surveys.state = 'open' AND surveys.expires_at > u.at \
       AND NOT EXISTS (SELECT 1 FROM surveys n WHERE n.ticket_id = surveys.ticket_id AND n.id > surveys.id) \
       AND EXISTS (SELECT 1 FROM tickets t WHERE t.id = surveys.ticket_id AND t.merged_into IS NULL)";

/// Claims, in one statement, the surveys of `claims` for their answers:
/// each moves from open to answered only when its token still matches
/// and it is unexpired, the newest of its ticket, and the ticket is there
/// and not merged (else nothing changes: the caller reads why). Returns
/// the ids of the surveys this call moved, in no order. `sql` is
/// [`claim_answers_sql`] for `n >= claims.len()`; the rows past the
/// claims are padding that matches nothing. The claims must name distinct
/// surveys (of two claims of one survey in one statement the database
/// would pick either). A claim of a survey another transaction holds
/// waits for it (PostgreSQL's row lock, SQLite's write lock) and then
/// matches nothing when that one answered it.
pub async fn claim_answers_with(
    c: &mut Conn,
    sql: &str,
    n: usize,
    claims: &[Claim<'_>],
) -> Result<Vec<i64>> {
    anyhow::ensure!(claims.len() <= n, "{} claims for {n} rows", claims.len());
    let mut q = sqlx::query(sqlx::AssertSqlSafe(sql.to_string()));
    for k in claims {
        q = bind_claim(q, Some(k));
    }
    for _ in claims.len()..n {
        q = bind_claim(q, None);
    }
    ids(&q.fetch_all(&mut *c).await?)
}

type AnyQuery<'q> = sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments>;

/// Binds claim `k`'s row of `u` ([`CLAIM_COLUMNS`]); `None`, a padding
/// row that matches nothing (no survey has id 0).
fn bind_claim<'q>(q: AnyQuery<'q>, k: Option<&Claim<'_>>) -> AnyQuery<'q> {
    match k {
        Some(k) => q
            .bind(k.id)
            .bind(k.hash)
            .bind(k.now)
            .bind(k.answered.ratings_json)
            .bind(k.answered.score)
            .bind(k.answered.comment),
        None => q
            .bind(0i64)
            .bind("")
            .bind(0i64)
            .bind(None::<String>)
            .bind(None::<i64>)
            .bind(None::<String>),
    }
}

/// The survey ids a claim returned (its first column).
fn ids(rows: &[sqlx::any::AnyRow]) -> Result<Vec<i64>> {
    rows.iter()
        .map(|r| r.try_get::<i64, _>(0).map_err(Into::into))
        .collect()
}

/// [`claim_answers_with`] with its SQL made here.
pub async fn claim_answers(
    c: &mut Conn,
    backend: Backend,
    claims: &[Claim<'_>],
) -> Result<Vec<i64>> {
    let n = claims.len().max(1);
    claim_answers_with(c, &claim_answers_sql(backend, n), n, claims).await
}

/// A `survey_answered` event to write ([`insert_answered_events`]).
#[derive(Debug, Clone)]
pub struct AnsweredEvent {
    pub ticket_id: TicketId,
    pub actor: String,
    pub at: i64,
    /// The event's data, JSON.
    pub data: String,
}

/// The SQL of [`insert_answered_events_with`] for `n` events: one
/// `INSERT … SELECT … FROM (VALUES …)`, whose rows with no ticket are
/// padding and written nowhere. One statement whatever the batch, so it
/// is prepared once per size (a script of one `INSERT` per answer was
/// parsed anew each time: a fifth of an answer's cost on SQLite).
pub fn answered_events_sql(backend: Backend, n: usize) -> String {
    let from = values_table(
        backend,
        n,
        &[
            ("ticket_id", "BIGINT"),
            ("actor", "TEXT"),
            ("at", "BIGINT"),
            ("data", "TEXT"),
        ],
    );
    format!(
        "INSERT INTO events (ticket_id, kind, actor, at, message_id, data) \
         SELECT u.ticket_id, 'survey_answered', u.actor, u.at, NULL, u.data FROM {from} \
         WHERE u.ticket_id IS NOT NULL"
    )
}

/// Writes `events` in one statement, in their order: `sql` is
/// [`answered_events_sql`] for `n >= events.len()`.
pub async fn insert_answered_events_with(
    c: &mut Conn,
    sql: &str,
    n: usize,
    events: &[AnsweredEvent],
) -> Result<()> {
    anyhow::ensure!(events.len() <= n, "{} events for {n} rows", events.len());
    let mut q = sqlx::query(sqlx::AssertSqlSafe(sql.to_string()));
    for e in events {
        q = q
            .bind(e.ticket_id)
            .bind(e.actor.as_str())
            .bind(e.at)
            .bind(e.data.as_str());
    }
    for _ in events.len()..n {
        q = q
            .bind(None::<i64>)
            .bind(None::<String>)
            .bind(None::<i64>)
            .bind(None::<String>);
    }
    q.execute(&mut *c).await?;
    Ok(())
}

/// One answer to claim by its token, PostgreSQL's one-statement path
/// ([`answer_by_token_with`]): the survey whose first or reminder token
/// hashes to `hash`, at `now`. `data_head` is the answer's event data up
/// to the survey's id, which only the claim learns: the event's data is
/// `data_head`, the id and `}`.
#[derive(Debug, Clone)]
pub struct TokenClaim<'a> {
    pub hash: &'a str,
    pub now: i64,
    pub answered: Answered<'a>,
    pub data_head: &'a str,
}

/// The columns of a by-token batch (`u`), in the order they are bound.
const TOKEN_COLUMNS: &[(&str, &str)] = &[
    ("slot", "BIGINT"),
    ("hash", "TEXT"),
    ("at", "BIGINT"),
    ("ratings", "TEXT"),
    ("score", "BIGINT"),
    ("comment", "TEXT"),
    ("head", "TEXT"),
];

/// The SQL of [`answer_by_token_with`] for `n` answers, PostgreSQL only:
/// the claim, the events and what the thank-you page shows, as one
/// statement. The claim finds each survey by its token's hash itself, so
/// an answer needs no lookup before it (a batched read, ~80k server
/// instructions and a round trip per token, with a hand-off to a reader
/// task in the daemon); its conditions are [`claim_answers_sql`]'s. The
/// ticket is joined to check it is not merged and to return what the page
/// and the event need (requester, subject), read once. The events are
/// written from the claim's `RETURNING`, so only for the surveys it moved.
/// Sent alone, outside any `BEGIN`, the statement is its own transaction:
/// PostgreSQL commits it, the WAL flushed, before it answers
/// `ReadyForQuery`, the message sqlx waits for before the call returns.
/// SQLite takes no `UPDATE … RETURNING` inside a `WITH` (and its readers
/// run beside its one writer, so its lookup costs the writer nothing);
/// it keeps the lookup and the transaction.
pub fn answer_by_token_sql(n: usize) -> String {
    let from = values_table(Backend::Postgres, n, TOKEN_COLUMNS);
    format!(
        "WITH claimed AS (UPDATE surveys {CLAIM_SET} FROM {from}, tickets t \
           WHERE (surveys.token_hash = u.hash OR surveys.reminder_token_hash = u.hash) \
             AND surveys.state = 'open' AND surveys.expires_at > u.at \
             AND NOT EXISTS (SELECT 1 FROM surveys n \
               WHERE n.ticket_id = surveys.ticket_id AND n.id > surveys.id) \
             AND t.id = surveys.ticket_id AND t.merged_into IS NULL \
           RETURNING u.slot, u.at, u.head, surveys.id, surveys.ticket_id, surveys.state, \
             surveys.language, surveys.expires_at, t.status, t.merged_into, t.subject, \
             t.requester, t.requester_name, t.assignee, t.group_key), \
         written AS (INSERT INTO events (ticket_id, kind, actor, at, message_id, data) \
           SELECT ticket_id, 'survey_answered', requester, at, NULL, head || id || '}}' \
           FROM claimed) \
         SELECT slot, id, ticket_id, state, language, expires_at, 0::BIGINT AS newer, status, \
           merged_into, subject, requester, requester_name, assignee, group_key FROM claimed"
    )
}

/// Claims, in one statement that commits by itself (call it on a
/// connection outside a transaction), the survey of each of `claims` by
/// its token, under the conditions of [`claim_answers_with`], and writes
/// the `survey_answered` event of each one claimed (actor: the ticket's
/// requester). Returns, for each claim that moved its survey, its index
/// in `claims` and the survey with its ticket as they are now; nothing is
/// written when it fails (a failing event undoes the claims). `sql` is
/// [`answer_by_token_sql`] for `n >= claims.len()`. The hashes must be
/// distinct; two claims of one survey by its two tokens move it once
/// (PostgreSQL updates a row once per statement), and only that claim is
/// returned. A survey another transaction holds is waited for and then
/// matches nothing when that one answered it.
pub async fn answer_by_token_with(
    c: &mut Conn,
    sql: &str,
    n: usize,
    claims: &[TokenClaim<'_>],
) -> Result<Vec<(usize, Found)>> {
    anyhow::ensure!(claims.len() <= n, "{} claims for {n} rows", claims.len());
    let mut q = sqlx::query(sqlx::AssertSqlSafe(sql.to_string()));
    for (slot, k) in claims.iter().enumerate() {
        q = q
            .bind(slot as i64)
            .bind(k.hash)
            .bind(k.now)
            .bind(k.answered.ratings_json)
            .bind(k.answered.score)
            .bind(k.answered.comment)
            .bind(k.data_head);
    }
    for _ in claims.len()..n {
        // No hash: matches no survey.
        q = q
            .bind(-1i64)
            .bind(None::<String>)
            .bind(0i64)
            .bind(None::<String>)
            .bind(None::<i64>)
            .bind(None::<String>)
            .bind(None::<String>);
    }
    q.fetch_all(&mut *c)
        .await?
        .iter()
        .map(|r| {
            let slot: i64 = r.try_get("slot")?;
            Ok((usize::try_from(slot)?, found_of(r)?))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    /// A desk of 5,000 tickets, each with an open survey.
    const SEED: &str = "\
        INSERT INTO tickets (id, subject, status, requester, created_at, updated_at) \
          SELECT g, 's', 'resolved', 'r@corp.test', 0, 0 FROM generate_series(1, 5000) g; \
        INSERT INTO surveys (id, ticket_id, token_hash, state, language, sent_at, expires_at) \
          SELECT g, g, 'h' || g, 'open', 'id', 0, 1000 FROM generate_series(1, 5000) g";

    /// The batch statements' generic plans (the ones each connection
    /// keeps) find every survey and ticket by its index: a scan of
    /// `surveys` or `tickets` per batch would grow with the desk's history.
    /// The claim by id goes by the surveys' key; the claim by token by
    /// the two hash indexes and the tickets' key. (Made on empty tables,
    /// before any ANALYZE, PostgreSQL starts from a scan of `tickets`: a
    /// plan that the first analyze of a desk's tables replaces, as it
    /// invalidates the plans kept.)
    #[tokio::test]
    async fn a_batch_statement_finds_its_rows_by_index() {
        let n = 32;
        // A batch by token: slot, hash, at, ratings, score, comment, head.
        let rows: Vec<String> = (1..=n)
            .map(|i| format!("{i}, 'h{i}', 100, '{{}}', 5, NULL, '{{\"low\":0'"))
            .collect();
        // The claim by id (a batch with a staff notice): id, hash, at,
        // ratings, score, comment.
        let claim_rows: Vec<String> = (1..=n)
            .map(|i| format!("{i}, 'h{i}', 100, '{{}}', 5, NULL"))
            .collect();
        let plans = crate::store::script_pg::tests::generic_plans_after(
            SEED,
            &[
                (
                    "by_token",
                    &super::answer_by_token_sql(n),
                    &format!("by_token({})", rows.join(", ")),
                ),
                (
                    "claim",
                    &super::claim_answers_sql(crate::store::Backend::Postgres, n),
                    &format!("claim({})", claim_rows.join(", ")),
                ),
            ],
        )
        .await;
        let indexes: [&[&str]; 2] = [
            &[
                "surveys_token_hash_key",
                "surveys_reminder_token",
                "tickets_pkey",
            ],
            &["surveys_pkey"],
        ];
        for (plan, used) in plans.iter().zip(indexes) {
            assert!(!plan.contains("Seq Scan"), "{plan}");
            for index in used {
                assert!(plan.contains(index), "{index}: {plan}");
            }
        }
    }
}
