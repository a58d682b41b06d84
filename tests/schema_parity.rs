//! The two migration trees describe one schema.
//!
//! `migrations/sqlite/` and `migrations/postgres/` are kept by hand, side by
//! side. This test runs each on a fresh database (a SQLite file, a new
//! PostgreSQL database at `POSKO_TEST_PG`) and compares what they made:
//! the tables, each table's columns with their kind of type, nullability
//! and primary key, and the indexes (by table, columns and uniqueness; the
//! names differ between the two, the shape may not). A column added to one
//! tree only, a `NOT NULL` forgotten, an index made on one side: each fails
//! here with the difference spelled out.

use std::collections::BTreeSet;

use posko::store::Db;
use sqlx::{AssertSqlSafe, Connection, Row};

/// One column: table, name, type family, nullable, part of the primary key.
type Column = (String, String, &'static str, bool, bool);
/// One index: table, its columns in order, unique.
type Index = (String, Vec<String>, bool);

#[derive(Debug, Default)]
struct Schema {
    tables: BTreeSet<String>,
    columns: BTreeSet<Column>,
    indexes: BTreeSet<Index>,
}

/// The kind of value a declared type holds, the same word for both
/// databases (SQLite's `INTEGER`/`BIGINT` and PostgreSQL's `bigint` are
/// both integers; `BLOB` and `bytea` both bytes).
fn family(declared: &str) -> &'static str {
    let t = declared.to_ascii_lowercase();
    if t.contains("int") || t == "bigserial" || t == "serial" {
        "integer"
    } else if t.contains("char") || t.contains("text") || t.contains("clob") {
        "text"
    } else if t.contains("blob") || t == "bytea" {
        "bytes"
    } else if t.contains("real") || t.contains("floa") || t.contains("doub") {
        "real"
    } else if t.contains("bool") {
        "boolean"
    } else {
        panic!("a column type this test does not know: {declared}")
    }
}

/// Tables that are the migration tool's or the database's own.
fn ours(table: &str) -> bool {
    !table.starts_with("_sqlx") && !table.starts_with("sqlite_")
}

async fn sqlite_schema() -> Schema {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}/parity.db", dir.path().display());
    let db = Db::connect(&url).await.expect("open SQLite");
    db.migrate().await.expect("migrate SQLite");
    let pool = db.pool();
    let mut s = Schema::default();
    let tables: Vec<String> =
        sqlx::query_scalar("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")
            .fetch_all(pool)
            .await
            .unwrap();
    for table in tables.into_iter().filter(|t| ours(t)) {
        let cols = sqlx::query(AssertSqlSafe(format!(
            "SELECT name, type, \"notnull\" AS nn, pk FROM pragma_table_info('{table}')"
        )))
        .fetch_all(pool)
        .await
        .unwrap();
        for c in cols {
            let pk = c.get::<i64, _>("pk") > 0;
            s.columns.insert((
                table.clone(),
                c.get("name"),
                family(&c.get::<String, _>("type")),
                // SQLite lets a primary key column hold NULL unless told;
                // PostgreSQL never does: a key is never empty in either.
                c.get::<i64, _>("nn") == 0 && !pk,
                pk,
            ));
        }
        let indexes = sqlx::query(AssertSqlSafe(format!(
            "SELECT name, \"unique\" AS uq, origin FROM pragma_index_list('{table}')"
        )))
        .fetch_all(pool)
        .await
        .unwrap();
        for i in indexes {
            if i.get::<String, _>("origin") == "pk" {
                continue;
            }
            let name: String = i.get("name");
            let cols: Vec<String> = sqlx::query_scalar(AssertSqlSafe(format!(
                "SELECT name FROM pragma_index_info('{name}') ORDER BY seqno"
            )))
            .fetch_all(pool)
            .await
            .unwrap();
            s.indexes
                .insert((table.clone(), cols, i.get::<i64, _>("uq") != 0));
        }
        s.tables.insert(table);
    }
    s
}

fn pg_admin_url() -> String {
    std::env::var("POSKO_TEST_PG")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".into())
}

