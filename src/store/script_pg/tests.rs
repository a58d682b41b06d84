//! The literals say what the bound arguments said: the same statements,
//! run with bound arguments and as one inlined query on a real PostgreSQL
//! (`POSKO_TEST_PG`), write the same rows.

use super::*;
use crate::store::Db;
use crate::store::script::Script;

/// The server the tests run on (`POSKO_TEST_PG`).
fn test_url() -> String {
    std::env::var("POSKO_TEST_PG")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".into())
}

async fn test_db() -> Db {
    Db::connect(&test_url())
        .await
        .expect("PostgreSQL at POSKO_TEST_PG")
}

#[test]
fn statements_are_prepared_once_and_executed_with_typed_literals() {
    let mut q = Query::default();
    let mut names = HashSet::new();
    let args = vec![
        Arg::Int(Some(-7)),
        Arg::Text(Some("it's a \\ test".into())),
        Arg::Bytes(vec![0, 0xab, 0xff]),
        Arg::Text(None),
    ];
    let stmt = "INSERT INTO t VALUES ($1, $2, '$', $3, $4, $2)";
    execute(&mut q, &mut names, stmt, &args);
    execute(&mut q, &mut names, stmt, &args);
    execute(&mut q, &mut names, "SELECT 1", &[]);
    let n = name_of(stmt, &["BIGINT", "TEXT", "BYTEA", "TEXT"]);
    let m = name_of::<&str>("SELECT 1", &[]);
    let lit = "(CAST(-7 AS BIGINT), CAST(E'it''s a \\\\ test' AS TEXT), \
               decode('00abff', 'hex'), CAST(NULL AS TEXT))";
    assert_eq!(
        q.prep,
        format!("PREPARE {n} (BIGINT, TEXT, BYTEA, TEXT) AS {stmt};\nPREPARE {m} AS SELECT 1;\n")
    );
    assert_eq!(
        q.sql,
        format!("EXECUTE {n}{lit};\nEXECUTE {n}{lit};\nEXECUTE {m};\n")
    );
    // Other argument types, another prepared statement.
    assert_ne!(name_of(stmt, &["BIGINT"]), name_of(stmt, &["TEXT"]));
}

#[test]
fn large_or_nul_arguments_are_bound() {
    assert!(inlinable(&[Arg::Bytes(vec![1; 1000]), "x".into()]));
    assert!(!inlinable(&[Arg::Bytes(vec![1; INLINE_LIMIT])]));
    assert!(!inlinable(&[Arg::Text(Some("a\0b".into()))]));
    assert!(preparable("\n insert INTO t VALUES ($1)"));
    assert!(!preparable("LOCK TABLE t IN EXCLUSIVE MODE"));
}

/// Rows of (n, t, b, l) a statement list writes, bound one by one or as a
/// script.
type Row4 = (Option<i64>, Option<String>, Option<Vec<u8>>, Option<i64>);

fn awkward_rows() -> Vec<Vec<Arg>> {
    let all_bytes: Vec<u8> = (0..=255u8).collect();
    vec![
        vec![Arg::Int(Some(i64::MIN)), "plain".into(), Arg::Bytes(vec![])],
        vec![
            Arg::Int(Some(i64::MAX)),
            "o'neil \\n \\\\ ''".into(),
            Arg::Bytes(all_bytes),
        ],
        vec![Arg::Int(None), Arg::Text(None), Arg::Bytes(vec![0])],
        vec![
            0.into(),
            "$1 $$ E'x' ; -- /* ünï 漢字 🙂\r\n\t".into(),
            Arg::Bytes(b"\\x00".to_vec()),
        ],
        // Over the inline limit: bound, in its turn between inlined ones.
        vec![1.into(), "".into(), Arg::Bytes(vec![7; INLINE_LIMIT + 1])],
        vec![2.into(), "after the big one".into(), Arg::Bytes(vec![1, 2])],
    ]
}

