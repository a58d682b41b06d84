//! The partial indexes of migration 0016 still answer their readers, on
//! both databases, and PostgreSQL connections plan prepared statements once
//! ([`super::PG_SESSION`]), but a report's plans each run
//! ([`super::Db::acquire_for_report`]).
//!
//! An index `WHERE c IS NOT NULL` serves a query only if the planner can
//! tell that the query's condition on `c` excludes NULL. Both planners can
//! for `=` and `<=` today; these tests fail if one stops (or if a reader is
//! rewritten with a condition NULL could pass), rather than the lookup
//! quietly reading the whole table.

use sqlx::AssertSqlSafe;

use super::Db;
use super::messages::TICKET_OF_CONVERSATION;
use super::surveys::DUE_AUTO_CLOSE;

/// The readers of the partial indexes and the index each must use.
const READERS: [(&str, &str, &str); 2] = [
    (
        "by_conv (TEXT)",
        TICKET_OF_CONVERSATION,
        "messages_conversation_id",
    ),
    (
        "auto_close (BIGINT, BIGINT)",
        DUE_AUTO_CLOSE,
        "tickets_auto_close",
    ),
];

#[tokio::test]
async fn partial_indexes_answer_their_readers_on_postgres() {
    let plans = super::script_pg::tests::generic_plans_on_a_fresh_database(&[
        (READERS[0].0, READERS[0].1, "by_conv('k')"),
        (READERS[1].0, READERS[1].1, "auto_close(100, 10)"),
    ])
    .await;
    for (plan, (_, _, index)) in plans.iter().zip(READERS) {
        assert!(plan.contains(index), "{plan}");
        assert!(!plan.contains("Seq Scan"), "{plan}");
    }
}

#[tokio::test]
async fn partial_indexes_answer_their_readers_on_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    let db = Db::connect(&format!("sqlite://{}/p.db", dir.path().display()))
        .await
        .unwrap();
    db.migrate().await.unwrap();
    let mut c = db.pool().acquire().await.unwrap();
    for (_, query, index) in READERS {
        let rows: Vec<(i64, i64, i64, String)> =
            sqlx::query_as(AssertSqlSafe(format!("EXPLAIN QUERY PLAN {query}")))
                .fetch_all(&mut *c)
                .await
                .unwrap();
        let plan: Vec<&str> = rows.iter().map(|r| r.3.as_str()).collect();
        assert!(
            plan.iter()
                .any(|p| p.contains(&format!("USING INDEX {index}"))
                    || p.contains(&format!("USING COVERING INDEX {index}"))),
            "{plan:?}"
        );
        // Partial: the index holds no row without a value.
        let sql: String = sqlx::query_scalar("SELECT sql FROM sqlite_master WHERE name = $1")
            .bind(index)
            .fetch_one(&mut *c)
            .await
            .unwrap();
        assert!(sql.contains("IS NOT NULL"), "{sql}");
    }
}

/// Every PostgreSQL connection of the pool plans a prepared statement once,
/// and the partial indexes there hold only rows with a value (a database
/// of its own: the shared one is not migrated by tests).
#[tokio::test]
async fn postgres_connections_plan_once_and_index_only_values() {
    let admin = std::env::var("POSKO_TEST_PG")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".into());
    let name = format!("posko_p_{:016x}", rand::random::<u64>());
    let base = admin.rsplit_once('/').map_or(admin.as_str(), |(b, _)| b);
    let shared = Db::connect(&admin)
        .await
        .expect("PostgreSQL at POSKO_TEST_PG");
    let run = |sql: String| sqlx::raw_sql(AssertSqlSafe(sql)).execute(shared.pool());
    run(format!("CREATE DATABASE {name}")).await.unwrap();
    let db = Db::connect(&format!("{base}/{name}")).await.unwrap();
    db.migrate().await.unwrap();
    let mut held = Vec::new();
    for _ in 0..2 {
        let mut c = db.pool().acquire().await.unwrap();
        assert_eq!(plan_mode(&mut c).await, "force_generic_plan");
        held.push(c);
    }
    for (_, _, index) in READERS {
        let def: String =
            sqlx::query_scalar("SELECT indexdef FROM pg_indexes WHERE indexname = $1")
                .bind(index)
                .fetch_one(&mut *held[0])
                .await
                .unwrap();
        assert!(def.contains("IS NOT NULL"), "{def}");
    }
    drop(held);
    // A report's connection plans per run, and leaves with its setting.
    let mut report = db.acquire_for_report().await.unwrap();
    assert_eq!(plan_mode(&mut report).await, "auto");
    let report_pid = backend_pid(&mut report).await;
    drop(report);
    let mut after = Vec::new();
    for _ in 0..3 {
        let mut c = db.pool().acquire().await.unwrap();
        assert_ne!(backend_pid(&mut c).await, report_pid, "report conn reused");
        assert_eq!(plan_mode(&mut c).await, "force_generic_plan");
        after.push(c);
    }
    drop(after);
    db.close().await;
    run(format!("DROP DATABASE {name} WITH (FORCE)"))
        .await
        .unwrap();
}

type PoolConn = sqlx::pool::PoolConnection<sqlx::Any>;

async fn backend_pid(c: &mut PoolConn) -> i32 {
    sqlx::query_scalar("SELECT pg_backend_pid()")
        .fetch_one(&mut **c)
        .await
        .unwrap()
}

async fn plan_mode(c: &mut PoolConn) -> String {
    sqlx::query_scalar("SELECT current_setting('plan_cache_mode')")
        .fetch_one(&mut **c)
        .await
        .unwrap()
}