async fn postgres_schema() -> Schema {
    let admin = pg_admin_url();
    let name = format!("posko_parity_{:016x}", rand::random::<u64>());
    let mut conn = sqlx::PgConnection::connect(&admin)
        .await
        .unwrap_or_else(|e| panic!("PostgreSQL at {admin} (POSKO_TEST_PG): {e}"));
    sqlx::query(AssertSqlSafe(format!("CREATE DATABASE {name}")))
        .execute(&mut conn)
        .await
        .unwrap();
    let base = admin.rsplit_once('/').map(|(b, _)| b).unwrap_or(&admin);
    let url = format!("{base}/{name}");
    let s = async {
        let db = Db::connect(&url).await.expect("open PostgreSQL");
        db.migrate().await.expect("migrate PostgreSQL");
        let pool = db.pool();
        let mut s = Schema::default();
        let cols = sqlx::query(
            "SELECT c.table_name::text AS t, c.column_name::text AS n, c.data_type::text AS ty, \
             c.is_nullable::text AS nullable, \
             EXISTS (SELECT 1 FROM information_schema.key_column_usage k \
                     JOIN information_schema.table_constraints tc \
                       ON tc.constraint_name = k.constraint_name AND tc.table_schema = k.table_schema \
                     WHERE tc.constraint_type = 'PRIMARY KEY' AND k.table_schema = c.table_schema \
                       AND k.table_name = c.table_name AND k.column_name = c.column_name) AS pk \
             FROM information_schema.columns c WHERE c.table_schema = current_schema()",
        )
        .fetch_all(pool)
        .await
        .unwrap();
        for c in cols {
            let table: String = c.get("t");
            if !ours(&table) {
                continue;
            }
            s.tables.insert(table.clone());
            s.columns.insert((
                table,
                c.get("n"),
                family(&c.get::<String, _>("ty")),
                c.get::<String, _>("nullable") == "YES",
                c.get::<bool, _>("pk"),
            ));
        }
        let indexes = sqlx::query(
            "SELECT t.relname::text AS t, ix.indisunique AS uq, \
             array_to_string(ARRAY(SELECT a.attname::text FROM unnest(ix.indkey) WITH ORDINALITY k(attnum, ord) \
                  JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = k.attnum ORDER BY k.ord), ',') AS cols \
             FROM pg_index ix JOIN pg_class t ON t.oid = ix.indrelid \
             JOIN pg_namespace ns ON ns.oid = t.relnamespace \
             WHERE ns.nspname = current_schema() AND NOT ix.indisprimary",
        )
        .fetch_all(pool)
        .await
        .unwrap();
        for i in indexes {
            let table: String = i.get("t");
            if !ours(&table) {
                continue;
            }
            let cols: String = i.get("cols");
            s.indexes.insert((
                table,
                cols.split(',').map(str::to_string).collect(),
                i.get("uq"),
            ));
        }
        pool.close().await;
        s
    }
    .await;
    let _ = sqlx::query(AssertSqlSafe(format!(
        "DROP DATABASE IF EXISTS {name} WITH (FORCE)"
    )))
    .execute(&mut conn)
    .await;
    s
}

/// What one side has and the other lacks, one line each.
fn differences<T: Ord + std::fmt::Debug>(
    what: &str,
    lite: &BTreeSet<T>,
    pg: &BTreeSet<T>,
) -> Vec<String> {
    let only = |a: &BTreeSet<T>, b: &BTreeSet<T>, side: &str| {
        a.difference(b)
            .map(|x| format!("{what} only in {side}: {x:?}"))
            .collect::<Vec<_>>()
    };
    let mut out = only(lite, pg, "SQLite");
    out.extend(only(pg, lite, "PostgreSQL"));
    out
}

#[tokio::test]
async fn sqlite_and_postgres_migrations_make_the_same_schema() {
    let lite = sqlite_schema().await;
    let pg = postgres_schema().await;
    assert!(
        lite.tables.len() >= 10 && lite.columns.len() >= 50,
        "too little schema read to compare: {} tables, {} columns",
        lite.tables.len(),
        lite.columns.len()
    );
    let mut diff = differences("table", &lite.tables, &pg.tables);
    diff.extend(differences("column", &lite.columns, &pg.columns));
    diff.extend(differences("index", &lite.indexes, &pg.indexes));
    assert!(
        diff.is_empty(),
        "the migration trees disagree ((table, column, type, nullable, primary key) / (table, columns, unique)):\n{}",
        diff.join("\n")
    );
}

/// The daemon and a command started beside it both migrate a new SQLite
/// file at once: neither may fail because the other got there first.
#[tokio::test]
async fn two_migrations_of_one_new_sqlite_file_at_once_both_succeed() {
    for round in 0..10 {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}/race.db", dir.path().display());
        let (a, b) = tokio::join!(Db::connect(&url), Db::connect(&url));
        let (a, b) = (a.expect("open"), b.expect("open"));
        let (ra, rb) = tokio::join!(a.migrate(), b.migrate());
        assert!(ra.is_ok() && rb.is_ok(), "round {round}: {ra:?} / {rb:?}");
    }
}