#[tokio::test]
async fn inlined_script_writes_what_bound_statements_write() {
    let db = test_db().await;
    let mut tx = db.begin().await.unwrap();
    for t in ["pgi_bound", "pgi_inlined"] {
        sqlx::raw_sql(AssertSqlSafe(format!(
            "CREATE TEMP TABLE {t} (id BIGSERIAL PRIMARY KEY, n BIGINT, t TEXT, b BYTEA, \
             l BIGINT) ON COMMIT DROP"
        )))
        .execute(&mut *tx)
        .await
        .unwrap();
    }
    // Each row also reads what the statement before it wrote (a script's
    // statements see each other's writes, as the ingest's subqueries need).
    const BOUND: &str = "INSERT INTO pgi_bound (n, t, b, l) VALUES ($1, $2 || '', $3, \
                         (SELECT COUNT(*) FROM pgi_bound WHERE t = $2))";
    const INLINED: &str = "INSERT INTO pgi_inlined (n, t, b, l) VALUES ($1, $2 || '', $3, \
                           (SELECT COUNT(*) FROM pgi_inlined WHERE t = $2))";
    // Twice: the second script finds its statements prepared (asking the
    // server), a third with a Prepared that already knows.
    let mut known = Prepared::default();
    for round in 0..3 {
        let mut script = Script::new();
        for args in awkward_rows() {
            let mut bound = AnyArguments::default();
            for a in args.clone() {
                bind(&mut bound, a).unwrap();
            }
            sqlx::query_with(BOUND, bound)
                .execute(&mut *tx)
                .await
                .unwrap();
            script.push(INLINED, args);
        }
        match round {
            0 | 1 => script.run(&mut tx, db.backend()).await.unwrap(),
            _ => script
                .run_with(&mut tx, db.backend(), &mut known)
                .await
                .unwrap(),
        }
    }
    let mut got = Vec::new();
    for t in ["pgi_bound", "pgi_inlined"] {
        let rows: Vec<Row4> = sqlx::query_as(AssertSqlSafe(format!(
            "SELECT n, t, b, l FROM {t} ORDER BY id"
        )))
        .fetch_all(&mut *tx)
        .await
        .unwrap();
        got.push(rows);
    }
    assert_eq!(got[0].len(), 3 * awkward_rows().len());
    assert_eq!(got[0], got[1]);
    assert_eq!(got[1][1].1.as_deref(), Some("o'neil \\n \\\\ ''"));
}

/// A batch of tickets as the ingest writes them, in miniature: per ticket
/// its row, a clock (with the ticket, in one statement), a message, an
/// event that finds the message by Message-ID; now and then an event of
/// another text, an update, a Message-ID used twice. More rows than one
/// merged statement takes, so a table's rows go in several.
fn ticket_statements() -> Vec<(&'static str, Vec<Arg>)> {
    const TICKET: &str = "INSERT INTO tickets (id, subject) VALUES ($1, $2)";
    const CLOCK: &str = "INSERT INTO sla_clocks (ticket_id, kind) VALUES ($1, $2)";
    const MESSAGE: &str = "INSERT INTO messages (ticket_id, message_id, body) VALUES ($1, $2, $3)";
    const EVENT: &str = "INSERT INTO events (ticket_id, message_id, data) \
                         VALUES ($1, (SELECT MAX(id) FROM messages WHERE message_id = $2), $3)";
    const BARE_EVENT: &str =
        "INSERT INTO events (ticket_id, message_id, data) VALUES ($1, NULL, $2)";
    const UPDATE: &str = "UPDATE messages SET body = body || '!' \
                          WHERE id = (SELECT MAX(id) FROM messages WHERE message_id = $1)";
    let mut out = Vec::new();
    for t in 1..=400i64 {
        let mid = match t {
            7 | 9 => "<twin@x>".to_string(),
            _ => format!("<m{t}@x>"),
        };
        out.push((TICKET, vec![t.into(), format!("it's #{t}").into()]));
        out.push((CLOCK, vec![t.into(), "first_response".into()]));
        out.push((
            MESSAGE,
            vec![t.into(), mid.as_str().into(), Arg::Text(None)],
        ));
        out.push((
            MESSAGE,
            vec![t.into(), format!("<ack{t}@x>").into(), "ack".into()],
        ));
        out.push((EVENT, vec![t.into(), mid.as_str().into(), "created".into()]));
        if t % 11 == 0 && t < 60 {
            out.push((BARE_EVENT, vec![t.into(), "suppressed".into()]));
            out.push((UPDATE, vec![format!("<ack{t}@x>").into()]));
        }
        out.push((
            EVENT,
            vec![t.into(), format!("<ack{t}@x>").into(), "acked".into()],
        ));
    }
    out
}

#[tokio::test]
async fn merged_rows_are_what_statements_one_by_one_write() {
    let db = test_db().await;
    type Rows = (
        Vec<(i64, String)>,
        Vec<(i64, i64, String, Option<String>)>,
        Vec<(i64, i64, Option<i64>, String)>,
    );
    let mut got: Vec<Rows> = Vec::new();
    for merged in [false, true] {
        let mut tx = db.begin().await.unwrap();
        // Temporary tables of the merged names, shadowing any real ones.
        sqlx::raw_sql(
            "CREATE TEMP TABLE tickets (id BIGINT PRIMARY KEY, subject TEXT) ON COMMIT DROP; \
             CREATE TEMP TABLE sla_clocks (ticket_id BIGINT NOT NULL REFERENCES tickets(id), \
               kind TEXT) ON COMMIT DROP; \
             CREATE TEMP TABLE messages (id BIGSERIAL PRIMARY KEY, \
               ticket_id BIGINT NOT NULL REFERENCES tickets(id), message_id TEXT, body TEXT) \
               ON COMMIT DROP; \
             CREATE TEMP TABLE events (id BIGSERIAL PRIMARY KEY, \
               ticket_id BIGINT NOT NULL REFERENCES tickets(id), \
               message_id BIGINT REFERENCES messages(id), data TEXT) ON COMMIT DROP",
        )
        .execute(&mut *tx)
        .await
        .unwrap();
        if merged {
            let mut script = Script::new();
            for (stmt, args) in ticket_statements() {
                script.push(stmt, args);
            }
            script.run(&mut tx, db.backend()).await.unwrap();
            let merged_stmts: i64 = sqlx::query_scalar(
                "SELECT COUNT(*) FROM pg_prepared_statements WHERE statement LIKE '%u.keep IS NOT NULL%'",
            )
            .fetch_one(&mut *tx)
            .await
            .unwrap();
            assert!(merged_stmts >= 3, "the rows were not merged");
            let with_clocks: i64 = sqlx::query_scalar(
                "SELECT COUNT(*) FROM pg_prepared_statements \
                 WHERE statement LIKE 'WITH w0 AS (INSERT INTO tickets %INSERT INTO sla_clocks %'",
            )
            .fetch_one(&mut *tx)
            .await
            .unwrap();
            assert!(with_clocks >= 1, "tickets and clocks went apart");
        } else {
            for (stmt, args) in ticket_statements() {
                let mut bound = AnyArguments::default();
                for a in args {
                    bind(&mut bound, a).unwrap();
                }
                sqlx::query_with(stmt, bound)
                    .execute(&mut *tx)
                    .await
                    .unwrap();
            }
        }
        let tickets = sqlx::query_as("SELECT id, subject FROM tickets ORDER BY id")
            .fetch_all(&mut *tx)
            .await
            .unwrap();
        let messages =
            sqlx::query_as("SELECT id, ticket_id, message_id, body FROM messages ORDER BY id")
                .fetch_all(&mut *tx)
                .await
                .unwrap();
        let events =
            sqlx::query_as("SELECT id, ticket_id, message_id, data FROM events ORDER BY id")
                .fetch_all(&mut *tx)
                .await
                .unwrap();
        got.push((tickets, messages, events));
        tx.rollback().await.unwrap();
    }
    assert_eq!(got[0].0.len(), 400);
    assert_eq!(got[0].1.len(), 800);
    assert_eq!(got[0], got[1]);
}

/// The plan PostgreSQL keeps for the mail bytes' insert (a generic plan,
/// made while the tables are small, as at the start of a first ingest)
/// finds the outbox row by its unique Message-ID. With `AND status =
/// 'queued'` in the sub-select it took the `outbox_due` index and read
/// every queued row for each mail: quadratic in the queue, 16 of the 20 s
/// of statements of a 5,000-message ingest.
#[tokio::test]
async fn outbox_plans_made_on_empty_tables_take_the_right_index() {
    let plans = generic_plans_on_a_fresh_database(&[(
        "raw_ins (TEXT, BYTEA)",
        crate::store::outbox::RAW_INSERT,
        "raw_ins('<a@x>', '\\x00')",
    )])
    .await;
    let [raw] = plans.as_slice() else {
        unreachable!("one plan")
    };
    assert!(raw.contains("outbox_message_id_key"), "{raw}");
    assert!(!raw.contains("outbox_due"), "{raw}");
}

/// The newest or oldest row of a key (a Message-ID a reply names, an
/// Outlook conversation, a requester's tickets, the message an event is
/// of) comes from the key's index with `id` in it (migration 0015). With
/// the key alone in the index, the plan walked the primary key and
/// filtered every row: a reply naming unknown mail read all of `messages`.
#[tokio::test]
async fn newest_and_oldest_of_a_key_come_from_its_index() {
    let plans = generic_plans_on_a_fresh_database(&[
        (
            "by_mid (TEXT)",
            crate::store::messages::TICKET_OF_MESSAGE,
            "by_mid('<a@x>')",
        ),
        (
            "by_conv (TEXT)",
            crate::store::messages::TICKET_OF_CONVERSATION,
            "by_conv('k')",
        ),
        (
            "lang (TEXT)",
            crate::store::tickets::LATEST_LANGUAGE,
            "lang('a@x')",
        ),
        (
            "latest (TEXT)",
            "SELECT MAX(id) FROM messages WHERE message_id = $1",
            "latest('<a@x>')",
        ),
    ])
    .await;
    for (plan, index) in plans.iter().zip([
        "messages_message_id_id",
        "messages_conversation_id",
        "tickets_requester_id",
        "messages_message_id_id",
    ]) {
        assert!(plan.contains(index), "{plan}");
        assert!(!plan.contains("_pkey"), "{plan}");
    }
}

/// The generic plans (as PostgreSQL keeps for a prepared statement, made
/// while the tables are empty, as at the start of a first ingest) of
/// `(name and types, statement, execution)` on a freshly migrated database.
pub(in crate::store) async fn generic_plans_on_a_fresh_database(
    statements: &[(&str, &str, &str)],
) -> Vec<String> {
    generic_plans_after("", statements).await
}

/// The generic plans of `statements` (as [`generic_plans_on_a_fresh_database`])
/// made after `seed` ran on the freshly migrated database and it was
/// analyzed, as a desk's database is once autovacuum has seen its rows.
pub(in crate::store) async fn generic_plans_after(
    seed: &str,
    statements: &[(&str, &str, &str)],
) -> Vec<String> {
    let admin = test_url();
    let name = format!("posko_u_{:016x}", rand::random::<u64>());
    let base = admin.rsplit_once('/').map_or(admin.as_str(), |(b, _)| b);
    let db = test_db().await;
    sqlx::raw_sql(AssertSqlSafe(format!("CREATE DATABASE {name}")))
        .execute(db.pool())
        .await
        .unwrap();
    let fresh = Db::connect(&format!("{base}/{name}")).await.unwrap();
    fresh.migrate().await.unwrap();
    let mut c = fresh.pool().acquire().await.unwrap();
    if !seed.is_empty() {
        sqlx::raw_sql(AssertSqlSafe(format!("{seed}; ANALYZE")))
            .execute(&mut *c)
            .await
            .unwrap();
    }
    sqlx::raw_sql("SET plan_cache_mode = force_generic_plan")
        .execute(&mut *c)
        .await
        .unwrap();
    let mut plans = Vec::new();
    for (head, stmt, run) in statements {
        sqlx::raw_sql(AssertSqlSafe(format!("PREPARE {head} AS {stmt}")))
            .execute(&mut *c)
            .await
            .unwrap();
        let plan: Vec<String> = sqlx::query_scalar(AssertSqlSafe(format!("EXPLAIN EXECUTE {run}")))
            .fetch_all(&mut *c)
            .await
            .unwrap();
        plans.push(plan.join("\n"));
    }
    drop(c);
    fresh.close().await;
    sqlx::raw_sql(AssertSqlSafe(format!("DROP DATABASE {name} WITH (FORCE)")))
        .execute(db.pool())
        .await
        .unwrap();
    plans
}

/// A unit given the caller's record of the prepared statements (a batch's,
/// kept across the replies in it) keeps it up to date, so the next unit on
/// the connection runs its script without listing the statements again.
#[tokio::test]
async fn units_share_the_callers_record_of_prepared_statements() {
    use crate::store::unit::Unit;
    let db = test_db().await;
    let mut tx = db.begin().await.unwrap();
    sqlx::raw_sql("CREATE TEMP TABLE shared_record (a BIGINT) ON COMMIT DROP")
        .execute(&mut *tx)
        .await
        .unwrap();
    const INSERT: &str = "INSERT INTO shared_record (a) VALUES ($1)";
    let mut prepared = Prepared::default();
    for a in [1i64, 2] {
        let mut u = Unit::with_prepared(&mut tx, db.backend(), &mut prepared);
        u.push(INSERT, vec![a.into()]);
        u.finish().await.unwrap();
        let names = prepared.names.as_ref().expect("listed by the first unit");
        assert!(names.contains(&name_of(INSERT, &["BIGINT"])), "{names:?}");
    }
    let rows: Vec<i64> = sqlx::query_scalar("SELECT a FROM shared_record ORDER BY a")
        .fetch_all(&mut *tx)
        .await
        .unwrap();
    assert_eq!(rows, vec![1, 2]);
    tx.rollback().await.unwrap();
}
